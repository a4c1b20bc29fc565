// Takes the README's screenshots of the web app: light and dark, desktop and phone, with two
// people on one document. Run after a build: `pnpm --filter @tandem/e2e run screenshots`.
// Starts the built server on a temporary data folder and a free loopback port, and stops it.
import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "@playwright/test"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = join(root, "apps", "web", "screenshots")
const doc = "team/launch-plan.md"
const text = `# Launch plan

We ship **Tandem 1.0** on Monday. Everything below is shared live with the team.

## Before the launch
- Freeze the release branch on Thursday
- Run the benchmarks against the anchors, side by side
- Write the announcement (draft in *Notes*)

## On the day
1. Tag the release
2. Publish the packages
3. Post the announcement
`

const dataDir = mkdtempSync(join(tmpdir(), "tandem-shots-"))
const server = spawn(process.execPath, [join(root, "apps", "server", "dist", "main.js")], {
  env: { ...process.env, PORT: "0", HOST: "127.0.0.1", TANDEM_DATA_DIR: dataDir, TANDEM_LOG_LEVEL: "info" },
  stdio: ["ignore", "pipe", "pipe"],
})
const port = await new Promise((resolve, reject) => {
  let output = ""
  const onData = (chunk) => {
    output += chunk
    const match = /listening on http:\/\/[^\s:]+:(\d+)/.exec(output)
    if (match) resolve(Number(match[1]))
  }
  server.stdout.on("data", onData)
  server.stderr.on("data", onData)
  server.once("exit", (code) => reject(new Error(`the server exited (${code}):\n${output}`)))
})
const baseURL = `http://127.0.0.1:${port}`

const browser = await chromium.launch({
  executablePath: process.env.TANDEM_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
})
try {
  const put = await fetch(`${baseURL}/api/docs/${doc}/text`, { method: "PUT", body: text, headers: { "content-type": "text/plain" } })
  if (!put.ok) throw new Error(`PUT ${doc}: ${put.status}`)
  mkdirSync(out, { recursive: true })

  /** One person on the document, named `name`, their caret after `after`. */
  async function person(name, options, after) {
    const context = await browser.newContext({ baseURL, ...options })
    const page = await context.newPage()
    await page.goto(`/d/${doc}`)
    await page.getByTestId("your-name").fill(name)
    await page.getByTestId("your-name").press("Enter")
    await page.getByTestId("sync").and(page.locator('[data-state="saved"]')).waitFor()
    await page.evaluate((after) => {
      const view = window.tandemEditor.view
      const at = view.state.doc.toString().indexOf(after) + after.length
      view.focus()
      view.dispatch({ selection: { anchor: at } })
    }, after)
    return { context, page }
  }

  const bob = await person("Bob", {}, "Publish the packages")
  for (const [scheme, viewport, file] of [
    ["light", { width: 1280, height: 760 }, "desktop-light.png"],
    ["dark", { width: 1280, height: 760 }, "desktop-dark.png"],
    ["light", { width: 390, height: 844 }, "phone-light.png"],
    ["dark", { width: 390, height: 844 }, "phone-dark.png"],
  ]) {
    const alice = await person("Alice", { colorScheme: scheme, viewport, deviceScaleFactor: viewport.width < 500 ? 2 : 1 }, "on Thursday")
    // Bob moves, so his name shows beside his caret for a moment.
    await bob.page.keyboard.press("End")
    await alice.page.locator(".cm-ySelectionCaret").first().waitFor()
    await alice.page.screenshot({ path: join(out, file) })
    console.log(`wrote ${join("apps", "web", "screenshots", file)}`)
    await alice.context.close()
  }
  await bob.context.close()
} finally {
  await browser.close()
  server.kill("SIGTERM")
  await once(server, "exit")
  rmSync(dataDir, { recursive: true, force: true })
}
