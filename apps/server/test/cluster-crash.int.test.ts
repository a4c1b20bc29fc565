import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import * as prng from "lib0/prng"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { decodeMessages, encodeAckRequest, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from "@tandem/protocol"
import { createPostgresStore } from "@tandem/storage-postgres"
import { startPostgres, startRedis, type PostgresService, type RedisService } from "../../../scripts/services.mjs"
import { startApp, type App } from "./app.js"

// Three instances on one PostgreSQL and one Redis. Writers on the victim, X, write a steady burst
// and X is killed with SIGKILL in the middle of it; stock clients on Y and Z watch what is relayed
// and whose presence they see.
const seed = Number(process.env.TANDEM_SEED ?? 7919)
const writerCount = 3
const doc = "cluster/crash"
const victimName = "victim-user"
// The issue's requirement: a dead instance's users are gone from the others' presence within 10 s.
const presenceDeadlineMs = 10_000

// Started once for the file; each test starts its own instances on them.
let postgres: PostgresService | undefined
let redis: RedisService | undefined

beforeAll(async () => {
  postgres = await startPostgres()
  redis = await startRedis()
})

afterAll(async () => {
  await Promise.allSettled([postgres?.stop(), redis?.stop()])
})

/** Rejects with a message naming `what` and the seed if `work` has not settled within `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`seed ${seed}: ${what} did not happen within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Each marker `w<writer>m<n>;` and how often it occurs in `text`. */
function markerCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(/w\d+m\d+;/g)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  return counts
}

/** Origin of the updates a Writer applies from its server. */
const fromServer = Object.freeze({ remote: true })

/**
 * A client speaking the wire protocol directly that keeps one Y.Doc across connections, as an
 * editor does: on each connection it asks for acks and sends sync step 1, and answers the
 * server's sync step 1 with what the server lacks (sync step 2), as the stock client does. It
 * writes each marker as an update of its own and remembers which update on the current
 * connection carried which marker, so an `ack(n)` names the markers stored.
 */
class Writer {
  readonly doc = new Y.Doc()
  /** Every marker this writer wrote, on any connection. */
  readonly written: string[] = []
  /** Highest ack received on the current connection. */
  acked = 0
  /** The server's sync step 2 arrived on the current connection. */
  synced = false
  /** Called after every frame received on the current connection. */
  onFrame: () => void = () => {}
  private ws: WebSocket | null = null
  /** What each update sent on the current connection carried: a marker, or `null` for a sync step 2. */
  private carried: Array<string | null> = []
  private readonly waiters = new Set<() => void>()
  private closed: Promise<void> = Promise.resolve()

  constructor(readonly id: number) {
    onTestFinished(() => this.ws?.terminate())
  }

