import { defaultClientConditions, defineConfig } from "vite"

// `pnpm --filter @tandem/web dev` serves the app with hot reload and forwards sync and API
// requests to a running server (TANDEM_SERVER, default http://localhost:1234).
const server = process.env.TANDEM_SERVER ?? "http://localhost:1234"

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources.
  resolve: { conditions: ["source", ...defaultClientConditions] },
  // One bundle of about 600 kB (CodeMirror, Yjs, Markdown); served once and cached.
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    proxy: {
      "/sync": { target: server, ws: true },
      "/api": { target: server },
    },
  },
  appType: "spa",
})
