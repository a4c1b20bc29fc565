// A TCP relay between one instance and Redis, which a test can silence or cut.
import { once } from "node:events"
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net"

/**
 * Relays every connection made to {@link RedisLink.url} to the real Redis, byte for byte, until
 * told otherwise. {@link RedisLink.silence} drops every byte either way from then on while the
 * connections stay open: to Redis, and to the client, that is a hung host or a partitioned
 * network, where nothing says goodbye and nothing times out at once. {@link RedisLink.cut} resets
 * every connection and refuses new ones until {@link RedisLink.restore}, as a network failure
 * that the client notices would. {@link RedisLink.close} cuts for good.
 */
export class RedisLink {
  private readonly sockets = new Set<Socket>()
  private silenced = false
  private refusing = false
  private closing: Promise<void> | null = null

  private constructor(
    private readonly server: Server,
    /** `redis://127.0.0.1:PORT` of the relay. */
    readonly url: string,
  ) {}

  /** Starts a relay on a free loopback port to Redis at `redisUrl` (`redis://host:port`). */
  static async open(redisUrl: string): Promise<RedisLink> {
    const target = new URL(redisUrl)
    const server = createServer()
    server.listen(0, "127.0.0.1")
    await once(server, "listening")
    const link = new RedisLink(server, `redis://127.0.0.1:${(server.address() as AddressInfo).port}`)
    server.on("connection", (client) => link.relay(client, target))
    return link
  }

  /** From now on nothing passes either way; connections stay open and new ones are taken, silently. */
  silence(): void {
    this.silenced = true
  }

  /** Resets every connection, and every new one until {@link RedisLink.restore}. */
  cut(): void {
    this.refusing = true
    for (const socket of this.sockets) socket.destroy()
  }

  /** Relays new connections again after {@link RedisLink.cut}. */
  restore(): void {
    this.refusing = false
  }

  /** Cuts every connection and refuses new ones, for good. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = once(this.server, "close")
      this.server.close()
      this.cut()
      await closed
    })()
    return this.closing
  }

  private relay(client: Socket, target: URL): void {
    const upstream = connect(Number(target.port), target.hostname)
    for (const socket of [client, upstream]) {
      this.sockets.add(socket)
      // Either end failing or closing closes the other, as a direct connection would.
      socket.on("error", () => {})
      socket.once("close", () => {
        this.sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    if (this.refusing) {
      client.destroy()
      return
    }
    // Written before `upstream` connects, bytes wait in its buffer. Backpressure is ignored:
    // the bus sends little.
    client.on("data", (chunk: Buffer) => {
      if (!this.silenced) upstream.write(chunk)
    })
    upstream.on("data", (chunk: Buffer) => {
      if (!this.silenced) client.write(chunk)
    })
  }
}
