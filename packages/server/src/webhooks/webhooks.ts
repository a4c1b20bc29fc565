import { randomUUID } from "node:crypto"
import type { Clock, ClockTimer } from "../clock.js"
import type { Outbox, OutboxMessage, VersionInfo } from "../document-store.js"
import type { CommitCompanion } from "../group-commit.js"
import type { Logger } from "../logger.js"
import { Dispatcher } from "./dispatcher.js"
import { parseWebhookSecret } from "./signature.js"

/** The `webhooks` option of `createSyncServer`: where events go, and how. */
export interface WebhookOptions {
  /** Receives every event as a POST (`TANDEM_WEBHOOK_URL`). */
  readonly url: string
  /** The Standard Webhooks secret, `whsec_` and base64 (`TANDEM_WEBHOOK_SECRET`). */
  readonly secret: string
  /** Wait before the first retry of a failed delivery; later ones double. Default 5,000 ms (`TANDEM_WEBHOOK_RETRY_MS`). */
  readonly retryMs?: number
  /** Longest wait between retries. Default one hour. */
  readonly maxRetryMs?: number
  /** A delivery still failing this long after its event is given up on. Default 24 hours. */
  readonly giveUpAfterMs?: number
  /** Longest wait for a receiver's answer. Default 10 s. */
  readonly timeoutMs?: number
  /** Where the server is reached from outside (`TANDEM_PUBLIC_URL`), for links in payloads; without it links are paths. */
  readonly publicUrl?: string | null
  /** `document.changed` goes out once edits pause this long... Default 2,000 ms. */
  readonly changedQuietMs?: number
  /** ... and no later than this after the first unreported edit. Default 10,000 ms. */
  readonly changedMaxMs?: number
  /** Longest sleep between looks at the outbox for messages due (others' included). Default 1,000 ms. */
  readonly pollMs?: number
}

/** Defaults of {@link WebhookOptions}. */
export const webhookDefaults = {
  retryMs: 5000,
  maxRetryMs: 60 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
  timeoutMs: 10_000,
  changedQuietMs: 2000,
  changedMaxMs: 10_000,
  pollMs: 1000,
} as const

/** The kinds of event, as the payload's `type` names them. */
export type WebhookEventType = "document.changed" | "document.created" | "document.deleted" | "version.created" | "connection.opened" | "connection.closed"

/** What the webhooks need of the server. */
export interface WebhookContext {
  readonly outbox: Outbox
  readonly clock: Clock
  readonly logger: Logger
  /** The size in bytes of `doc`'s state as one Yjs update, or `null` when it no longer exists. */
  readonly sizeOf: (doc: string) => Promise<number | null>
  /** Counts outcomes, for metrics. */
  readonly counters: { webhooksDelivered: number; webhookFailures: number; webhooksAbandoned: number }
}

/** A `document.changed` message stored and not yet sent on its way. */
interface OpenChange {
  readonly id: string
  /** Its due time as stored: the latest it may go out. */
  readonly dueAt: number
  /** Stored (its commit went through) or still being written. */
  stored: boolean
  timer: ClockTimer | null
}

/**
 * Webhooks: every event becomes a message in the store's outbox, which a {@link Dispatcher}
 * delivers at least once. `document.changed` and `document.created` are written in the same
 * transaction as the edit they report (through the commit companion), so a crash after an edit
 * was stored never loses its event. `document.changed` is stored due 10 s after the first
 * unreported edit and moved earlier once edits pause for 2 s; later edits before it goes out are
 * covered by it. The other events are added just after what they report.
 */
export class Webhooks implements CommitCompanion {
  private readonly open = new Map<string, OpenChange>()
  private readonly dispatcher: Dispatcher
  private readonly options: Required<Omit<WebhookOptions, "publicUrl">> & { readonly publicUrl: string | null }
  /** Messages waiting to be added together at the end of this turn. */
  private batch: OutboxMessage[] = []
  private closed = false

