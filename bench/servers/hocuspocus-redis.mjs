// @hocuspocus/server 3.4.4 with @hocuspocus/extension-redis 3.4.4 (the last releases for Node 20),
// one instance of several: in memory otherwise, as hocuspocus.mjs, with Redis carrying each
// change to the other instances, as the extension's README sets it up.
// Usage: node hocuspocus-redis.mjs PORT DATA_DIR REDIS_URL (DATA_DIR is unused)
import { Redis } from "@hocuspocus/extension-redis"
import { Server } from "@hocuspocus/server"

const [port, , redisUrl] = process.argv.slice(2)
// Every instance but the one holding a document's lock stops its store hooks with an error that
// has no message, which the extension calls expected; the server logs it all the same, several
// times a second here. That one message is left out of the output; any other error is printed.
const logError = console.error
console.error = (...args) => {
  const [what, error] = args
  if (what === "Caught error during storeDocumentHooks" && error instanceof Error && error.message === "" && error.cause === "Could not acquire lock, another instance locked it already.") return
  logError(...args)
}
const redis = new URL(redisUrl)
const server = new Server({
  port: Number(port),
  address: "127.0.0.1",
  quiet: true,
  stopOnSignals: false,
  extensions: [new Redis({ host: redis.hostname, port: Number(redis.port) })],
})
await server.listen()
process.send?.("ready")
process.on("SIGTERM", () => process.exit(0))
