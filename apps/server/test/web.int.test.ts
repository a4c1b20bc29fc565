import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { once } from "node:events"
import { request, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { brotliCompressSync, gzipSync } from "node:zlib"
import express from "express"
import { describe, expect, it, onTestFinished } from "vitest"
import { webAppRoutes } from "../src/web.js"

const script = "console.log('tandem');\n".repeat(100)

/** A built app as apps/web's build leaves it, served on port 0; returns its base URL. */
async function serveBuild(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tandem-web-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, "assets"))
  writeFileSync(join(dir, "index.html"), '<!doctype html><script src="/assets/app-abc123.js"></script>')
  writeFileSync(join(dir, "assets", "app-abc123.js"), script)
  writeFileSync(join(dir, "assets", "app-abc123.js.br"), brotliCompressSync(script))
  writeFileSync(join(dir, "assets", "app-abc123.js.gz"), gzipSync(script))
  writeFileSync(join(dir, "assets", "app-abc123.js.map"), "{}")
  writeFileSync(join(dir, "assets", "plain-def456.css"), "body{}")
  // The service worker is precompressed like any script; the manifest is too small to be.
  writeFileSync(join(dir, "sw.js"), script)
  writeFileSync(join(dir, "sw.js.br"), brotliCompressSync(script))
  writeFileSync(join(dir, "manifest.webmanifest"), '{"name":"Tandem"}')
  const app = express()
  app.use(webAppRoutes(dir)!)
  const server = app.listen(0, "127.0.0.1")
  await once(server, "listening")
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A raw GET: headers and undecoded body bytes. */
async function get(url: string, acceptEncoding?: string): Promise<{ response: IncomingMessage; body: Buffer }> {
  const req = request(url, { headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } })
  req.end()
  const [response] = (await once(req, "response")) as [IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  return { response, body: Buffer.concat(chunks) }
}

describe("webAppRoutes", () => {
  it("sends brotli to browsers that take it, even when they list gzip first, with the type of the original", async () => {
    const base = await serveBuild()
    const { response, body } = await get(`${base}/assets/app-abc123.js`, "gzip, deflate, br, zstd")
    expect(response.statusCode).toBe(200)
    expect(response.headers["content-encoding"]).toBe("br")
    expect(response.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(response.headers.vary).toContain("Accept-Encoding")
    expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
    expect(Number(response.headers["content-length"])).toBe(body.byteLength)
    expect(body).toEqual(brotliCompressSync(script))
  })

  it("sends gzip to browsers without brotli, and the plain file to the rest", async () => {
    const base = await serveBuild()
    const gz = await get(`${base}/assets/app-abc123.js`, "gzip")
    expect(gz.response.headers["content-encoding"]).toBe("gzip")
    expect(gz.body).toEqual(gzipSync(script))
    for (const acceptEncoding of [undefined, "identity", "br;q=0, gzip;q=0"]) {
      const plain = await get(`${base}/assets/app-abc123.js`, acceptEncoding)
      expect(plain.response.headers["content-encoding"]).toBeUndefined()
      expect(plain.response.headers["content-type"]).toMatch(/^text\/javascript/)
      expect(plain.response.headers.vary).toContain("Accept-Encoding")
      expect(plain.body.toString()).toBe(script)
    }
  })

  it("sends a file the build did not compress as it is, and never a source map", async () => {
    const base = await serveBuild()
    const css = await get(`${base}/assets/plain-def456.css`, "br, gzip")
    expect(css.response.statusCode).toBe(200)
    expect(css.response.headers["content-encoding"]).toBeUndefined()
    expect(css.body.toString()).toBe("body{}")
    expect((await get(`${base}/assets/app-abc123.js.map`, "br")).response.statusCode).toBe(404)
    const page = await get(`${base}/d/team/notes`)
    expect(page.response.headers["cache-control"]).toBe("no-cache")
    expect(page.body.toString()).toContain("/assets/app-abc123.js")
  })

  it("makes browsers ask again for the service worker and the manifest each time, compressed or not", async () => {
    const base = await serveBuild()
    const compressed = await get(`${base}/sw.js`, "br")
    expect(compressed.response.headers["content-encoding"]).toBe("br")
    expect(compressed.response.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(compressed.response.headers["cache-control"]).toBe("no-cache")
    expect((await get(`${base}/sw.js`)).response.headers["cache-control"]).toBe("no-cache")
    const manifest = await get(`${base}/manifest.webmanifest`, "br, gzip")
    expect(manifest.response.headers["content-type"]).toMatch(/^application\/manifest\+json/)
    expect(manifest.response.headers["cache-control"]).toBe("no-cache")
    expect(JSON.parse(manifest.body.toString())).toEqual({ name: "Tandem" })
  })

  it("answers the app's pages with 200, and a bad document name or an unknown page with the app and a 404", async () => {
    const base = await serveBuild()
    const status = async (path: string) => (await get(`${base}${path}`)).response.statusCode
    expect(await status("/")).toBe(200)
    expect(await status("/admin")).toBe(200)
    expect(await status("/d/team/notes")).toBe(200)
    const bad = await get(`${base}/d/team/../notes%00`)
    expect(bad.response.statusCode).toBe(404)
    expect(bad.body.toString()).toContain("<!doctype html>")
    const unknown = await get(`${base}/nope`)
    expect(unknown.response.statusCode).toBe(404)
    expect(unknown.body.toString()).toContain("<!doctype html>")
    // Not the page: the API's own 404 (Express's, here).
    expect((await get(`${base}/api/nope`)).body.toString()).not.toContain("<!doctype html>")
  })
})
