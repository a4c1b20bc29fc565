import { fileURLToPath } from "node:url"
import { expect, test, type Browser, type Page } from "@playwright/test"
import { build, type Rolldown } from "vite"
import { docFor, editorText, openAs } from "./fixtures.js"

/** Bundles stock-y-codemirror.ts for the browser, from the npm packages, with Vite's bundler. */
async function bundleStockEditor(): Promise<string> {
  const entry = fileURLToPath(new URL("./stock-y-codemirror.ts", import.meta.url))
  const result = await build({
    configFile: false,
    logLevel: "warn",
    root: fileURLToPath(new URL(".", import.meta.url)),
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    build: { write: false, minify: false, lib: { entry, formats: ["iife"], name: "stockEditor", fileName: "stock" } },
  })
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[]
  const chunk = outputs.flatMap((output) => output.output).find((file) => file.type === "chunk")
  if (!chunk || chunk.type !== "chunk") throw new Error("bundling the stock editor produced no script")
  return chunk.code
}

/**
 * Opens `doc` in the stock y-codemirror.next editor as `name`, in a context of its own, once
 * synced. The page is a blank one written over a page of the Tandem server, so it has the
 * server's origin (Chromium lets only local pages open sockets to a local server).
 */
async function openStock(browser: Browser, script: string, doc: string, name: string, errors: string[]): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  recordErrors(page, errors)
  const server = `ws://${new URL(test.info().project.use.baseURL!).host}/sync`
  await page.goto(`/healthz?${new URLSearchParams({ server, doc, name }).toString()}`)
  await page.setContent('<!doctype html><html lang="en"><title>Stock y-codemirror.next</title><div id="editor"></div></html>')
  await page.addScriptTag({ content: script })
  await expect.poll(() => page.evaluate(() => window.stockEditor?.provider.synced === true), { message: `stock editor synced (errors: ${errors.join("; ")})` }).toBe(true)
  return page
}

/** Records console errors and uncaught exceptions of `page`, to assert that there were none. */
function recordErrors(page: Page, into: string[]): void {
  page.on("console", (message) => {
    // The browser asks the server's page for a favicon it does not have; that is not the editor's.
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) into.push(`${message.text()} (${message.location().url})`)
  })
  page.on("pageerror", (error) => into.push(`${error.name}: ${error.message}`))
}

/** Where the caret of the person named `name` is drawn in the editor `view` of the page, or null. */
function caretOf(page: Page, editor: "tandem" | "stock", name: string): Promise<number | null> {
  return page.evaluate(
    ([editor, name]) => {
      const view = editor === "tandem" ? window.tandemEditor!.view : window.stockEditor!.view
      const caret = [...view.dom.querySelectorAll(".cm-ySelectionCaret")].find((element) => element.textContent?.includes(name))
      return caret ? view.posAtDOM(caret) : null
    },
    [editor, name] as const,
  )
}

/** Moves the keyboard caret of `page`'s editor to `at` (0 or the end use Ctrl+Home/End, like a person). */
async function moveCaret(page: Page, at: number, length: number): Promise<void> {
  await page.locator(".cm-content").click()
  await page.keyboard.press("Control+Home")
  if (at === length) await page.keyboard.press("Control+End")
  else for (let step = 0; step < at; step++) await page.keyboard.press("ArrowRight")
}

let stockScript = ""
test.beforeAll(async () => {
  stockScript = await bundleStockEditor()
})

test("a stock y-codemirror.next editor and Tandem's converge and show each other's cursor at the start, middle and end, without errors", async ({ browser }, info) => {
  const doc = docFor(info)
  const errors: string[] = []
  const tandem = await openAs(browser, doc, "Tess Tandem")
  recordErrors(tandem.page, errors)
  const stock = await openStock(browser, stockScript, doc, "Sam Stock", errors)
  const stockText = () => stock.evaluate(() => window.stockEditor!.view.state.doc.toString())

  // Both type; the text converges.
  await tandem.page.locator(".cm-content").click()
  await tandem.page.keyboard.type("abcde")
  await expect.poll(stockText).toBe("abcde")
  await stock.locator(".cm-content").click()
  await stock.keyboard.press("Control+End")
  await stock.keyboard.type("fghij")
  await expect.poll(() => editorText(tandem.page)).toBe("abcdefghij")
  expect(await stockText()).toBe("abcdefghij")

  const length = "abcdefghij".length
  for (const at of [0, 5, length]) {
    await moveCaret(tandem.page, at, length)
    await expect.poll(() => caretOf(stock, "stock", "Tess Tandem"), { message: `Tandem's caret at ${at} in the stock editor` }).toBe(at)
    await moveCaret(stock, at, length)
    await expect.poll(() => caretOf(tandem.page, "tandem", "Sam Stock"), { message: `the stock caret at ${at} in Tandem` }).toBe(at)
  }

  // The stock editor is still drawing remote cursors after all that: its plugin did not crash.
  await tandem.page.keyboard.type("!")
  await expect.poll(stockText).toBe("abcdefghij!")
  await expect.poll(() => caretOf(stock, "stock", "Tess Tandem")).toBe(length + 1)
  expect(errors).toEqual([])
})
