import { readFile } from "node:fs/promises"
import { expect, test, type Page } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs, openMore } from "./fixtures.js"

declare global {
  interface Window {
    /** Set only if Markdown in the preview ever ran script: it must stay unset. */
    __pwned?: unknown
  }
}

/** The editor lines holding a Markdown heading token (classHighlighter's stable class). */
const headingLines = (page: Page) => page.locator(".cm-line", { has: page.locator(".tok-heading") })

test("Markdown mode switched on in one browser is on for the other live, and after a reload", async ({ browser, request }, info) => {
  // Two browsers and a reload: on a shared, busy machine this alone can near the 60 s default.
  test.slow()
  // A generated-style name, without .md: plain text until someone switches Markdown on.
  const doc = docFor(info)
  expect((await request.put(`/api/docs/${doc}/text`, { data: "# Title\n\nsome **b** text\n" })).status()).toBe(201)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  const aliceToggle = alice.page.getByTestId("markdown-toggle")
  const bobToggle = bob.page.getByTestId("markdown-toggle")
  await expect(bobToggle).toHaveAttribute("aria-pressed", "false")
  await expect(bob.page.locator(".cm-line", { hasText: "Title" })).toBeVisible()
  await expect(headingLines(bob.page)).toHaveCount(0)
  await expect(bob.page.getByRole("button", { name: "Preview", exact: true })).toBeHidden()

  // The switch lives in the header's "More" menu.
  await openMore(alice.page)
  await expect(alice.page.getByRole("button", { name: "Markdown", exact: true })).toBeVisible()
  await aliceToggle.click()
  await expect(aliceToggle).toHaveAttribute("aria-pressed", "true")
  await expect(bobToggle).toHaveAttribute("aria-pressed", "true")
  await expect(headingLines(bob.page)).toContainText("# Title")
  await expect(bob.page.getByRole("button", { name: "Preview", exact: true })).toBeVisible()

  await bob.page.reload()
  // A reload reconnects after loading the page code and the browser copy: slow on a busy machine.
  await expect(bob.page.getByTestId("sync")).toHaveAttribute("data-state", "saved", { timeout: 20_000 })
  await expect(bob.page.getByTestId("markdown-toggle")).toHaveAttribute("aria-pressed", "true")
  await expect(headingLines(bob.page)).toContainText("# Title")

  // And off again, for everyone.
  await openMore(bob.page)
  await bob.page.getByTestId("markdown-toggle").click()
  await expect(aliceToggle).toHaveAttribute("aria-pressed", "false")
  await expect(headingLines(alice.page)).toHaveCount(0)
})

