import { existsSync, readdirSync } from "node:fs"
import { extname, join, relative, sep } from "node:path"
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
 * `/admin`. Text assets go out precompressed (brotli or gzip, written by the build) to browsers
 * that accept it; hashed assets are cached for a year; source maps are never served. Returns
 * `null` when `dir` holds no built app.
 */
export function webAppRoutes(dir: string): RequestHandler | null {
  const indexHtml = join(dir, "index.html")
  if (!existsSync(indexHtml)) return null
  const files = builtFiles(dir)
  const router = express.Router()
  router.get(["/", "/d/{*doc}", "/admin"], (_req, res) => {
    // The page is small and changes with each build; assets have hashed names and are cached.
    res.setHeader("Cache-Control", "no-cache")
    res.sendFile(indexHtml)
  })
  // A map left in the folder by a development build stays private.
  router.get(/\.map$/, (_req, res) => {
    res.sendStatus(404)
  })
  router.use(precompressed(files))
  const staticOptions = { index: false, setHeaders: setEncodingHeaders }
  router.use("/assets", express.static(join(dir, "assets"), { ...staticOptions, immutable: true, maxAge: "1y" }))
  router.use(express.static(dir, staticOptions))
  return router
}
