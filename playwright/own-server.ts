import { spawn, type ChildProcess } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { expect } from "@playwright/test"

const serverMain = fileURLToPath(new URL("../apps/server/dist/main.js", import.meta.url))

/** A server process of a test's own (the real app, as `npm start` runs it). */
export interface OwnServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** Stops it with SIGTERM and expects a clean exit. */
  stop(): Promise<void>
}

/** What {@link startOwnServer} starts. */
export interface OwnServerOptions {
  /** Its data folder (SQLite); reuse one to restart "the same" server. */
  readonly dataDir: string
  /** The port; 0 (the default) lets the system pick. Pass the old port to restart on the same origin. */
  readonly port?: number
  /** More environment: `TANDEM_AUTH_SECRET` and the like. */
  readonly env?: Readonly<Record<string, string>>
}

/** Starts the built server (apps/server/dist) and resolves once it listens. */
export async function startOwnServer(options: OwnServerOptions): Promise<OwnServer> {
  const child: ChildProcess = spawn(process.execPath, [serverMain], {
    env: { ...process.env, PORT: String(options.port ?? 0), HOST: "127.0.0.1", TANDEM_DATA_DIR: options.dataDir, TANDEM_LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  // A test that times out never reaches its own stop(): the server goes when the worker does.
  const killOnExit = () => child.kill("SIGKILL")
  process.once("exit", killOnExit)
  child.once("exit", () => process.off("exit", killOnExit))
  let output = ""
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on http:\/\/[^\s:]+:(\d+)/.exec(output)
      if (match) resolve(Number(match[1]))
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null) return
      const exited = once(child, "exit")
      child.kill("SIGTERM")
      const [code] = (await exited) as [number | null]
      expect(code, output).toBe(0)
    },
  }
}
