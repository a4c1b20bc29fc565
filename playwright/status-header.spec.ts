import { expect, test, type Locator } from "@playwright/test"
import { docFor, focusEnd, openAs } from "./fixtures.js"

const background = (locator: Locator) => locator.evaluate((element) => getComputedStyle(element).backgroundColor)

test("the save pill has its own colour for saving, kept on this device and saved", async ({ browser }, info) => {
  const alice = await openAs(browser, docFor(info), "Alice")
  const sync = alice.page.getByTestId("sync")
  const saved = await background(sync)

  await alice.setOnline(false)
  await expect(alice.page.getByTestId("connection")).toHaveAttribute("data-state", "offline")
  // Offline with nothing unsaved: no "0 changes".
  await expect(sync).toHaveText("No unsaved changes")
  await focusEnd(alice.page)
  await alice.page.keyboard.type("x")
  await expect(sync).toHaveAttribute("data-state", "saved-locally")
  await expect(sync).toHaveText("1 change kept on this device")
  const kept = await background(sync)

  // "Saving…" lasts only until the server's ack, too short to catch reliably: read the colour
  // the stylesheet gives the "unsaved" state from a copy of the pill.
  const saving = await sync.evaluate((element) => {
    const probe = element.cloneNode() as HTMLElement
    probe.dataset.state = "unsaved"
    element.after(probe)
    const colour = getComputedStyle(probe).backgroundColor
    probe.remove()
    return colour
  })
  expect(new Set([saved, kept, saving]).size).toBe(3)

  await alice.setOnline(true)
  await expect(sync).toHaveAttribute("data-state", "saved")
  expect(await background(sync)).toBe(saved)
})

test("going offline does not move the editor, and Link copied turns back into Copy link", async ({ browser }, info) => {
  const alice = await openAs(browser, docFor(info), "Alice")
  const editorTop = () => alice.page.getByTestId("editor").evaluate((element) => element.getBoundingClientRect().top)
  const before = await editorTop()
  await alice.setOnline(false)
  await expect(alice.page.getByTestId("connection")).toHaveText("Offline")
  await focusEnd(alice.page)
  await alice.page.keyboard.type("typed while offline, with a long save status")
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved-locally")
  expect(await editorTop()).toBe(before)
  const shot = await alice.page.screenshot({ path: info.outputPath("offline.png") })
  await info.attach("desktop header, offline", { body: shot, contentType: "image/png" })

  const share = alice.page.getByTestId("share")
  await share.click()
  await expect(share).toHaveText("Link copied")
  await expect(share).toHaveText("Copy link")
})

test("on a 390-pixel phone the header is compact and nothing scrolls sideways", async ({ browser }, info) => {
  const doc = docFor(info, "/a-rather-long-document-name-that-does-not-fit-on-a-phone.md")
  const alice = await openAs(browser, doc, "Alice with a really quite long name for a phone screen")
  await alice.setOnline(false)
  await focusEnd(alice.page)
  await alice.page.keyboard.type("offline on a phone")
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved-locally")
  await alice.page.setViewportSize({ width: 390, height: 844 })
  const layout = await alice.page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    header: document.querySelector("header")!.getBoundingClientRect().height,
  }))
  expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width)
  // Two rows at most: well under the 201 px the header used to take with a long name.
  expect(layout.header).toBeLessThanOrEqual(100)
  const shot = await alice.page.screenshot({ path: info.outputPath("phone.png") })
  await info.attach("phone header, offline", { body: shot, contentType: "image/png" })
  // The status and the name box are on screen; the rest of the tools row scrolls sideways within
  // itself (theme.spec.ts brings each control into view).
  for (const control of [alice.page.getByTestId("connection"), alice.page.getByTestId("sync"), alice.page.getByTestId("your-name")]) {
    await expect(control).toBeInViewport({ ratio: 1 })
  }
})
