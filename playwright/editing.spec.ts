import { expect, test } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs, openMore } from "./fixtures.js"

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

test("pasted CRLF line endings are kept: in the editor's lines and in the stored text", async ({ browser, request }, info) => {
  const doc = docFor(info)
  const person = await openAs(browser, doc, "Ada")
  const { page } = person
  await page.evaluate(() => navigator.clipboard.writeText("one\r\ntwo\r\nthree"))
  // Chromium on Linux puts the text on the clipboard as it is: the test must start from CRLF.
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("one\r\ntwo\r\nthree")
  await focusEnd(page)
  await page.keyboard.press("Control+v")
  await expect.poll(() => editorText(page)).toBe("one\r\ntwo\r\nthree")
  await expect(page.locator(".cm-line")).toHaveCount(3)
  await expect(page.locator(".cm-line")).toHaveText(["one", "two", "three"])
  // Typing at the end of a CRLF line keeps its ending whole.
  await page.locator(".cm-line", { hasText: "one" }).click()
  await page.keyboard.press("End")
  await page.keyboard.type("!")
  await expect.poll(() => editorText(page)).toBe("one!\r\ntwo\r\nthree")
  await expect.poll(async () => (await request.get(`/api/docs/${encodeURIComponent(doc)}/text`)).text()).toBe("one!\r\ntwo\r\nthree")
  await person.context.close()
})

test("the spellcheck switch turns the browser's spellcheck off and on, remembered in this browser", async ({ browser }, info) => {
  const person = await openAs(browser, docFor(info), "Ada")
  const { page } = person
  const toggle = page.getByTestId("spellcheck")
  await expect(toggle).toHaveAttribute("aria-pressed", "true")
  await expect(page.locator(".cm-content")).toHaveAttribute("spellcheck", "true")
  await openMore(page)
  await toggle.click()
  await expect(toggle).toHaveAttribute("aria-pressed", "false")
  await expect(page.locator(".cm-content")).toHaveAttribute("spellcheck", "false")
  await page.reload()
  await expect(page.getByTestId("spellcheck")).toHaveAttribute("aria-pressed", "false")
  await expect(page.locator(".cm-content")).toHaveAttribute("spellcheck", "false")
  await openMore(page)
  await page.getByTestId("spellcheck").click()
  await expect(page.locator(".cm-content")).toHaveAttribute("spellcheck", "true")
  await person.context.close()
})

test("two tabs of one browser are one person in the people list; another browser is another", async ({ browser }, info) => {
  const doc = docFor(info)
  const ada = await openAs(browser, doc, "Ada")
  const secondTab = await ada.context.newPage()
  await secondTab.goto(`/d/${doc}`)
  await expect(secondTab.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  // Both tabs are in awareness (two carets' worth of clients), yet one person is listed.
  await expect.poll(() => secondTab.evaluate(() => window.tandemEditor!.status().peers.length)).toBe(2)
  for (const page of [ada.page, secondTab]) {
    await expect(page.getByTestId("people").locator("li")).toHaveCount(1)
    await expect(page.getByTestId("people").locator("li")).toHaveText(["Ada (you)"])
  }
  const grace = await openAs(browser, doc, "Grace")
  for (const page of [ada.page, secondTab]) await expect(page.getByTestId("people").locator("li")).toHaveText(["Ada (you)", "Grace"])
  await expect(grace.page.getByTestId("people").locator("li")).toHaveCount(2)
  await expect(grace.page.getByTestId("people")).toContainText("Grace (you)")
  await expect(grace.page.getByTestId("people")).toContainText("Ada")
  await Promise.all([ada.context.close(), grace.context.close()])
})
