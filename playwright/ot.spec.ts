import { expect, test, type Browser, type Page } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs } from "./fixtures.js"

/** Opens `doc` on the OT editor (`?client=ot`: CodeMirror's own collab over /collab) as `name`, once connected and saved. */
async function openOt(browser: Browser, doc: string, name: string, errors: string[]): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.on("pageerror", (error) => errors.push(error.message))
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()))
  await page.goto(`/d/${doc}?client=ot`)
  await page.getByTestId("your-name").fill(name)
  await page.getByTestId("your-name").press("Enter")
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  return page
}

/** Where `page` draws the caret of `name`, as a document position, or -1. */
function caretOf(page: Page, name: string): Promise<number> {
  return page.evaluate((name) => {
    const caret = [...document.querySelectorAll(".cm-ySelectionCaret")].find((element) => element.textContent === name)
    return caret ? window.tandemEditor!.view.posAtDOM(caret) : -1
  }, name)
}

test("an OT editor and a Yjs editor typing at the same time converge and see each other's cursor", async ({ browser }, info) => {
  const doc = docFor(info)
  const errors: string[] = []
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openOt(browser, doc, "Bob", errors)
  // Each types in a place of their own, at the same time: the OT user at the start, the Yjs user
  // at the end of a line both have. (Typing at one same place interleaves by each side's rules.)
  await focusEnd(alice.page)
  await alice.page.keyboard.type("[middle]")
  await expect.poll(() => editorText(bob)).toBe("[middle]")
  await focusEnd(bob)
  await bob.keyboard.press("Control+Home")
  const fromYjs = " yjs typing é😀"
  const fromOt = "ot typing ü👍 "
  await Promise.all([alice.page.keyboard.type(fromYjs), bob.keyboard.type(fromOt)])
  const expected = `${fromOt}[middle]${fromYjs}`
  await expect.poll(() => editorText(alice.page), { timeout: 15_000 }).toBe(expected)
  await expect.poll(() => editorText(bob), { timeout: 15_000 }).toBe(expected)
  // Saved on both sides: the OT editor's changes are confirmed only once stored.
  await expect(bob.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  const stored = await (await bob.request.get(`/api/docs/${doc}/text`)).text()
  expect(stored).toBe(await editorText(bob))

  // Each sees the other's caret and name, and in the list of people.
  await expect(alice.page.locator(".cm-ySelectionInfo", { hasText: "Bob" })).toBeAttached()
  await expect(bob.locator(".cm-ySelectionInfo", { hasText: "Alice" })).toBeAttached()
  await expect(alice.page.getByTestId("people")).toContainText("Bob")
  await expect(bob.getByTestId("people")).toContainText("Alice")
  await expect(bob.getByTestId("people")).toContainText("Bob (you)")

  // A caret moved in the OT editor moves for the Yjs user, and the other way round.
  await bob.keyboard.press("Control+Home")
  await expect.poll(() => caretOf(alice.page, "Bob"), { timeout: 15_000 }).toBe(0)
  await alice.page.keyboard.press("Control+End")
  await expect.poll(() => caretOf(bob, "Alice"), { timeout: 15_000 }).toBe(expected.length)
  expect(errors).toEqual([])

  const shot = await bob.screenshot({ path: info.outputPath("ot-and-yjs.png") })
  await info.attach("an OT editor beside a Yjs editor", { body: shot, contentType: "image/png" })
})