  /** @throws {TypeError} when the URL or the secret is not valid. */
  constructor(
    options: WebhookOptions,
    private readonly context: WebhookContext,
  ) {
    if (!/^https?:\/\//.test(options.url) || !URL.canParse(options.url)) throw new TypeError(`webhooks: not an http(s) URL: ${options.url}`)
    const key = parseWebhookSecret(options.secret)
    this.options = { ...webhookDefaults, ...options, publicUrl: options.publicUrl?.replace(/\/+$/, "") ?? null }
    const { counters } = context
    this.dispatcher = new Dispatcher({
      ...this.options,
      key,
      concurrency: 8,
      outbox: context.outbox,
      clock: context.clock,
      logger: context.logger,
      complete: (message) => this.complete(message),
      onDelivered: () => counters.webhooksDelivered++,
      onFailed: () => counters.webhookFailures++,
      onAbandoned: () => counters.webhooksAbandoned++,
    })
    // What an earlier run (or another instance) left due goes out now.
    this.dispatcher.wake()
  }

  take(doc: string, head: number): readonly OutboxMessage[] | undefined {
    if (this.closed) return undefined
    const now = this.context.clock.now()
    const messages: OutboxMessage[] = []
    if (head === 0) messages.push(this.message("document.created", { document: doc }, now))
    const open = this.open.get(doc)
    if (open) {
      if (open.stored) this.schedule(doc, open)
      return messages
    }
    const changed = this.message("document.changed", { document: doc }, now, now + this.options.changedMaxMs)
    this.open.set(doc, { id: changed.id, dueAt: changed.dueAt, stored: false, timer: null })
    messages.push(changed)
    return messages
  }

  settled(doc: string, messages: readonly OutboxMessage[], committed: boolean): void {
    const open = this.open.get(doc)
    const mine = open !== undefined && messages.some((message) => message.id === open.id)
    if (!committed) {
      // Not stored: the write is retried, and its next attempt makes new messages.
      if (mine) this.open.delete(doc)
      return
    }
    if (mine && !open.stored) {
      open.stored = true
      this.schedule(doc, open)
    }
    if (messages.some((message) => message.dueAt <= this.context.clock.now())) this.dispatcher.wake()
  }

  /** A document was deleted through this instance. */
  deleted(doc: string): void {
    this.enqueue("document.deleted", { document: doc })
  }

  /** A version was stored. */
  versionCreated(doc: string, version: VersionInfo): void {
    const { id, kind, label, author, createdAt, bytes } = version
    this.enqueue("version.created", { document: doc, version: { id, kind, label, author, createdAt: new Date(createdAt).toISOString(), bytes } })
  }

  /** A connection opened (`opened`) or closed, on this instance. */
  connection(opened: boolean, doc: string, connection: number, user: string | null): void {
    this.enqueue(opened ? "connection.opened" : "connection.closed", { document: doc, connection, user })
  }

  /**
   * Stops: changes waiting for a pause are made due now (another instance, or this one after a
   * restart, sends them), and deliveries in flight are left to their leases.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const now = this.context.clock.now()
    const hastened = [...this.open.values()].filter((open) => open.stored)
    for (const open of this.open.values()) if (open.timer !== null) this.context.clock.clearTimeout(open.timer)
    this.open.clear()
    await this.flush()
    await Promise.all(hastened.map((open) => this.context.outbox.hasten(open.id, open.dueAt, now).catch(() => false)))
    await this.dispatcher.close()
  }

  /** (Re)starts the wait for a pause in `doc`'s edits, never past the change's due time. */
  private schedule(doc: string, open: OpenChange): void {
    const { clock } = this.context
    if (open.timer !== null) clock.clearTimeout(open.timer)
    const now = clock.now()
    const at = Math.min(now + this.options.changedQuietMs, open.dueAt)
    open.timer = clock.setTimeout(() => void this.send(doc, open), at - now)
  }

  /** Edits paused (or the change is due anyway): the change goes out now, and the next edit starts another. */
  private async send(doc: string, open: OpenChange): Promise<void> {
    if (this.open.get(doc) === open) this.open.delete(doc)
    const now = this.context.clock.now()
    try {
      if (now < open.dueAt) await this.context.outbox.hasten(open.id, open.dueAt, now)
    } catch (error) {
      // It goes out at its stored due time instead.
      this.context.logger.warn("could not make a webhook due early", { id: open.id, error })
    }
    this.dispatcher.wake()
  }

  private enqueue(type: WebhookEventType, data: object): void {
    if (this.closed) return
    this.batch.push(this.message(type, data, this.context.clock.now()))
    if (this.batch.length === 1) setImmediate(() => void this.flush())
  }

  private async flush(): Promise<void> {
    const batch = this.batch.splice(0)
    if (batch.length === 0) return
    try {
      await this.context.outbox.add(batch)
      this.dispatcher.wake()
    } catch (error) {
      this.context.logger.error("could not store webhook events; they are lost", { count: batch.length, types: [...new Set(batch.map((m) => m.type))].join(","), error })
    }
  }

  private message(type: WebhookEventType, data: object, now: number, dueAt = now): OutboxMessage {
    const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data })
    return { id: `msg_${randomUUID().replaceAll("-", "")}`, type, body, createdAt: now, dueAt, attempts: 0 }
  }

  /** The body to send first: a change's size and link are filled in as the document is now. */
  private async complete(message: OutboxMessage): Promise<string> {
    if (message.type !== "document.changed") return message.body
    const payload = JSON.parse(message.body) as { type: string; timestamp: string; data: { document: string; bytes?: number } }
    if (payload.data.bytes !== undefined) return message.body
    const doc = payload.data.document
    const bytes = await this.context.sizeOf(doc)
    const path = `/api/docs/${doc.split("/").map(encodeURIComponent).join("/")}/text`
    return JSON.stringify({ ...payload, data: { document: doc, bytes, text: `${this.options.publicUrl ?? ""}${path}` } })
  }
}
