import { existsSync, readdirSync } from "node:fs"
import { extname, join, relative, sep } from "node:path"
import { parseDocName } from "@tandem/protocol"
import express, { type RequestHandler } from "express"

/** Content types of the files the web build precompresses (apps/web/vite.config.ts). */
const compressibleTypes: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
}

/**
 * Files at fixed names that say which build is current: the service worker (and the script that
 * registers it, when the build writes one) and the app manifest. A browser must ask for them
 * again each time (`no-cache`), or it would keep running an old build.
 */
const revalidated = new Set(["/sw.js", "/registerSW.js", "/manifest.webmanifest"])

/** Encodings the build writes, by file suffix, in the order preferred when a browser takes both. */
const encodings = [
  { name: "br", suffix: ".br" },
  { name: "gzip", suffix: ".gz" },
] as const

/** The URL paths (`/assets/x.js.br`) of every file in `dir`, read once: the build does not change. */
function builtFiles(dir: string): Set<string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
  return new Set(files.map((entry) => `/${relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/")}`))
}

/**
 * Sends the precompressed variant of a built file when the browser accepts it: rewrites the URL
 * to the `.br` or `.gz` file for `express.static` and remembers the encoding for
 * {@link setEncodingHeaders}. Only files the build wrote are considered, so no request reaches
 * the disk for a variant that does not exist.
 */
function precompressed(files: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next()
    const type = compressibleTypes[extname(req.path)]
    if (!type) return next()
    // Caches must key on the encoding whichever variant this response is.
    res.vary("Accept-Encoding")
    // Asked one at a time: browsers list gzip before br at equal weight, and br is smaller.
    const encoding = encodings.find((candidate) => req.acceptsEncodings(candidate.name) === candidate.name && files.has(`${req.path}${candidate.suffix}`))
    if (!encoding) return next()
    res.locals.encoding = { name: encoding.name, type }
    req.url = `${req.path}${encoding.suffix}`
    next()
  }
}

/** express.static's `setHeaders`: the encoding and the original file's type for a precompressed variant. */
function setEncodingHeaders(res: express.Response): void {
  const encoding = (res.locals as { encoding?: { name: string; type: string } }).encoding
  if (!encoding) return
  // Set before express.static picks a type from the file name, which it then leaves alone.
  res.setHeader("Content-Encoding", encoding.name)
  res.setHeader("Content-Type", encoding.type)
}

/**
 * Serves the built web app from `dir`: its assets, and its page for `/`, `/d/<doc>` and
 * `/admin` (a `/d/` path that is not a document name, and any other unknown page, get it with a
 * 404, and the app says so). Text assets go out precompressed (brotli or gzip, written by the build) to browsers
 * that accept it; hashed assets are cached for a year, the service worker and manifest never
 * without asking; source maps are never served. Returns
 * `null` when `dir` holds no built app.
 */
export function webAppRoutes(dir: string): RequestHandler | null {
  const indexHtml = join(dir, "index.html")
  if (!existsSync(indexHtml)) return null
  const files = builtFiles(dir)
  const router = express.Router()
  // The page is small and changes with each build; assets have hashed names and are cached.
  // The app shows what a path is, or that it is nothing; the status says the same to machines.
  const page =
    (status: number): RequestHandler =>
    (_req, res) => {
      res.status(status).setHeader("Cache-Control", "no-cache")
      res.sendFile(indexHtml)
    }
  router.get(["/", "/admin"], page(200))
  router.get("/d/{*doc}", (req, res, next) => page(parseDocName(req.path.slice("/d/".length)) ? 200 : 404)(req, res, next))
  // A map left in the folder by a development build stays private.
  router.get(/\.map$/, (_req, res) => {
    res.sendStatus(404)
  })
  // Before the URL is rewritten to a .br or .gz variant; express.static keeps a Cache-Control it finds set.
  router.use((req, res, next) => {
    if (revalidated.has(req.path)) res.setHeader("Cache-Control", "no-cache")
    next()
  })
  router.use(precompressed(files))
  const staticOptions = { index: false, setHeaders: setEncodingHeaders }
  router.use("/assets", express.static(join(dir, "assets"), { ...staticOptions, immutable: true, maxAge: "1y" }))
  router.use(express.static(dir, staticOptions))
  // Any other page a browser asks for: the app's not-found page, with a 404. The API and
  // metrics keep their own answers.
  router.get("/{*rest}", (req, res, next) => (/^\/(api|metrics|sync|collab)(\/|$)/.test(req.path) ? next() : page(404)(req, res, next)))
  return router
}
