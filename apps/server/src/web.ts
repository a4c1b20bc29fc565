import { existsSync } from "node:fs"
import { join } from "node:path"
import express, { type RequestHandler } from "express"

/**
 * Serves the built web app from `dir`: its assets, and its page for `/`, `/d/<doc>` and
 * `/admin`. Returns `null` when `dir` holds no built app.
 */
export function webAppRoutes(dir: string): RequestHandler | null {
  const indexHtml = join(dir, "index.html")
  if (!existsSync(indexHtml)) return null
  const router = express.Router()
  router.get(["/", "/d/{*doc}", "/admin"], (_req, res) => {
    // The page is small and changes with each build; assets have hashed names and are cached.
    res.setHeader("Cache-Control", "no-cache")
    res.sendFile(indexHtml)
  })
  router.use("/assets", express.static(join(dir, "assets"), { immutable: true, maxAge: "1y", index: false }))
  router.use(express.static(dir, { index: false }))
  return router
}
