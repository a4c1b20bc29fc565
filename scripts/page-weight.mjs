#!/usr/bin/env node
// Usage: node scripts/page-weight.mjs <base URL> [document name]
//
// Prints the bytes a first visit transfers (headers + compressed bodies, as Chromium receives
// them with `Accept-Encoding: br, gzip`) for the start page and for a document page of a running
// Tandem server. Each page is loaded in a fresh browser context (empty cache, no service worker)
// and measured once its network is idle: for the document page, after the editor shows, so the
// lazily imported chunks are counted. What a service worker then fetches in the background (its
// precache) is listed on its own line, since the page does not wait for it.
//
// A real browser rather than fetch(): which chunks a page imports, and when, is the app's
// business, and only the browser knows the bytes it actually received.
import { createRequire } from "node:module"

const require = createRequire(new URL("../playwright/package.json", import.meta.url))
const { chromium } = require("@playwright/test")

const [base, doc = "page-weight-probe"] = process.argv.slice(2)
if (!base) {
  console.error("usage: node scripts/page-weight.mjs <base URL> [document name]")
  process.exit(2)
}

/** How long a page may take to go idle, and a service worker to finish installing. */
const timeoutMs = 30_000

/**
 * Loads `path` in a fresh context and resolves to the page's responses and its service worker's,
 * each `{ url, type, status, encoding, bytes, body }` (bytes = headers + encoded body).
 */
async function measure(browser, path, ready) {
  const context = await browser.newContext()
  const seen = []
  context.on("requestfinished", (request) => seen.push(request))
  const page = await context.newPage()
  await page.goto(new URL(path, base).href, { waitUntil: "networkidle", timeout: timeoutMs })
  await ready(page)
  await page.waitForLoadState("networkidle", { timeout: timeoutMs })
  // The precache is complete once the worker is active; a build without one has no registration.
  const hasWorker = await page.evaluate(async (ms) => {
    if (!("serviceWorker" in navigator) || !(await navigator.serviceWorker.getRegistration())) return false
    await Promise.race([navigator.serviceWorker.ready, new Promise((_, reject) => setTimeout(() => reject(new Error("service worker not ready")), ms))])
    return true
  }, timeoutMs)
  const rows = []
  for (const request of seen) {
    const response = await request.response()
    if (!response) continue
    const sizes = await request.sizes()
    const headers = await response.allHeaders()
    rows.push({
      url: new URL(request.url()).pathname,
      type: request.resourceType(),
      from: request.serviceWorker() ? "worker" : "page",
      status: response.status(),
      encoding: headers["content-encoding"] ?? "-",
      bytes: sizes.responseHeadersSize + sizes.responseBodySize,
      body: sizes.responseBodySize,
    })
  }
  await context.close()
  return { rows, hasWorker }
}

function kb(n) {
  return `${(n / 1024).toFixed(1)} KB`
}

function report(title, { rows, hasWorker }) {
  console.log(`\n${title}`)
  for (const row of rows) {
    console.log(`  ${row.from.padEnd(6)} ${String(row.status).padEnd(4)} ${row.encoding.padEnd(5)} ${kb(row.bytes).padStart(10)}  ${row.type.padEnd(10)} ${row.url}`)
  }
  const page = rows.filter((row) => row.from === "page")
  const worker = rows.filter((row) => row.from === "worker")
  const sum = (list, key) => list.reduce((total, row) => total + row[key], 0)
  const scripts = page.filter((row) => row.type === "script")
  console.log(`  page: ${kb(sum(page, "bytes"))} transferred (${kb(sum(page, "body"))} bodies) in ${page.length} responses; JavaScript ${kb(sum(scripts, "bytes"))} in ${scripts.length}`)
  if (hasWorker) console.log(`  service worker, in the background: ${kb(sum(worker, "bytes"))} in ${worker.length} responses`)
  else console.log("  no service worker")
}

const browser = await chromium.launch({ executablePath: process.env.TANDEM_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] })
try {
  report("Start page /", await measure(browser, "/", async () => {}))
  report(
    `Document page /d/${doc}`,
    await measure(browser, `/d/${doc}`, async (page) => {
      await page.locator(".cm-content").waitFor({ timeout: timeoutMs })
    }),
  )
} finally {
  await browser.close()
}