  /** Opens a new connection to `port`, dropping the count of the previous one; resolves once open. */
  async connect(port: number): Promise<void> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/sync/${doc}`)
    this.ws = ws
    this.acked = 0
    this.synced = false
    this.carried = []
    ws.on("error", () => {})
    this.closed = new Promise((resolve) => ws.once("close", () => resolve()))
    ws.on("message", (data: Buffer) => {
      if (ws !== this.ws) return
      for (const message of decodeMessages(new Uint8Array(data))) {
        switch (message.type) {
          case "sync-step-1":
            this.carried.push(null)
            ws.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, message.stateVector)))
            break
          case "sync-step-2":
          case "update":
            Y.applyUpdate(this.doc, message.update, fromServer)
            if (message.type === "sync-step-2") this.synced = true
            break
          case "ack":
            this.acked = Math.max(this.acked, message.count)
            break
          default:
            break
        }
      }
      for (const wake of [...this.waiters]) wake()
      this.onFrame()
    })
    void this.closed.then(() => {
      for (const wake of [...this.waiters]) wake()
    })
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve())
      ws.once("close", () => reject(new Error(`writer ${this.id} could not connect to ${port}`)))
    })
    ws.send(encodeAckRequest())
    ws.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  /** Appends the next marker to the text as one update and sends it; returns the marker. */
  write(): string {
    const marker = `w${this.id}m${this.written.length};`
    const text = this.doc.getText("content")
    const made: Uint8Array[] = []
    const capture = (update: Uint8Array, origin: unknown) => {
      if (origin === this) made.push(update)
    }
    this.doc.on("update", capture)
    this.doc.transact(() => text.insert(text.length, marker), this)
    this.doc.off("update", capture)
    this.written.push(marker)
    this.carried.push(marker)
    this.ws!.send(encodeUpdate(made[0]!))
    return marker
  }

  /** Updates sent on the current connection and not acknowledged yet. */
  get unacked(): number {
    return this.carried.length - this.acked
  }

  /** The markers the current connection's server acknowledged as stored. */
  ackedMarkers(): string[] {
    return this.carried.slice(0, this.acked).filter((marker): marker is string => marker !== null)
  }

  /** The other writers' markers this writer holds: each reached it relayed by its server. */
  relayedMarkers(): string[] {
    const own = new Set(this.written)
    return [...markerCounts(this.text()).keys()].filter((marker) => !own.has(marker))
  }

  text(): string {
    return this.doc.getText("content").toString()
  }

  /** Resolves once the current connection has closed. */
  whenClosed(): Promise<void> {
    return this.closed
  }

  /** Resolves when `check()` holds, checking after every frame received; or when the socket closes. */
  until(check: () => boolean): Promise<void> {
    const ws = this.ws
    const done = () => check() || !ws || ws.readyState >= WebSocket.CLOSING
    if (done()) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        if (!done()) return
        this.waiters.delete(wake)
        resolve()
      }
      this.waiters.add(wake)
    })
  }
}

/** A stock y-websocket provider on `app`, destroyed when the test ends. */
function provider(app: App): WebsocketProvider {
  const p = new WebsocketProvider(`ws://127.0.0.1:${app.port}/sync`, doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  onTestFinished(() => p.destroy())
  return p
}

function synced(p: WebsocketProvider): Promise<void> {
  return new Promise((resolve) => (p.synced ? resolve() : p.once("sync", () => resolve())))
}

/** Whether `p` sees the victim's presence. */
function seesVictim(p: WebsocketProvider): boolean {
  for (const state of p.awareness.getStates().values()) {
    const user: unknown = state.user
    if (typeof user === "object" && user !== null && "name" in user && user.name === victimName) return true
  }
  return false
}

/** Resolves once `check()` holds, checking after every awareness change `p` hears. */
function awarenessUntil(p: WebsocketProvider, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const onChange = () => {
      if (!check()) return
      p.awareness.off("change", onChange)
      resolve()
    }
    p.awareness.on("change", onChange)
    onChange()
  })
}

/** Resolves once `check()` holds, checking after every change of `ydoc`. */
function docUntil(ydoc: Y.Doc, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const onUpdate = () => {
      if (!check()) return
      ydoc.off("update", onUpdate)
      resolve()
    }
    ydoc.on("update", onUpdate)
    onUpdate()
  })
}

