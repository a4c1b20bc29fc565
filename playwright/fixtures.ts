import { expect, type Browser, type BrowserContext, type Page, type TestInfo, type WebSocketRoute } from "@playwright/test"
import type { EditorHandle } from "@tandem/editor"

declare global {
  interface Window {
    /** Set by the web app on a document page. */
    tandemEditor?: EditorHandle
  }
}

/** A document name of its own for each test and retry. */
export function docFor(info: TestInfo, suffix = ""): string {
  return `e2e/${info.testId}-${info.retry}${suffix}`
}

/** One person: a browser context of their own with the document open. */
export interface Person {
  readonly context: BrowserContext
  readonly page: Page
  /** Cuts this person off from the server, or lets them back. */
  setOnline(online: boolean): Promise<void>
}

/**
 * Opens `doc` in a new context as `name`, once connected and synced. The context's sync socket
 * goes through a route the test can cut (Chromium's offline mode leaves open WebSockets alone).
 */
export async function openAs(browser: Browser, doc: string, name: string): Promise<Person> {
  const context = await browser.newContext()
  let online = true
  const routes = new Set<WebSocketRoute>()
  await context.routeWebSocket(/\/sync\//, (route) => {
    if (!online) {
      void route.close({ code: 1001, reason: "offline" })
      return
    }
    const server = route.connectToServer()
    routes.add(route)
    route.onClose(() => {
      routes.delete(route)
      void server.close()
    })
  })
  const page = await context.newPage()
  await page.goto(`/d/${doc}`)
  await page.getByTestId("your-name").fill(name)
  await page.getByTestId("your-name").press("Enter")
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  return {
    context,
    page,
    async setOnline(next) {
      online = next
      if (!next) await Promise.all([...routes].map((route) => route.close({ code: 1001, reason: "offline" })))
    },
  }
}

/** The editor's document text, from CodeMirror's state rather than the DOM (which holds name labels too). */
export function editorText(page: Page): Promise<string> {
  return page.evaluate(() => window.tandemEditor!.view.state.doc.toString())
}

/** Clicks at the end of the editor's text, ready to type. */
export async function focusEnd(page: Page): Promise<void> {
  await page.locator(".cm-content").click()
  await page.keyboard.press("Control+End")
}

/** Opens the header's "More" menu (Markdown, spellcheck, download, rename, delete) unless it is open. */
export async function openMore(page: Page): Promise<void> {
  const open = await page.locator("details.more").evaluate((details) => (details as HTMLDetailsElement).open)
  if (!open) await page.getByTestId("more").click()
}
