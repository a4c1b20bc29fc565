// @y/websocket-server 0.1.1 (its last release for Yjs v13), in memory, as its README starts it.
import { createServer } from "node:http"
import { setupWSConnection } from "@y/websocket-server/utils"
import { WebSocketServer } from "ws"

const [port] = process.argv.slice(2)
const server = createServer((_req, res) => res.end("ok"))
const wss = new WebSocketServer({ noServer: true })
wss.on("connection", (conn, req) => setupWSConnection(conn, req))
server.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)))
server.listen(Number(port), "127.0.0.1", () => process.send?.("ready"))
process.on("SIGTERM", () => process.exit(0))
