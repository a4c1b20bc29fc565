import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it, onTestFinished } from "vitest"
import * as Y from "yjs"
import { accepted, startReceiver, webhookSecret } from "../../../packages/server/test/webhook-receiver.js"
import { RawPeer, startApp } from "./app.js"

describe("webhooks of the server app", () => {
  it("delivers the change of an acknowledged edit although the server was SIGKILLed before delivering it", async () => {
    const receiver = await startReceiver()
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-hooks-"))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const env = { TANDEM_WEBHOOK_URL: receiver.url, TANDEM_WEBHOOK_SECRET: webhookSecret, TANDEM_WEBHOOK_RETRY_MS: "100" }
    const first = await startApp(dataDir, env)

    const writer = RawPeer.connect(first.port, "hooks/crash")
    await writer.opened
    const update = await new Promise<Uint8Array>((resolve) => {
      writer.doc.once("update", resolve)
      writer.doc.getText("content").insert(0, "stored before the kill")
    })
    writer.sendUpdate(update)
    await writer.until(() => writer.acked >= 1)
    // Killed at once: the change waits for a 2 s pause in the editing, which never came.
    first.child.kill("SIGKILL")
    await first.exited
    expect(accepted(receiver.deliveries, "document.changed")).toEqual([])

    const second = await startApp(dataDir, env)
    const deliveries = await receiver.until((ds) => accepted(ds, "document.changed").length > 0)
    const [changed] = accepted(deliveries, "document.changed")
    const state = Y.encodeStateAsUpdate(writer.doc)
    expect(changed!.data).toEqual({ document: "hooks/crash", bytes: state.byteLength, text: "/api/docs/hooks/crash/text" })
    const text = await fetch(`http://127.0.0.1:${second.port}${changed!.data.text as string}`).then((r) => r.text())
    expect(text).toBe("stored before the kill")
    // Creation too, whether or not it went out before the kill (at least once: maybe twice).
    await receiver.until((ds) => accepted(ds, "document.created").length > 0)
  }, 30_000)
})
