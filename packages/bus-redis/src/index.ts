import { randomUUID } from "node:crypto"
import { Redis, type RedisOptions } from "ioredis"
import * as decoding from "lib0/decoding"
import * as encoding from "lib0/encoding"
import type { BusSubscriber, RoomBus } from "@tandem/server"

/** Options of {@link createRedisBus}. */
export interface RedisBusOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  readonly url: string
  /** Prefix of every channel, so several deployments can share one Redis. Default `"tandem"`. */
  readonly prefix?: string
  /** How often this instance says it is alive. Default 2 s. */
  readonly heartbeatMs?: number
  /** An instance not heard from for this long is taken for dead and its presence dropped. Default 6 s. */
  readonly instanceTimeoutMs?: number
  /** Called when a connection to Redis fails; the bus reconnects by itself. */
  readonly onError?: (error: Error) => void
  /** More ioredis options (TLS, say). */
  readonly redis?: RedisOptions
}

/** Kinds of bus message; each is `varUint(kind) • varString(instance) • …`. */
const Kind = { Updates: 0, Awareness: 1, Deleted: 2, Heartbeat: 3, Leaving: 4, PresenceWanted: 5 } as const

/**
 * A RoomBus over Redis pub/sub: one channel per document, one for instance heartbeats. Two
 * connections: one publishes (commands fail at once while it is down; nothing queues, since
 * receivers fill gaps from storage), one subscribes (ioredis reconnects and resubscribes by
 * itself). Health follows the subscriber: when it is back, `onHealth(true)` tells every room to
 * read what it missed.
 *
 * ```ts
 * const bus = createRedisBus({ url: "redis://localhost:6379" })
 * const sync = createSyncServer({ store, bus })
 * // on shutdown, after the server: await bus.close()
 * ```
 */
export function createRedisBus(options: RedisBusOptions): RoomBus {
  return new RedisBus(options)
}

class RedisBus implements RoomBus {
  readonly instance = randomUUID()
  private readonly pub: Redis
  private readonly sub: Redis
  private readonly prefix: string
  private readonly heartbeatsChannel: string
  private readonly subscribers = new Map<string, Set<BusSubscriber>>()
  private readonly healthListeners = new Set<(healthy: boolean) => void>()
  private readonly lostListeners = new Set<(instance: string) => void>()
  /** When each other instance was last heard from. */
  private readonly seen = new Map<string, number>()
  /**
   * By document channel, the newest committed update that could not be published (Redis was out
   * of reach), with its number; published again when the publishing connection is back. Others
   * notice a lost message only when a later one shows the gap, or when their own connection comes
   * back; when they stayed connected and nothing more is written here, nothing else would ever
   * tell them. Only the last update of a batch is kept: a receiver that lacks those before it sees
   * a gap and reads them from storage.
   */
  private readonly unsent = new Map<string, { readonly seq: number; readonly update: Uint8Array }>()
  private readonly timers: NodeJS.Timeout[]
  private up = false
  private closed = false

  constructor(private readonly options: RedisBusOptions) {
    this.prefix = options.prefix ?? "tandem"
    this.heartbeatsChannel = `${this.prefix}:instances`
    const common: RedisOptions = {
      ...options.redis,
      // Reconnect every 0.1 s to 1 s, for ever: delivery resumes within a second of Redis.
      retryStrategy: (times) => Math.min(100 * times, 1000),
      maxRetriesPerRequest: 1,
      // TCP keepalive probes after 5 s idle: a connection that died without a word (a half-open
      // socket) is found in seconds, not after the system's default two hours.
      keepAlive: 5000,
    }
    this.pub = new Redis(options.url, { ...common, enableOfflineQueue: false })
    this.sub = new Redis(options.url, { ...common, autoResubscribe: true })
    const report = (error: Error) => options.onError?.(error)
    this.pub.on("error", report)
    this.sub.on("error", report)
    // ioredis resubscribes as it becomes ready; a PING answered after that means Redis has
    // taken the subscriptions, so the catch-up that health triggers misses nothing after it.
    const ready = () => this.sub.status === "ready" && this.setHealth(true)
    this.sub.on("ready", () => void this.sub.ping().then(ready, ready))
    this.pub.on("ready", () => this.publishUnsent())
    this.sub.on("close", () => this.setHealth(false))
    this.sub.on("messageBuffer", (channel: Buffer, message: Buffer) => this.deliver(channel.toString("utf8"), message))
    void this.sub.subscribe(this.heartbeatsChannel).catch(() => {})
    const heartbeatMs = options.heartbeatMs ?? 2000
    const timeoutMs = options.instanceTimeoutMs ?? 6000
    this.timers = [setInterval(() => this.beat(Kind.Heartbeat), heartbeatMs), setInterval(() => this.sweep(timeoutMs), Math.min(1000, heartbeatMs))]
    for (const timer of this.timers) timer.unref()
  }

  get healthy(): boolean {
    return this.up
  }

  publishUpdates(doc: string, fromSeq: number, updates: readonly Uint8Array[]): void {
    this.sendUpdates(this.channel(doc), fromSeq, updates)
  }

  publishAwareness(doc: string, update: Uint8Array): void {
    const encoder = this.message(Kind.Awareness)
    encoding.writeVarUint8Array(encoder, update)
    this.publish(this.channel(doc), encoder)
  }

  publishDeleted(doc: string): void {
    this.publish(this.channel(doc), this.message(Kind.Deleted))
  }

  requestPresence(doc: string): void {
    this.publish(this.channel(doc), this.message(Kind.PresenceWanted))
  }

