import { once } from "node:events"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"
import { onTestFinished } from "vitest"

/** One request the receiver got, with its payload once its signature verified. */
export interface Delivery {
  readonly id: string
  readonly timestamp: number
  /** When it arrived (`Date.now()`). */
  readonly at: number
  /** The status the receiver answered. */
  readonly status: number
  /** The verified payload, or `null` when the signature did not verify. */
  readonly payload: { readonly type: string; readonly timestamp: string; readonly data: Record<string, unknown> } | null
  readonly headers: IncomingHttpHeaders
}

/** A real HTTP receiver on loopback that checks signatures with the reference Standard Webhooks library. */
export interface Receiver {
  readonly url: string
  /** Every request so far, in order of arrival. */
  readonly deliveries: Delivery[]
  /** Answer the next `count` requests with 500. */
  failNext(count: number): void
  /** Resolves with the deliveries once `check` holds for them (checked on each request). */
  until(check: (deliveries: readonly Delivery[]) => boolean): Promise<Delivery[]>
  close(): Promise<void>
}

/** A secret in the Standard Webhooks form, fixed so runs compare. */
export const webhookSecret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`

/** Starts a receiver that verifies each request against `secret`; closed when the test ends. */
export async function startReceiver(secret = webhookSecret): Promise<Receiver> {
  const verifier = new Webhook(secret)
  const deliveries: Delivery[] = []
  const waiters = new Set<() => void>()
  let failures = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      let payload: Delivery["payload"] = null
      try {
        payload = verifier.verify(body, req.headers as Record<string, string>) as Delivery["payload"]
      } catch {
        payload = null
      }
      const status = payload === null ? 400 : failures > 0 ? 500 : 204
      if (status === 500) failures--
      deliveries.push({ id: String(req.headers["webhook-id"]), timestamp: Number(req.headers["webhook-timestamp"]), at: Date.now(), status, payload, headers: req.headers })
      res.writeHead(status).end()
      for (const wake of [...waiters]) wake()
    })
  })
  server.listen(0, "127.0.0.1")
  await once(server, "listening")
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries,
    failNext(count) {
      failures = count
    },
    until(check) {
      return new Promise((resolve) => {
        const wake = () => {
          if (!check(deliveries)) return
          waiters.delete(wake)
          resolve([...deliveries])
        }
        waiters.add(wake)
        wake()
      })
    },
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, "close")
    },
  }
  onTestFinished(() => (server.listening ? receiver.close() : undefined))
  return receiver
}

/** The payloads of the verified deliveries the receiver accepted, of one type. */
export function accepted(deliveries: readonly Delivery[], type: string): Array<NonNullable<Delivery["payload"]>> {
  return deliveries.flatMap((d) => (d.status < 300 && d.payload?.type === type ? [d.payload] : []))
}
