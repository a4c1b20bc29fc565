import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"

/** A sequential editing trace from ../shared/data/traces. */
export interface Trace {
  readonly startContent: string
  readonly endContent: string
  readonly txns: ReadonlyArray<{ readonly patches: ReadonlyArray<readonly [number, number, string]> }>
}

/** The folder with the shared editing traces, beside the repository. */
export const tracesDir = process.env.TANDEM_TRACES_DIR ?? new URL("../../../../shared/data/traces/", import.meta.url).pathname

/** Reads a gzipped trace such as `automerge-paper`. */
export function readTrace(name: string): Trace {
  const json = JSON.parse(gunzipSync(readFileSync(`${tracesDir}/${name}.json.gz`)).toString("utf8")) as Partial<Trace>
  return { startContent: json.startContent ?? "", endContent: json.endContent ?? "", txns: json.txns ?? [] }
}