  async subscribe(doc: string, subscriber: BusSubscriber): Promise<() => void> {
    const channel = this.channel(doc)
    let set = this.subscribers.get(channel)
    const first = !set
    if (!set) this.subscribers.set(channel, (set = new Set()))
    set.add(subscriber)
    const unsubscribe = () => {
      const current = this.subscribers.get(channel)
      if (!current?.delete(subscriber) || current.size > 0) return
      this.subscribers.delete(channel)
      if (!this.closed) void this.sub.unsubscribe(channel).catch(() => {})
    }
    // While Redis is down the subscription is made when it is back (ioredis resubscribes), and
    // the room reads what it missed then; it does not wait here.
    if (first) {
      const subscribed = this.sub.subscribe(channel).then(
        () => {},
        () => {},
      )
      if (this.up) await subscribed
    }
    return unsubscribe
  }

  onHealth(listener: (healthy: boolean) => void): () => void {
    this.healthListeners.add(listener)
    return () => this.healthListeners.delete(listener)
  }

  onInstanceLost(listener: (instance: string) => void): () => void {
    this.lostListeners.add(listener)
    return () => this.lostListeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    for (const timer of this.timers) clearInterval(timer)
    // The others drop this instance's presence at once rather than after the timeout.
    if (this.up) await this.pub.publish(this.heartbeatsChannel, Buffer.from(encoding.toUint8Array(this.message(Kind.Leaving)))).catch(() => 0)
    this.closed = true
    this.subscribers.clear()
    this.unsent.clear()
    this.pub.disconnect()
    this.sub.disconnect()
  }

  private channel(doc: string): string {
    return `${this.prefix}:doc:${doc}`
  }

  private message(kind: number): encoding.Encoder {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, kind)
    encoding.writeVarString(encoder, this.instance)
    return encoder
  }

  private sendUpdates(channel: string, fromSeq: number, updates: readonly Uint8Array[]): void {
    if (updates.length === 0) return
    const encoder = this.message(Kind.Updates)
    encoding.writeVarUint(encoder, fromSeq)
    encoding.writeVarUint(encoder, updates.length)
    for (const update of updates) encoding.writeVarUint8Array(encoder, update)
    const seq = fromSeq + updates.length - 1
    this.publish(channel, encoder, () => {
      const kept = this.unsent.get(channel)
      if (!this.closed && (!kept || kept.seq < seq)) this.unsent.set(channel, { seq, update: updates[updates.length - 1]! })
    })
  }

  /** The publishing connection is back: what it could not send goes out now. */
  private publishUnsent(): void {
    const unsent = [...this.unsent]
    this.unsent.clear()
    for (const [channel, { seq, update }] of unsent) this.sendUpdates(channel, seq, [update])
  }

  /**
   * Sends and forgets: while Redis is down the message is dropped, and receivers read it from
   * storage; `onDropped` hears of it.
   */
  private publish(channel: string, encoder: encoding.Encoder, onDropped: () => void = () => {}): void {
    if (this.closed) return
    if (this.pub.status !== "ready") {
      onDropped()
      return
    }
    this.pub.publish(channel, Buffer.from(encoding.toUint8Array(encoder))).catch(onDropped)
  }

  private beat(kind: number): void {
    this.publish(this.heartbeatsChannel, this.message(kind))
  }

  private setHealth(healthy: boolean): void {
    if (healthy === this.up || this.closed) return
    this.up = healthy
    // While we were cut off nobody's heartbeat could reach us: start their clocks again.
    if (healthy) for (const instance of this.seen.keys()) this.seen.set(instance, Date.now())
    for (const listener of [...this.healthListeners]) listener(healthy)
  }

  private sweep(timeoutMs: number): void {
    if (!this.up) return
    const now = Date.now()
    for (const [instance, at] of this.seen) {
      if (now - at > timeoutMs) this.lost(instance)
    }
  }

  private lost(instance: string): void {
    this.seen.delete(instance)
    for (const listener of [...this.lostListeners]) listener(instance)
  }

  /** One message from Redis; a malformed one is reported and dropped. */
  private deliver(channel: string, message: Buffer): void {
    try {
      const decoder = decoding.createDecoder(new Uint8Array(message.buffer, message.byteOffset, message.byteLength))
      const kind = decoding.readVarUint(decoder)
      const instance = decoding.readVarString(decoder)
      if (instance === this.instance) return
      if (channel === this.heartbeatsChannel && kind === Kind.Leaving) {
        this.lost(instance)
        return
      }
      // Any message shows its sender alive, not only a heartbeat. Counting only heartbeats, an
      // instance that relayed presence and died before its first heartbeat reached us (the first
      // goes out heartbeatMs after start) was never in `seen`, so never found lost, and the
      // presence it relayed stayed.
      this.seen.set(instance, Date.now())
      if (channel === this.heartbeatsChannel) return
      const subscribers = this.subscribers.get(channel)
      if (!subscribers) return
      switch (kind) {
        case Kind.Updates: {
          const fromSeq = decoding.readVarUint(decoder)
          const count = decoding.readVarUint(decoder)
          const updates: Uint8Array[] = []
          for (let i = 0; i < count; i++) updates.push(decoding.readVarUint8Array(decoder))
          for (const subscriber of [...subscribers]) subscriber.updates(fromSeq, updates, instance)
          return
        }
        case Kind.Awareness: {
          const update = decoding.readVarUint8Array(decoder)
          for (const subscriber of [...subscribers]) subscriber.awareness(update, instance)
          return
        }
        case Kind.Deleted:
          for (const subscriber of [...subscribers]) subscriber.deleted(instance)
          return
        case Kind.PresenceWanted:
          for (const subscriber of [...subscribers]) subscriber.presenceRequested(instance)
          return
        default:
          throw new Error(`unknown bus message kind ${kind}`)
      }
    } catch (error) {
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)))
    }
  }
}