test("the preview renders Markdown beside the editor, runs no script and makes no javascript: link", async ({ browser, request }, info) => {
  // A .md name: Markdown mode by default.
  const doc = docFor(info, ".md")
  const hostile = [
    "# Title",
    "",
    "some **b** text and [a link](https://example.com/page)",
    "",
    "<script>window.__pwned = 1</script>",
    "",
    '<img src=x onerror="window.__pwned=2">',
    "",
    "[x](javascript:window.__pwned=3)",
    "",
  ].join("\n")
  expect((await request.put(`/api/docs/${doc}/text`, { data: hostile })).status()).toBe(201)
  const { page } = await openAs(browser, doc, "Alice")
  await expect(page.getByTestId("markdown-toggle")).toHaveAttribute("aria-pressed", "true")

  // The renderer is loaded only when the preview opens.
  const scripts: string[] = []
  page.on("request", (request) => {
    if (request.resourceType() === "script") scripts.push(request.url())
  })
  const preview = page.getByRole("region", { name: "Preview", exact: true })
  await expect(preview).toBeHidden()
  await page.getByRole("button", { name: "Preview", exact: true }).click()
  await expect(page.getByRole("button", { name: "Preview", exact: true })).toHaveAttribute("aria-pressed", "true")
  await expect(preview.getByRole("heading", { level: 1 })).toHaveText("Title")
  await expect(preview.locator("strong")).toHaveText("b")
  expect(scripts.length).toBeGreaterThan(0)

  // Raw HTML is shown as text; nothing of it became an element.
  await expect(preview).toContainText("<script>window.__pwned = 1</script>")
  await expect(preview).toContainText('<img src=x onerror="window.__pwned=2">')
  await expect(preview.locator("script, img, iframe, [onerror]")).toHaveCount(0)
  await expect(preview.locator('a[href^="javascript:" i]')).toHaveCount(0)
  // The one real link opens in a new tab, with no opener.
  await expect(preview.getByRole("link")).toHaveCount(1)
  await expect(preview.getByRole("link", { name: "a link" })).toHaveAttribute("href", "https://example.com/page")
  await expect(preview.getByRole("link", { name: "a link" })).toHaveAttribute("target", "_blank")
  await expect(preview.getByRole("link", { name: "a link" })).toHaveAttribute("rel", "noopener noreferrer")
  // The would-be javascript: link is plain text; clicking it does nothing.
  await preview.getByText("[x](javascript:window.__pwned=3)").click()
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined()

  // It follows the text as it changes.
  await focusEnd(page)
  await page.keyboard.type("\n## Later")
  await expect(preview.getByRole("heading", { level: 2 })).toHaveText("Later")
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined()

  // Beside the editor on a wide screen, below it on a narrow one.
  const editorBox = () => page.getByTestId("editor").boundingBox()
  expect((await preview.boundingBox())!.x).toBeGreaterThanOrEqual((await editorBox())!.x + (await editorBox())!.width - 1)
  await info.attach("preview beside the editor", { body: await page.screenshot(), contentType: "image/png" })
  await page.setViewportSize({ width: 420, height: 800 })
  await expect.poll(async () => (await preview.boundingBox())!.y - ((await editorBox())!.y + (await editorBox())!.height)).toBeGreaterThanOrEqual(-1)
  await info.attach("preview below the editor", { body: await page.screenshot(), contentType: "image/png" })
  await page.setViewportSize({ width: 1280, height: 720 })

  // Closed, and gone with the Markdown mode.
  await openMore(page)
  await page.getByTestId("markdown-toggle").click()
  await expect(page.getByRole("button", { name: "Preview", exact: true })).toBeHidden()
  await expect(preview).toBeHidden()
})

test("download gives the document's exact text as .md and .txt", async ({ browser, request }, info) => {
  const doc = docFor(info)
  // Windows line endings, a trailing space and no final newline: kept exactly.
  const text = "# Notes\r\n\r\nfirst line \r\nsecond line"
  expect((await request.put(`/api/docs/${doc}/text`, { data: text })).status()).toBe(201)
  const { page } = await openAs(browser, doc, "Alice")
  // The editor keeps "\r\n" as it is (its "\r" hidden), so its text is the document's.
  await expect.poll(() => editorText(page)).toBe(text)

  for (const kind of ["md", "txt"] as const) {
    await openMore(page)
    await page.getByTestId("download").locator("summary").click()
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(`download-${kind}`).click()])
    expect(download.suggestedFilename()).toBe(`${doc.split("/").pop()}.${kind}`)
    expect(await readFile(await download.path(), "utf8")).toBe(text)
    await expect(page.getByTestId(`download-${kind}`)).toBeHidden()
  }
})

test("opening a local file creates a new document holding its text, in Markdown mode for .md", async ({ page }, info) => {
  const text = `# Opened ${info.testId}\n\nfrom a **file**\r\n`
  const file = { name: `Opened notes ${info.testId}.md`, mimeType: "text/markdown", buffer: Buffer.from(text) }
  const slug = `opened-notes-${info.testId.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`

  await page.goto("/")
  await expect(page.getByRole("button", { name: "Open a file…" })).toBeVisible()
  await page.getByTestId("open-file-input").setInputFiles(file)
  // Reading the file, a HEAD, a stored PUT and a navigation: more than the default 5 s on a busy machine.
  await expect(page).toHaveURL(new RegExp(`/d/${slug}$`), { timeout: 20_000 })
  // The document page still loads after the URL changed: its code, then the document.
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved", { timeout: 20_000 })
  await expect.poll(() => page.evaluate(() => window.tandemEditor!.ytext.toString())).toBe(text)
  await expect(page.getByTestId("markdown-toggle")).toHaveAttribute("aria-pressed", "true")
  await expect(headingLines(page)).toHaveText(`# Opened ${info.testId}`)

  // The same file again: a new document beside the first, never over it.
  await page.goto("/")
  await page.getByTestId("open-file-input").setInputFiles(file)
  await expect(page).toHaveURL(new RegExp(`/d/${slug}-2$`), { timeout: 20_000 })
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved", { timeout: 20_000 })
  await expect.poll(() => page.evaluate(() => window.tandemEditor!.ytext.toString())).toBe(text)
})
