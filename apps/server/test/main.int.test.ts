import { spawn } from "node:child_process"
import { once } from "node:events"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { main, startApp } from "./app.js"

function provider(port: number, doc: string): WebsocketProvider {
  const p = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  onTestFinished(() => p.destroy())
  return p
}

function synced(p: WebsocketProvider): Promise<void> {
  return new Promise((resolve) => (p.synced ? resolve() : p.once("sync", () => resolve())))
}

describe("the server app", () => {
  it("prints where it listens, stores in TANDEM_DATA_DIR, stops cleanly on SIGTERM and keeps the text", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-app-"))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const first = await startApp(dataDir)
    expect(first.line).toContain(join(dataDir, "tandem.db"))

    const writer = provider(first.port, "app/doc")
    await synced(writer)
    const closeCode = new Promise<number>((resolve) => writer.once("connection-close", (event) => resolve(event?.code ?? 0)))
    const text = writer.doc.getText("content")
    for (let i = 0; i < 100; i++) text.insert(text.length, `line ${i}\n`)
    const expected = text.toString()
    // The edits are stored once the server relays them; a reader seeing them all proves that.
    const reader = provider(first.port, "app/doc")
    await new Promise<void>((resolve) => {
      const check = () => reader.doc.getText("content").toString() === expected && resolve()
      reader.doc.on("afterTransaction", check)
      check()
    })
    writer.shouldConnect = false
    reader.shouldConnect = false
    first.child.kill("SIGTERM")
    const [exitCode] = await once(first.child, "exit")
    expect(exitCode).toBe(0)
    expect(await closeCode).toBe(1001)

    const second = await startApp(dataDir)
    const response = await fetch(`http://127.0.0.1:${second.port}/api/docs/app/doc/text`)
    expect(await response.text()).toBe(expected)
    second.child.kill("SIGINT")
    expect((await once(second.child, "exit"))[0]).toBe(0)
  })

  it("refuses Redis without PostgreSQL with one line and exit code 1", async () => {
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", TANDEM_REDIS_URL: "redis://127.0.0.1:1", TANDEM_DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stderr = ""
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout!.resume()
    const [code] = await once(child, "exit")
    expect(code).toBe(1)
    expect(stderr.trim().split("\n")).toEqual([expect.stringContaining("TANDEM_REDIS_URL needs TANDEM_DATABASE_URL")])
  })
})
