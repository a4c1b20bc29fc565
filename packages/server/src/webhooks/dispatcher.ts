import type { Clock, ClockTimer } from "../clock.js"
import type { Outbox, OutboxMessage } from "../document-store.js"
import type { Logger } from "../logger.js"
import { signWebhook } from "./signature.js"

/** How a {@link Dispatcher} delivers; every field is required (the webhooks module fills defaults). */
export interface DispatcherOptions {
  readonly url: string
  readonly key: Buffer
  /** Wait before the first retry; each later one doubles, up to `maxRetryMs`, plus up to a quarter of jitter. */
  readonly retryMs: number
  readonly maxRetryMs: number
  /** A message still failing this long after its event is given up on. */
  readonly giveUpAfterMs: number
  /** Longest wait for a receiver's answer; a message is leased for a few times this. */
  readonly timeoutMs: number
  /** Longest sleep between looks at the outbox, for messages other instances left due. */
  readonly pollMs: number
  /** Deliveries in flight at once. */
  readonly concurrency: number
  readonly outbox: Outbox
  readonly clock: Clock
  readonly logger: Logger
  /** A message's final body, filling in what was not known when it was stored (returns a complete body as it is). */
  readonly complete: (message: OutboxMessage) => Promise<string>
  readonly onDelivered: () => void
  readonly onFailed: () => void
  readonly onAbandoned: () => void
}

/**
 * Delivers the outbox's due messages to one URL, at least once: a 2xx answer removes a message,
 * anything else (or no answer in time) makes it due again after an exponential backoff with
 * jitter, until it is given up on. Messages are claimed with a lease, so that with several
 * instances on one store each message goes out from one of them; if that one dies mid-delivery,
 * another sends it once the lease has passed. Everything happens off the editing path: a slow
 * or dead receiver only delays its own messages.
 */
export class Dispatcher {
  private timer: ClockTimer | null = null
  private running: Promise<void> | null = null
  /** A wake-up came while a round ran: run another straight after. */
  private again = false
  private stopped = false
  private readonly inFlight = new Set<AbortController>()

  constructor(private readonly options: DispatcherOptions) {}

  /** Looks at the outbox now (a message was added that may be due). */
  wake(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer)
    this.timer = null
    this.running = this.round().finally(() => {
      this.running = null
      if (this.again) {
        this.again = false
        this.wake()
      }
    })
  }

  /** Stops delivering; deliveries in flight are abandoned and go out again once their lease passes. */
  async close(): Promise<void> {
    this.stopped = true
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer)
    for (const controller of this.inFlight) controller.abort()
    await this.running
  }

  private async round(): Promise<void> {
    const { outbox, clock, concurrency, pollMs, timeoutMs, logger } = this.options
    let sleep = pollMs
    try {
      for (;;) {
        const now = clock.now()
        const due = await outbox.claim(now, now + 3 * timeoutMs, concurrency)
        await Promise.all(due.map((message) => this.deliver(message)))
        if (this.stopped) return
        if (due.length < concurrency) break
      }
      const next = await outbox.nextDue()
      if (next !== null) sleep = Math.min(pollMs, Math.max(0, next - clock.now()))
    } catch (error) {
      logger.error("could not read the webhook outbox", { error })
    }
    if (!this.stopped) this.timer = clock.setTimeout(() => this.wake(), sleep)
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const { outbox, clock, logger } = this.options
    let body = message.body
    let status: number | null = null
    let failure: unknown = null
    try {
      body = await this.options.complete(message)
      status = await this.send(message.id, body)
    } catch (error) {
      failure = error
    }
    if (this.stopped && status === null) return
    try {
      if (status !== null && status >= 200 && status < 300) {
        await outbox.remove([message.id])
        this.options.onDelivered()
        return
      }
      const attempts = message.attempts + 1
      const now = clock.now()
      const fields = { id: message.id, type: message.type, attempts, ...(status !== null ? { status } : { error: failure }) }
      if (now - message.createdAt >= this.options.giveUpAfterMs) {
        await outbox.remove([message.id])
        this.options.onAbandoned()
        logger.error("gave up on a webhook", fields)
        return
      }
      this.options.onFailed()
      logger.warn("webhook delivery failed; will retry", fields)
      await outbox.retry(message.id, now + this.backoff(attempts), attempts, body)
    } catch (error) {
      // The lease runs out and the message is tried again.
      logger.error("could not record a webhook delivery", { id: message.id, error })
    }
  }

  /** Posts one message; resolves with the receiver's status. */
  private async send(id: string, body: string): Promise<number> {
    const { url, key, clock, timeoutMs } = this.options
    const timestamp = Math.floor(clock.now() / 1000)
    const controller = new AbortController()
    const timeout = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    this.inFlight.add(controller)
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Tandem-Webhooks",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signWebhook(key, id, timestamp, body),
        },
        body,
        redirect: "manual",
        signal: controller.signal,
      })
      await response.body?.cancel()
      return response.status
    } finally {
      clearTimeout(timeout)
      this.inFlight.delete(controller)
    }
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.options.retryMs * 2 ** (attempts - 1), this.options.maxRetryMs)
    return Math.round(base * (1 + Math.random() / 4))
  }
}
