import { expect, test, type APIRequestContext, type Page } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs } from "./fixtures.js"

/** Waits until the server holds `text` for `doc`: a version is taken of what the server has. */
async function storedOnServer(request: APIRequestContext, doc: string, text: string): Promise<void> {
  await expect.poll(async () => (await request.get(`/api/docs/${encodeURIComponent(doc)}/text`)).text()).toBe(text)
}

/** Opens the History panel from the header and returns it. */
async function openHistory(page: Page) {
  const toggle = page.getByRole("button", { name: "History", exact: true })
  await toggle.click()
  await expect(toggle).toHaveAttribute("aria-expanded", "true")
  const panel = page.getByRole("complementary", { name: "History" })
  await expect(panel).toBeVisible()
  return panel
}

/** Restores the version shown in the preview, through the confirmation dialog. */
async function restoreSelected(page: Page) {
  await page.getByRole("complementary", { name: "History" }).getByRole("button", { name: "Restore this version…" }).click()
  const dialog = page.getByRole("dialog", { name: "Restore this version?" })
  await expect(dialog).toBeVisible()
  await dialog.getByRole("button", { name: "Restore", exact: true }).click()
  await expect(dialog).toBeHidden()
}

test("a named version shows what changed since, restores for everyone, and the restore can be undone", async ({ browser, request }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const { page } = alice
  const draft = "Meeting notes\nBring the slides.\nAsk Bob to review."
  await focusEnd(page)
  await page.keyboard.type(draft)
  await storedOnServer(request, doc, draft)
  const bob = await openAs(browser, doc, "Bob")
  await expect.poll(() => editorText(bob.page)).toBe(draft)

  const panel = await openHistory(page)
  await panel.getByRole("textbox", { name: "Version name" }).fill("First draft")
  await panel.getByRole("button", { name: "Save version" }).click()
  const firstDraft = panel.locator('li[data-kind="named"]', { hasText: "First draft" })
  await expect(firstDraft).toHaveCount(1)
  await expect(panel.getByRole("listitem").first()).toContainText("First draft")
  await expect(panel.getByRole("status")).toHaveText("Saved this version as “First draft”.")

  // Later: the first line is changed and a line is added at the end.
  await page.locator(".cm-content").click()
  await page.keyboard.press("Control+Home")
  await page.keyboard.type("Weekly ")
  await focusEnd(page)
  await page.keyboard.type("\nBook the room for Friday.")
  const later = "Weekly Meeting notes\nBring the slides.\nAsk Bob to review.\nBook the room for Friday."
  await expect.poll(() => editorText(page)).toBe(later)
  await storedOnServer(request, doc, later)

  await firstDraft.getByRole("button").click()
  await expect(firstDraft.getByRole("button")).toHaveAttribute("aria-pressed", "true")
  const preview = panel.getByTestId("history-preview")
  // The preview is the first draft's text, with the changes since marked in place.
  await expect(preview.locator(".line:not(ins)")).toHaveText(["Meeting notes", "Bring the slides.", "Ask Bob to review."])
  await expect(preview.locator("del")).toHaveText(["Meeting notes"])
  await expect(preview.locator("ins")).toHaveText(["Weekly Meeting notes", "Book the room for Friday."])
  await expect(preview.locator(".line")).toHaveText(["Meeting notes", "Weekly Meeting notes", "Bring the slides.", "Ask Bob to review.", "Book the room for Friday."])
  await expect(panel.getByTestId("history-legend")).toHaveText("Changes since this version: 1 removed or changed 2 added")

  await restoreSelected(page)
  await expect.poll(() => editorText(page)).toBe(draft)
  await expect.poll(() => editorText(bob.page)).toBe(draft)
  await expect(panel.getByRole("status")).toHaveText(/^Restored version from .+ \(“First draft”\); the previous text was saved as a version\.$/)
  // Shown again after the restore: the first draft is now the current text.
  await expect(panel.getByTestId("history-legend")).toHaveText("This is the current text: nothing changed since.")
  const beforeRestore = panel.locator('li[data-kind="auto"]', { hasText: "Before restoring" })
  await expect(beforeRestore).toHaveCount(1)
  await expect(beforeRestore).toContainText("Before restoring ‘First draft’")
  await expect(beforeRestore).toContainText("automatic")

  // The version saved before the restore holds the later text: restoring it brings that back.
  await beforeRestore.getByRole("button").click()
  await expect(preview.locator(".line:not(ins)")).toHaveText(later.split("\n"))
  await expect(preview.locator("ins")).toHaveText(["Meeting notes"])
  await restoreSelected(page)
  await expect.poll(() => editorText(page)).toBe(later)
  await expect.poll(() => editorText(bob.page)).toBe(later)
  await expect(panel.locator('li[data-kind="auto"]', { hasText: "Before restoring" })).toHaveCount(2)

  const shot = await page.screenshot({ path: info.outputPath("history-panel.png") })
  await info.attach("history panel", { body: shot, contentType: "image/png" })
})

test("on a phone-sized screen the history is a sheet that leaves the top of the editor in view", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const { page } = alice
  await page.setViewportSize({ width: 390, height: 844 })
  await focusEnd(page)
  await page.keyboard.type("A short note.")

  const panel = await openHistory(page)
  const sheet = (await panel.boundingBox())!
  const editor = (await page.getByTestId("editor").boundingBox())!
  expect(sheet.x).toBeGreaterThanOrEqual(0)
  expect(sheet.x + sheet.width).toBeLessThanOrEqual(390)
  expect(sheet.y + sheet.height).toBeLessThanOrEqual(844)
  expect(sheet.y).toBeGreaterThan(editor.y + 40)
  // The editor keeps its full width under the sheet: nothing was reflowed beside it.
  expect(editor.width).toBe(390)
  await expect(panel.getByRole("textbox", { name: "Version name" })).toBeInViewport()
  const shot = await page.screenshot({ path: info.outputPath("history-narrow.png") })
  await info.attach("history sheet on a narrow screen", { body: shot, contentType: "image/png" })

  // Escape closes it and gives focus back to the button that opened it.
  await panel.getByRole("textbox", { name: "Version name" }).focus()
  await page.keyboard.press("Escape")
  await expect(panel).toBeHidden()
  const toggle = page.getByRole("button", { name: "History", exact: true })
  await expect(toggle).toBeFocused()
  await expect(toggle).toHaveAttribute("aria-expanded", "false")
})
