import { expect, test, type Page } from "@playwright/test"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { docFor, focusEnd, openAs } from "./fixtures.js"

/** Someone else on `doc`: a stock y-websocket client in this Node process, lighter than a browser. */
function visitor(baseURL: string, doc: string, name: string): WebsocketProvider {
  const provider = new WebsocketProvider(`${baseURL.replace(/^http/, "ws")}/sync`, doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  provider.awareness.setLocalStateField("user", { name, color: "#138a8a" })
  return provider
}

/** Computed colours of the page, the editor and its text, with their relative luminances. */
async function colours(page: Page) {
  return page.evaluate(() => {
    const channels = (colour: string) => (colour.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number)
    const luminance = (colour: string) => {
      const [r = 0, g = 0, b = 0] = channels(colour).map((c) => {
        const s = c / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * r + 0.7152 * g + 0.0722 * b
    }
    const contrast = (a: string, b: string) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
      return (hi + 0.05) / (lo + 0.05)
    }
    const style = (selector: string) => getComputedStyle(document.querySelector(selector)!)
    const pageBackground = getComputedStyle(document.documentElement).backgroundColor
    const editorBackground = style(".cm-editor").backgroundColor
    const text = style(".cm-line").color
    const header = style("header").backgroundColor
    const pill = style("[data-testid=connection]")
    return {
      page: luminance(pageBackground),
      editor: luminance(editorBackground),
      header: luminance(header),
      text: luminance(text),
      textContrast: contrast(text, editorBackground),
      pillContrast: contrast(pill.color, pill.backgroundColor),
      pillBackground: pill.backgroundColor,
    }
  })
}

test("the app follows the system's dark and light schemes, with readable editor text", async ({ browser }, info) => {
  const alice = await openAs(browser, docFor(info), "Alice")
  const { page } = alice
  await focusEnd(page)
  await page.keyboard.type("Readable in both themes")

  await page.emulateMedia({ colorScheme: "dark" })
  const dark = await colours(page)
  expect(dark.page).toBeLessThan(0.05)
  expect(dark.editor).toBeLessThan(0.05)
  expect(dark.header).toBeLessThan(0.05)
  expect(dark.text).toBeGreaterThan(0.6)
  expect(dark.textContrast).toBeGreaterThanOrEqual(4.5)
  expect(dark.pillContrast).toBeGreaterThanOrEqual(4.5)
  await info.attach("dark", { body: await page.screenshot(), contentType: "image/png" })

  await page.emulateMedia({ colorScheme: "light" })
  const light = await colours(page)
  expect(light.page).toBeGreaterThan(0.8)
  expect(light.editor).toBeGreaterThan(0.8)
  expect(light.header).toBeGreaterThan(0.8)
  expect(light.text).toBeLessThan(0.05)
  expect(light.textContrast).toBeGreaterThanOrEqual(4.5)
  expect(light.pillContrast).toBeGreaterThanOrEqual(4.5)
  // The connected pill keeps a colour of its own (not the page's) in both.
  expect(light.pillBackground).not.toBe(dark.pillBackground)

  // Every pill state stays readable in both schemes: a copy of the pill in each state.
  for (const scheme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    const contrasts = await page.getByTestId("sync").evaluate((element) => {
      const luminance = (colour: string) => {
        const [r = 0, g = 0, b = 0] = (colour.match(/[\d.]+/g) ?? []).slice(0, 3).map((c) => {
          const s = Number(c) / 255
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
        })
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
      }
      return ["connecting", "saved", "unsaved", "saved-locally", "offline"].map((state) => {
        const probe = element.cloneNode() as HTMLElement
        probe.textContent = "probe"
        probe.dataset.state = state
        element.after(probe)
        const { color, backgroundColor } = getComputedStyle(probe)
        probe.remove()
        const [hi, lo] = [luminance(color), luminance(backgroundColor)].sort((x, y) => y - x) as [number, number]
        return { state, backgroundColor, contrast: (hi + 0.05) / (lo + 0.05) }
      })
    })
    for (const { state, contrast } of contrasts) expect(contrast, `${scheme} ${state}`).toBeGreaterThanOrEqual(4.5)
    expect(new Set(contrasts.map((probe) => probe.backgroundColor)).size, `${scheme}: one colour per state`).toBe(contrasts.length)
  }
  await alice.context.close()
})

test("on a 390-pixel phone with six people and a 64-character name nothing scrolls sideways and the editor stays put", async ({ browser, baseURL }, info) => {
  const doc = docFor(info, "/a-rather-long-document-name-that-does-not-fit-on-a-phone.md")
  const longName = "Bartholomew Alexander Montgomery-Fitzwilliam the Third of Phones"
  expect(longName).toHaveLength(64)
  const others = ["Ada", "Grace", "Linus", "Margaret", "Dennis"].map((name) => visitor(baseURL!, doc, `${name} ${"x".repeat(40)}`))
  const phone = await openAs(browser, doc, longName)
  const { page } = phone
  await page.setViewportSize({ width: 390, height: 844 })
  await expect(page.getByTestId("people").locator("li")).toHaveCount(6)
  await expect(page.getByTestId("chat-toggle")).toBeVisible()
  await expect(page.getByTestId("history-toggle")).toBeVisible()

  const layout = () =>
    page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      header: document.querySelector("header")!.getBoundingClientRect().height,
      editorTop: document.querySelector("[data-testid=editor]")!.getBoundingClientRect().top,
    }))
  const before = await layout()
  expect(before.scrollWidth).toBeLessThanOrEqual(390)
  expect(before.header).toBeLessThanOrEqual(100)
  await expect(page.getByTestId("your-name")).toBeInViewport({ ratio: 1 })
  await info.attach("phone, online", { body: await page.screenshot(), contentType: "image/png" })
  // The tools row scrolls sideways within itself: each control can be brought fully on screen,
  // and the page itself never scrolls.
  for (const control of [page.getByTestId("share"), page.getByTestId("history-toggle"), page.getByTestId("chat-toggle")]) {
    await control.scrollIntoViewIfNeeded()
    // (Not 1: a control scrolled into view can end a fraction of a pixel short of the edge.)
    await expect(control).toBeInViewport({ ratio: 0.95 })
  }
  expect(await page.evaluate(() => [document.documentElement.scrollWidth, window.scrollX])).toEqual([390, 0])
  // A menu of the row opens under the header, whole, not cut by the row.
  const more = page.getByTestId("more")
  if (await more.count()) {
    await more.scrollIntoViewIfNeeded()
    await more.click()
    await expect(page.locator(".more-menu")).toBeInViewport({ ratio: 1 })
    await more.click()
  }
  await page.getByTestId("your-name").scrollIntoViewIfNeeded()

  // The pills change their text; the header keeps its height and the editor its place.
  await phone.setOnline(false)
  await expect(page.getByTestId("connection")).toHaveText("Offline")
  await focusEnd(page)
  await page.keyboard.type("typed offline on a phone")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved-locally")
  const offline = await layout()
  expect(offline.editorTop).toBe(before.editorTop)
  expect(offline.header).toBe(before.header)
  expect(offline.scrollWidth).toBeLessThanOrEqual(390)
  await info.attach("phone, offline", { body: await page.screenshot(), contentType: "image/png" })

  // The start page fits too, this long document name among the recent ones.
  await page.goto("/")
  await expect(page.getByTestId("recent")).toContainText("a-rather-long-document-name")
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await info.attach("phone, start page", { body: await page.screenshot(), contentType: "image/png" })

  for (const other of others) other.destroy()
  await phone.context.close()
})
