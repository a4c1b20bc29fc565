import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { brotliCompress, constants, gzip } from "node:zlib"
import { defaultClientConditions, defineConfig, type Plugin } from "vite"

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

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources.
  resolve: { conditions: ["source", ...defaultClientConditions] },
  // One bundle of about 650 kB (CodeMirror, Yjs, Markdown), about 190 kB as brotli; served once
  // and cached. No source maps: the served build is the public one.
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  plugins: [precompress()],
  server: {
    proxy: {
      "/sync": { target: server, ws: true },
      "/collab": { target: server, ws: true },
      "/api": { target: server },
    },
  },
  appType: "spa",
})