/** The document's text as `app` serves it through the documents API. */
async function apiText(app: App): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${app.port}/api/docs/${doc}/text`)
  expect(response.status, `seed ${seed}: GET text from ${app.port}`).toBe(200)
  return response.text()
}

/** The document's text as PostgreSQL holds it: its snapshot and log rows applied to a fresh Y.Doc. */
async function storedText(url: string): Promise<string> {
  const store = await createPostgresStore({ url, maxConnections: 1 })
  try {
    const stored = await store.load(doc)
    const ydoc = new Y.Doc()
    if (stored?.snapshot) Y.applyUpdate(ydoc, stored.snapshot)
    for (const update of stored?.updates ?? []) Y.applyUpdate(ydoc, update.data)
    return ydoc.getText("content").toString()
  } finally {
    await store.close()
  }
}

describe("a cluster of three instances on PostgreSQL and Redis", () => {
  it(`loses nothing an instance acknowledged or relayed when it is SIGKILLed mid-burst, and its users' presence goes (seed ${seed})`, async () => {
    console.log(`cluster crash seed: ${seed} (rerun with TANDEM_SEED=${seed})`)
    const gen = prng.create(seed)
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-cluster-crash-"))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const databaseUrl = postgres!.url
    // Compacting every few updates, so the kill may also land while a snapshot is written and
    // the survivors read what they missed from a compacted log.
    const env = { TANDEM_DATABASE_URL: databaseUrl, TANDEM_REDIS_URL: redis!.url, TANDEM_COMPACT_AFTER_UPDATES: "5" }
    const [x, y, z] = await Promise.all([startApp(dataDir, env), startApp(dataDir, env), startApp(dataDir, env)])
    for (const app of [x!, y!, z!]) expect(app.line).toContain("data in PostgreSQL, instances joined through Redis")
    const victim = x!
    const survivors = [y!, z!]

    // Watchers on Y and Z first, so their instances follow the document before anything is said.
    const watchers = survivors.map((app) => provider(app))
    await within(10_000, "the watchers' sync", Promise.all(watchers.map(synced)))
    const victimUser = provider(victim)
    victimUser.awareness.setLocalStateField("user", { name: victimName })
    const writers = Array.from({ length: writerCount }, (_, i) => new Writer(i))
    await within(10_000, "the writers' connections", Promise.all(writers.map((w) => w.connect(victim.port))))
    await within(10_000, "the writers' sync on X", Promise.all(writers.map((w) => w.until(() => w.synced && w.unacked === 0))))
    await within(10_000, "the victim's sync on X", synced(victimUser))
    // Presence is not stored: what an instance publishes before its Redis connections are ready
    // (or that arrives before another's subscription is) is lost, and comes again only with the
    // client's renewal, 15 to 18 s after its last change. That is the bound here, above the usual
    // few milliseconds. Only the presence's going is measured against the 10 s.
    const presenceFrom = performance.now()
    await within(
      20_000,
      "the victim's presence on Y and Z",
      Promise.all(watchers.map((p) => awarenessUntil(p, () => seesVictim(p)))),
    )
    const presenceMs = Math.round(performance.now() - presenceFrom)

    // A steady burst: each writer keeps a seeded number of updates unacknowledged, writing more
    // as acks come, so that when the seeded number of acks is reached and X is killed, updates
    // are in flight, being stored, and stored but not yet acknowledged or relayed.
    const windows = writers.map(() => prng.int32(gen, 2, 24))
    const target = prng.int32(gen, 20, 240)
    const ackedNow = () => writers.reduce((sum, w) => sum + w.ackedMarkers().length, 0)
    let killedAt = 0
    await within(
      20_000,
      `${target} acks from X`,
      new Promise<void>((resolve) => {
        const pump = () => {
          if (killedAt) return
          for (const w of writers) while (w.unacked < windows[w.id]!) w.write()
          if (ackedNow() < target) return
          killedAt = performance.now()
          victim.child.kill("SIGKILL")
          resolve()
        }
        for (const w of writers) w.onFrame = pump
        pump()
      }),
    )
    for (const w of writers) w.onFrame = () => {}
    // Measured from the kill, while the rest of the test goes on.
    const presenceGone = watchers.map((p) => awarenessUntil(p, () => !seesVictim(p)).then(() => performance.now() - killedAt))
    expect(await victim.exited).toBeNull()
    await within(10_000, "the writers' sockets to X closing", Promise.all(writers.map((w) => w.whenClosed())))

    // What X promised: every ack its writers received, every marker it relayed to one writer
    // from another, and every marker Y and Z relayed (from X's commits, over the bus).
    const acked = writers.flatMap((w) => w.ackedMarkers())
    const relayed = [
      ...writers.flatMap((w) => w.relayedMarkers()),
      ...watchers.flatMap((p) => [...markerCounts(p.doc.getText("content").toString()).keys()]),
    ]
    const promised = new Set([...acked, ...relayed])
    expect(acked.length).toBeGreaterThanOrEqual(target)

    // Y and Z read what X committed and the bus did not bring them from storage before answering.
    const [textY, textZ] = await Promise.all(survivors.map(apiText))
    expect(textZ, `seed ${seed}: Y and Z disagree after the kill`).toBe(textY)
    const counts = markerCounts(textY!)
    for (const marker of promised) expect(counts.get(marker), `seed ${seed}: ${marker} lost`).toBe(1)
    for (const [marker, count] of counts) expect(count, `seed ${seed}: ${marker} duplicated`).toBe(1)
    // PostgreSQL holds exactly that: with several instances a compaction folds the stored rows,
    // never an instance's memory (which may hold updates of a write X did not live to make).
    const storedNow = await storedText(databaseUrl)
    expect(storedNow, `seed ${seed}: PostgreSQL and Y disagree after the kill`).toBe(textY)
    const stored = markerCounts(storedNow)
    const written = writers.reduce((sum, w) => sum + w.written.length, 0)
    console.log(
      `cluster crash: killed X after ${acked.length} acks (target ${target}, windows ${windows.join("/")}); ${written} markers ` +
        `written, ${new Set(relayed).size} relayed, ${promised.size} promised, ${counts.size} on Y and Z, ${stored.size} in PostgreSQL`,
    )

    // The writers come back on Y with the same documents, sending what Y lacks (sync step 2),
    // and everyone converges on every marker written, each once.
    const everything = writers.flatMap((w) => w.written)
    const holdsEverything = (text: string) => {
      const held = markerCounts(text)
      return everything.every((marker) => held.has(marker))
    }
    await within(10_000, "the writers' reconnection to Y", Promise.all(writers.map((w) => w.connect(y!.port))))
    await within(
      15_000,
      "convergence on Y",
      Promise.all([
        ...writers.map((w) => w.until(() => w.synced && w.unacked === 0 && holdsEverything(w.text()))),
        ...watchers.map((p) => docUntil(p.doc, () => holdsEverything(p.doc.getText("content").toString()))),
      ]),
    )
    const final = writers[0]!.text()
    for (const w of writers) expect(w.text(), `seed ${seed}: writer ${w.id}`).toBe(final)
    for (const p of watchers) expect(p.doc.getText("content").toString(), `seed ${seed}: a watcher`).toBe(final)
    expect(await apiText(y!), `seed ${seed}: Y`).toBe(final)
    expect(await apiText(z!), `seed ${seed}: Z`).toBe(final)
    expect(await storedText(databaseUrl), `seed ${seed}: PostgreSQL`).toBe(final)
    // Every marker written is there once, and nothing else is.
    const finalCounts = markerCounts(final)
    for (const marker of everything) expect(finalCounts.get(marker), `seed ${seed}: ${marker}`).toBe(1)
    expect(final.length, `seed ${seed}: length of the final text`).toBe(everything.join("").length)

    // The victim's presence went from Y and from Z, in time.
    const [goneY, goneZ] = await within(presenceDeadlineMs + 5_000, "the victim's presence going", Promise.all(presenceGone))
    console.log(
      `cluster crash: waited ${presenceMs} ms for the victim's presence on Y and Z after its sync; gone from Y ${Math.round(goneY!)} ms after the kill, from Z ${Math.round(goneZ!)} ms`,
    )
    expect(goneY, `seed ${seed}: presence on Y`).toBeLessThan(presenceDeadlineMs)
    expect(goneZ, `seed ${seed}: presence on Z`).toBeLessThan(presenceDeadlineMs)
  })
})
