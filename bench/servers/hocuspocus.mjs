// @hocuspocus/server 3.4.4 (the last line that runs on Node 20), in memory, no extensions.
import { Server } from "@hocuspocus/server"

const [port] = process.argv.slice(2)
const server = new Server({ port: Number(port), address: "127.0.0.1", quiet: true, stopOnSignals: false })
await server.listen()
process.send?.("ready")
process.on("SIGTERM", () => process.exit(0))
