import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { brotliCompress, constants, gzip } from "node:zlib"
import { defaultClientConditions, defineConfig, type Plugin } from "vite"
import { VitePWA } from "vite-plugin-pwa"

const brotli = promisify(brotliCompress)
const gzipAsync = promisify(gzip)

/**
 * Writes a `.br` and a `.gz` beside every built text file of 1 KB or more, once, at build time,
 * at the highest levels: the server (apps/server/src/web.ts) sends them to browsers that accept
 * them, so nothing is compressed per request.
 */
function precompress(): Plugin {
  let outDir = "dist"
  return {
    name: "tandem-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir
    },
    async closeBundle() {
      const entries = await readdir(outDir, { recursive: true, withFileTypes: true })
      const files = entries.filter((entry) => entry.isFile() && /\.(js|css|html|svg|json|webmanifest)$/.test(entry.name))
      await Promise.all(
        files.map(async (entry) => {
          const path = join(entry.parentPath, entry.name)
          const body = await readFile(path)
          if (body.byteLength < 1024) return
          const [br, gz] = await Promise.all([
            brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength } }),
            gzipAsync(body, { level: constants.Z_BEST_COMPRESSION }),
          ])
          await Promise.all([writeFile(`${path}.br`, br), writeFile(`${path}.gz`, gz)])
        }),
      )
    },
  }
}

// `pnpm --filter @tandem/web dev` serves the app with hot reload and forwards sync and API
// requests to a running server (TANDEM_SERVER, default http://localhost:1234).
const server = process.env.TANDEM_SERVER ?? "http://localhost:1234"

/**
 * The installable app: a manifest, and a service worker (Workbox, generated at build time) that
 * precaches the built shell, so a document this browser has opened before opens from its
 * IndexedDB copy while the server is unreachable. Pages (`/`, `/d/<doc>`) are answered with the
 * cached `index.html`; the server's own paths always go to the network. Registered by src/pwa.ts.
 */
function installableApp(): Plugin[] {
  return VitePWA({
    // A new build's worker waits until every Tandem tab is closed rather than taking over and
    // reloading a page someone is typing in; until then each page keeps its own build's files.
    registerType: "prompt",
    // src/pwa.ts registers it (through `virtual:pwa-register`); nothing is injected into the page.
    injectRegister: false,
    includeAssets: ["favicon.svg", "apple-touch-icon.png"],
    manifest: {
      name: "Tandem",
      short_name: "Tandem",
      description: "Write together: open a document by its name, share the link, edit at the same time.",
      start_url: "/",
      scope: "/",
      display: "standalone",
      theme_color: "#1f6fd1",
      background_color: "#f6f7f9",
      icons: [
        { src: "/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
        { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
        { src: "/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
      ],
    },
    workbox: {
      // The shell only. The .br/.gz copies beside the files are the server's business: the
      // worker fetches each file once, and the browser negotiates the encoding as usual.
      globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
      globIgnores: ["**/*.{br,gz,map}"],
      navigateFallback: "/index.html",
      navigateFallbackAllowlist: [/^\/$/, /^\/d\//],
      // Served by the server, never by the worker, even were the allowlist widened.
      navigateFallbackDenylist: [/^\/(api|sync|collab|admin|healthz|metrics)(\/|$)/],
      cleanupOutdatedCaches: true,
    },
  })
}

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources.
  resolve: { conditions: ["source", ...defaultClientConditions] },
  // The start page loads the home chunk only; the document page (CodeMirror, Yjs, Markdown) and
  // the admin page are imported when their URL is opened (src/main.ts). No source maps: the
  // served build is the public one. The manifest (.vite/manifest.json) lists each chunk's
  // imports, for checking what a page pulls in.
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024, manifest: true },
  plugins: [precompress(), installableApp()],
  server: {
    proxy: {
      "/sync": { target: server, ws: true },
      "/collab": { target: server, ws: true },
      "/api": { target: server },
    },
  },
  appType: "spa",
})
