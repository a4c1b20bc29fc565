// The limit of this machine for any relay: forwards each frame to the other sockets of its room
// (the URL path), decoding nothing and storing nothing.
import { createServer } from "node:http"
import { WebSocketServer } from "ws"

const [port] = process.argv.slice(2)
const rooms = new Map()
const server = createServer((_req, res) => res.end("ok"))
const wss = new WebSocketServer({ server, perMessageDeflate: false })
wss.on("connection", (ws, req) => {
  const name = req.url ?? "/"
  let room = rooms.get(name)
  if (!room) rooms.set(name, (room = new Set()))
  room.add(ws)
  ws.on("message", (data, isBinary) => {
    for (const peer of room) if (peer !== ws) peer.send(data, { binary: isBinary })
  })
  ws.on("close", () => room.delete(ws))
  ws.on("error", () => {})
})
server.listen(Number(port), "127.0.0.1", () => process.send?.("ready"))
process.on("SIGTERM", () => process.exit(0))
