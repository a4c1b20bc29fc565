import { mkdtempSync, rmSync } from "node:fs"
import { request } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as prng from "lib0/prng"
import { describe, expect, it, onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { startNginx, startPostgres, startRedis, type NginxService } from "../../../scripts/services.mjs"
import { startApp, type App } from "./app.js"

// The deployment of compose.yaml on loopback: the built server behind nginx configured by
// deploy/nginx.conf.template, stock y-websocket providers connecting through wss://.
const seed = Number(process.env.TANDEM_SEED ?? 4242)
const providers = 4
const editsPerProvider = 25

/** A `ws` WebSocket class that trusts `ca`, for y-websocket's `WebSocketPolyfill`. */
function trusting(ca: string): typeof globalThis.WebSocket {
  class TrustingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { ca })
    }
  }
  return TrustingWebSocket as unknown as typeof globalThis.WebSocket
}

function connect(proxy: NginxService, doc: string): WebsocketProvider {
  const p = new WebsocketProvider(`${proxy.wssUrl}/sync`, doc, new Y.Doc(), { WebSocketPolyfill: trusting(proxy.ca), disableBc: true })
  onTestFinished(() => p.destroy())
  return p
}

function synced(p: WebsocketProvider): Promise<void> {
  return new Promise((resolve) => (p.synced ? resolve() : p.once("sync", () => resolve())))
}

/** Resolves once `check()` holds, checking after every change of `doc`. */
function until(doc: Y.Doc, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const onUpdate = () => {
      if (!check()) return
      doc.off("update", onUpdate)
      resolve()
    }
    doc.on("update", onUpdate)
    onUpdate()
  })
}

/** An HTTPS request through the proxy, trusting its certificate; resolves with status and body. */
function send(proxy: NginxService, method: string, path: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${proxy.url}${path}`, { method, ca: proxy.ca, agent: false }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (text += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }))
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(body)
  })
}

/**
 * Each provider inserts `editsPerProvider` markers `p<i>r<round>e<n>;` between the markers it
 * has, at random, all at once and without waiting for the others; resolves with the markers once
 * every provider holds all of them. A concurrent insert is never split, so whole markers arrive.
 */
async function editConcurrently(gen: prng.PRNG, ps: WebsocketProvider[], round: number): Promise<string[]> {
  const markers: string[] = []
  for (let n = 0; n < editsPerProvider; n++) {
    for (const [i, p] of ps.entries()) {
      const text = p.doc.getText("content")
      const ends = [...text.toString().matchAll(/;/g)].map((match) => match.index + 1)
      const marker = `p${i}r${round}e${n};`
      text.insert(prng.oneOf(gen, [0, ...ends]), marker)
      markers.push(marker)
    }
  }
  await Promise.all(ps.map((p) => until(p.doc, () => markers.every((m) => p.doc.getText("content").toString().includes(m)))))
  return markers
}

/** Every provider's text, which must be one and the same. */
function convergedText(ps: WebsocketProvider[]): string {
  const texts = ps.map((p) => p.doc.getText("content").toString())
  for (const text of texts) expect(text, `seed ${seed}`).toBe(texts[0])
  return texts[0]!
}

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-proxy-"))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function proxyFor(apps: App[]): Promise<NginxService> {
  const proxy = await startNginx({ upstreams: apps.map((app) => `127.0.0.1:${app.port}`) })
  onTestFinished(() => proxy.stop())
  return proxy
}

describe("two instances on PostgreSQL and Redis behind the TLS proxy of deploy/nginx.conf.template", () => {
  it(`serves stock y-websocket clients over wss:// from both instances, and from the other when one stops (seed ${seed})`, async () => {
    const gen = prng.create(seed)
    const postgres = await startPostgres()
    onTestFinished(() => postgres.stop())
    const redis = await startRedis()
    onTestFinished(() => redis.stop())
    const env = { TANDEM_DATABASE_URL: postgres.url, TANDEM_REDIS_URL: redis.url }
    const apps = [await startApp(tempDataDir(), env), await startApp(tempDataDir(), env)]
    const proxy = await proxyFor(apps)
    const doc = "proxy/doc"
    expect((await send(proxy, "GET", "/healthz")).status).toBe(200)

    // nginx hands new connections to the instances in turn, so connecting one provider at a time
    // spreads them over both; which landed where is seen below, when one instance stops.
    const ps: WebsocketProvider[] = []
    for (let i = 0; i < providers; i++) {
      const p = connect(proxy, doc)
      await synced(p)
      ps.push(p)
    }
    const closed = new Set<WebsocketProvider>()
    for (const p of ps) p.on("connection-close", () => closed.add(p))
    const first = await editConcurrently(gen, ps, 0)
    const text = convergedText(ps)
    expect(text.length).toBe(first.join("").length)
    // Two requests in a row go to one instance each; both hold the same text.
    for (let i = 0; i < apps.length; i++) expect(await send(proxy, "GET", `/api/docs/${doc}/text`)).toEqual({ status: 200, body: text })
    // The proxy lets a body up to the frame limit through, so Tandem answers one past it itself.
    const tooBig = await send(proxy, "PUT", `/api/docs/${doc}/text`, Buffer.alloc((16 << 20) + 1, "a"))
    expect(tooBig.status).toBe(413)
    expect(JSON.parse(tooBig.body)).toMatchObject({ error: "too-large" })

    // Stopping the second instance closes the sockets it served, and only those. Everyone edits
    // at once again: the providers it served can only receive the others' edits (and deliver the
    // ones they made meanwhile) by coming back through the proxy, which sends them to the first.
    const [, second] = apps
    second!.child.kill("SIGTERM")
    expect(await second!.exited).toBe(0)
    const next = await editConcurrently(gen, ps, 1)
    expect(closed.size, "providers the stopped instance served").toBeGreaterThan(0)
    expect(closed.size, "providers the running instance served").toBeLessThan(providers)
    const after = convergedText(ps)
    expect(after.length).toBe(first.join("").length + next.join("").length)
    expect(await send(proxy, "GET", `/api/docs/${doc}/text`)).toEqual({ status: 200, body: after })
  })
})
