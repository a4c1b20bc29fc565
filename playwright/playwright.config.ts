import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { defineConfig } from "@playwright/test"

// The config is read by the runner and again by each worker; the data folder is made once.
process.env.TANDEM_E2E_DATA ??= mkdtempSync(join(tmpdir(), "tandem-e2e-"))
const port = Number(process.env.TANDEM_E2E_PORT ?? 4477)
const root = fileURLToPath(new URL("..", import.meta.url))
const reports = join(root, "node_modules", ".tandem", "reports")

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  workers: 2,
  timeout: 60_000,
  // Overridable so that several runs can share the checkout (each with its own port too).
  outputDir: process.env.TANDEM_E2E_OUTPUT ?? join(root, "playwright", "test-results"),
  reporter: [["list"], ["json", { outputFile: process.env.TANDEM_E2E_REPORT ?? join(reports, "playwright.json") }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "on-first-retry",
    permissions: ["clipboard-read", "clipboard-write"],
    launchOptions: {
      executablePath: process.env.TANDEM_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // The real server, as `npm start` runs it, on its own data folder (`npm test` builds it first).
  webServer: {
    command: `node ${join(root, "apps", "server", "dist", "main.js")}`,
    url: `http://127.0.0.1:${port}/healthz`,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      TANDEM_DATA_DIR: process.env.TANDEM_E2E_DATA,
      TANDEM_ADMIN_TOKEN: "e2e-admin-token",
      // A web build of its own (`vite build --outDir …`), else apps/web/dist.
      ...(process.env.TANDEM_WEB_DIR ? { TANDEM_WEB_DIR: process.env.TANDEM_WEB_DIR } : {}),
    },
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
  },
})
