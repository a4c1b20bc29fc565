import { createServer } from "node:http"
import { once } from "node:events"
import type { AddressInfo } from "node:net"
import { describe, expect, it, onTestFinished } from "vitest"
import { WebSocketServer } from "ws"
import { setupWSConnection } from "@y/websocket-server/utils"
import { connect, until, untilText } from "./helpers.js"

/** The stock y-websocket server, in memory, as its README starts it. */
async function startStockServer(): Promise<{ url: string }> {
  const http = createServer((_req, res) => res.end("ok"))
  const wss = new WebSocketServer({ noServer: true })
  wss.on("connection", (conn, req) => setupWSConnection(conn, req))
  http.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)))
  http.listen(0, "127.0.0.1")
  await once(http, "listening")
  onTestFinished(async () => {
    for (const client of wss.clients) client.terminate()
    wss.close()
    http.closeAllConnections()
    await new Promise((resolve) => http.close(resolve))
  })
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/sync` }
}

describe("against a stock y-websocket server", () => {
  it("syncs, and reports saves as never confirmed rather than pretending", async () => {
    const server = await startStockServer()
    const a = connect(server, "stock/doc")
    const b = connect(server, "stock/doc")
    await Promise.all([a.whenSynced(), b.whenSynced()])
    a.ydoc.getText("content").insert(0, "hello from a")
    await untilText(b.ydoc, "hello from a")
    b.ydoc.getText("content").insert(0, ">> ")
    await untilText(a.ydoc, ">> hello from a")
    expect(await until(a, (s) => s.synced)).toMatchObject({ connection: "connected", savesConfirmed: false, unsaved: 1 })
  })
})
