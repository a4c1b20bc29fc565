import { expect, test } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs } from "./fixtures.js"

test("Ctrl+F finds a word, a Hebrew line runs right to left, and the browser spellchecks", async ({ browser }, info) => {
  const person = await openAs(browser, docFor(info), "Ada")
  const { page } = person
  await focusEnd(page)
  await page.keyboard.type("The quick brown fox\n")
  await page.keyboard.insertText("שלום עולם, זו שורה בעברית")
  await expect.poll(() => editorText(page)).toBe("The quick brown fox\nשלום עולם, זו שורה בעברית")

  const hebrew = page.locator(".cm-line", { hasText: "שלום" })
  await expect(hebrew).toHaveAttribute("dir", "auto")
  expect(await hebrew.evaluate((line) => getComputedStyle(line).direction)).toBe("rtl")
  expect(await page.locator(".cm-line", { hasText: "quick" }).evaluate((line) => getComputedStyle(line).direction)).toBe("ltr")
  await expect(page.locator(".cm-content")).toHaveAttribute("spellcheck", "true")

  await page.keyboard.press("Control+f")
  const find = page.getByRole("textbox", { name: "Find" })
  await expect(find).toBeFocused()
  await find.pressSequentially("brown")
  await find.press("Enter")
  // The match is selected in the editor.
  await expect.poll(() => page.evaluate(() => {
    const { state } = window.tandemEditor!.view
    return state.sliceDoc(state.selection.main.from, state.selection.main.to)
  })).toBe("brown")
  await person.context.close()
})
