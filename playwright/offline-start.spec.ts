import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, test, type Page, type Response } from "@playwright/test"
import { docFor, editorText, focusEnd } from "./fixtures.js"
import { startOwnServer, type OwnServer } from "./own-server.js"

// Issue 16: the app is installable (manifest, service worker), opens a document this browser has
// opened before while the server is unreachable, and its start page loads no editor code.

/** The document's text as the server stores it, from the documents API; `null` while it has none. */
async function storedText(baseURL: string, doc: string): Promise<string | null> {
  const response = await fetch(`${baseURL}/api/docs/${encodeURIComponent(doc)}/text`)
  return response.status === 200 ? response.text() : null
}

/** Resolves once this page's origin has an activated service worker (its precache is complete). */
async function serviceWorkerActivated(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state ?? null), { message: "the service worker is activated" })
    .toBe("activated")
}

/**
 * Strings found in the built code of the editor's libraries and in no code the start page needs:
 * a CodeMirror class name, a Yjs error message, y-indexeddb's store names.
 */
const editorMarkers = ["cm-content", "Unexpected content type", "IndexeddbPersistence", "tandem:unsaved"]

test("the start page loads no editor code, and the app has a manifest and a service worker", async ({ browser }) => {
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-offline-e2e-"))
  const server = await startOwnServer({ dataDir })
  const context = await browser.newContext({ baseURL: server.url })
  try {
    const page = await context.newPage()
    const scripts: Response[] = []
    page.on("response", (response) => {
      // The page's own scripts; what the service worker precaches later is not the page's load.
      if (response.request().resourceType() === "script" && response.request().serviceWorker() === null) scripts.push(response)
    })
    await page.goto("/", { waitUntil: "networkidle" })
    await expect(page.getByTestId("new-doc")).toBeVisible()
    expect(scripts.length, "the start page loaded its script").toBeGreaterThan(0)
    for (const response of scripts) {
      const url = new URL(response.url()).pathname
      expect(url, "no document page chunk").not.toMatch(/document-page/)
      expect(response.headers()["content-encoding"], `${url} is sent compressed`).toBe("br")
      const code = await response.text()
      for (const marker of editorMarkers) expect(code.includes(marker), `${url} holds no "${marker}"`).toBe(false)
    }

    // Linked from the page, served fresh each time, and what Chromium needs to offer an install.
    const href = await page.locator('link[rel="manifest"]').getAttribute("href")
    expect(href).toBe("/manifest.webmanifest")
    const manifestResponse = await page.request.get(href!)
    expect(manifestResponse.status()).toBe(200)
    expect(manifestResponse.headers()["content-type"]).toMatch(/^application\/manifest\+json/)
    expect(manifestResponse.headers()["cache-control"]).toBe("no-cache")
    const manifest = (await manifestResponse.json()) as { name: string; start_url: string; display: string; icons: Array<{ src: string; sizes: string; type: string }> }
    expect(manifest).toMatchObject({ name: "Tandem", start_url: "/", display: "standalone" })
    for (const size of ["192x192", "512x512"]) {
      const icon = manifest.icons.find((candidate) => candidate.sizes === size && candidate.type === "image/png")
      expect(icon, `a ${size} PNG icon`).toBeDefined()
      const iconResponse = await page.request.get(icon!.src)
      expect(iconResponse.status()).toBe(200)
      expect(iconResponse.headers()["content-type"]).toBe("image/png")
    }
    const worker = await page.request.get("/sw.js")
    expect(worker.status()).toBe(200)
    expect(worker.headers()["cache-control"]).toBe("no-cache")
    await serviceWorkerActivated(page)
    // Only the pages' navigations fall back to the app; the server's paths are left to the server.
    expect((await page.request.get("/api/docs/no-such-doc/text")).headers()["content-type"] ?? "").not.toMatch(/text\/html/)
  } finally {
    await context.close()
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test("a document opened before reloads while the server is down, says so, and its offline edits reach the server", async ({ browser }, info) => {
  test.setTimeout(90_000)
  const doc = docFor(info)
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-offline-e2e-"))
  let server: OwnServer | null = await startOwnServer({ dataDir })
  const port = server.port
  // One context throughout: the service worker and the browser copy (IndexedDB) live in it, and
  // the server comes back on the same port, so the origin, and both of them, stay the same.
  const context = await browser.newContext({ baseURL: server.url })
  try {
    const page = await context.newPage()
    await page.goto(`/d/${doc}`)
    const sync = page.getByTestId("sync")
    const connection = page.getByTestId("connection")
    // The first visit also installs the service worker, which fetches the whole app meanwhile.
    await expect(connection).toHaveAttribute("data-state", "connected", { timeout: 20_000 })
    await focusEnd(page)
    await page.keyboard.type("Written online.")
    await expect(sync).toHaveAttribute("data-state", "saved")
    await serviceWorkerActivated(page)

    await server.stop()
    server = null
    await expect(connection).toHaveAttribute("data-state", "offline")
    // Without the service worker this is Chromium's "This site can't be reached".
    const reloaded = await page.reload()
    expect(reloaded?.fromServiceWorker(), "the page came from the service worker").toBe(true)
    await expect(page.locator(".cm-content")).toBeVisible()
    await expect.poll(() => editorText(page), { message: "the text from the browser copy" }).toBe("Written online.")
    await expect(connection).toHaveAttribute("data-state", /^(offline|connecting)$/)
    await expect(connection).toHaveText(/^(Offline|Connecting…)$/)
    await expect(page.getByTestId("notice")).toContainText("cannot be reached")
    await expect(page.getByTestId("notice")).toContainText("kept on this device")

    await focusEnd(page)
    await page.keyboard.type(" And offline.")
    await expect(sync).toHaveAttribute("data-state", "saved-locally")
    await expect(sync).toHaveText(/kept on this device/)

    server = await startOwnServer({ dataDir, port })
    await expect(connection).toHaveAttribute("data-state", "connected", { timeout: 30_000 })
    await expect(sync).toHaveAttribute("data-state", "saved")
    await expect(page.getByTestId("notice")).toBeHidden()
    expect(await storedText(server.url, doc)).toBe("Written online. And offline.")
  } finally {
    await context.close()
    await server?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
