import { ProtocolError } from "./protocol-error.js"

/** What a Yjs update carries, read once while validating it. */
export interface UpdateSummary {
  /** For each client id, the clock range `[from, to)` of the structs the update holds. */
  readonly clocks: ReadonlyMap<number, { readonly from: number; readonly to: number }>
  /** The ranges of items the update deletes. */
  readonly deletes: ReadonlyArray<{ readonly client: number; readonly clock: number; readonly length: number }>
  /** Whether the structs leave a gap (a Skip) in some client's clock range; those may integrate only in part. */
  readonly gaps: boolean
  /**
   * Asked for with `{ references: true }`: for each other client the structs refer to (as origin
   * or parent), the clock just past the latest struct of it they need.
   */
  readonly references?: ReadonlyMap<number, number>
}

// lib0 decodes strings with a fatal decoder that keeps a byte order mark: an invalid one makes
// Yjs throw, and a kept mark counts in a string's length. The same here.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** Deepest nesting of `Any` values accepted; real documents stay far below it. */
const maxAnyDepth = 64

const malformed = (message: string): ProtocolError => new ProtocolError("malformed", message)

/**
 * Reads a Yjs v1 update's bytes in place, checking each field as Yjs's own decoder reads it,
 * without building a struct, an ID or a content object. Does what `Y.decodeUpdate` and the
 * checks after it did (see `validateUpdate`) for every update a Yjs client sends, at a fraction
 * of the cost; where the two could differ (a field Yjs would read past the end as `undefined`,
 * a subdocument whose options are not an object, nesting deeper than {@link maxAnyDepth}) it
 * refuses. The fuzz tests hold the two to each other.
 */
class UpdateWalker {
  private pos = 0
  /** What the structs need of other clients, when asked for. */
  private readonly references: Map<number, number> | null

  constructor(
    private readonly bytes: Uint8Array,
    references: boolean,
  ) {
    this.references = references ? new Map() : null
  }

  walk(): UpdateSummary {
    const clocks = new Map<number, { from: number; to: number }>()
    let gaps = false
    for (let clients = this.uint(); clients > 0; clients--) {
      let structs = this.uint()
      const client = this.uint()
      let clock = this.uint()
      for (; structs > 0; structs--) {
        const info = this.byte()
        const kind = info & 0b11111
        let length: number
        if (kind === 10) {
          // Yjs's two readers disagree on a Skip with flag bits set: one skips it, the other throws.
          if (info !== 10) throw malformed("skip with flags")
          clock += this.uint()
          gaps = true
          continue
        }
        if (kind === 0) length = this.uint()
        else length = this.item(info, client, clock)
        if (length < 1) throw malformed("empty struct")
        const end = clock + length
        const range = clocks.get(client)
        if (!range) clocks.set(client, { from: clock, to: end })
        else {
          range.from = Math.min(range.from, clock)
          range.to = Math.max(range.to, end)
        }
        clock = end
      }
    }
    const deletes: Array<{ client: number; clock: number; length: number }> = []
    for (let clients = this.uint(); clients > 0; clients--) {
      const client = this.uint()
      for (let count = this.uint(); count > 0; count--) {
        const clock = this.uint()
        const length = this.uint()
        // Yjs cannot even re-encode an empty deletion it kept pending.
        if (length < 1) throw malformed("empty deletion")
        deletes.push({ client, clock, length })
      }
    }
    return this.references ? { clocks, deletes, gaps, references: this.references } : { clocks, deletes, gaps }
  }

  /** Reads an item after its info byte and returns its length. */
  private item(info: number, client: number, clock: number): number {
    // Yjs integrates a client's structs in clock order and takes a reference to the same client
    // as present; one pointing at or past the struct itself makes it throw half way through an
    // update, leaving the document changed. Those never come from a real client.
    if (info & 0x80) this.id(client, clock)
    if (info & 0x40) this.id(client, clock)
    if ((info & 0xc0) === 0) {
      if (this.uint() === 1) this.string()
      else this.id(client, clock)
      if (info & 0x20) this.string()
    }
    return this.content(info & 0b11111)
  }

  private id(client: number, clock: number): void {
    const refClient = this.uint()
    const refClock = this.uint()
    if (refClient === client && refClock >= clock) throw malformed("struct refers to itself or to a later struct of its client")
    if (this.references && refClient !== client) this.references.set(refClient, Math.max(this.references.get(refClient) ?? 0, refClock + 1))
  }

  /** Reads item content of kind `kind` and returns how many clock ticks it takes. */
  private content(kind: number): number {
    switch (kind) {
      case 1: // deleted
        return this.uint()
      case 2: {
        // JSON
        const count = this.uint()
        for (let i = 0; i < count; i++) this.json(true)
        return count
      }
      case 3: // binary
        this.skip(this.uint())
        return 1
      case 4: // string
        return this.string()
      case 5: // embed
        this.json()
        return 1
      case 6: // format
        this.string()
        this.json()
        return 1
      case 7: {
        // type: array, map, text, XML element (named), fragment, hook (named), XML text
        const ref = this.uint()
        if (ref > 6) throw malformed("unknown type")
        if (ref === 3 || ref === 5) this.string()
        return 1
      }
      case 8: {
        // any
        const count = this.uint()
        for (let i = 0; i < count; i++) this.any(0)
        return count
      }
      case 9: {
        // subdocument: a guid, and options Yjs spreads and reads fields of
        this.string()
        if (this.bytes[this.pos] !== 118) throw malformed("subdocument options are not an object")
        this.any(0)
        return 1
      }
      default:
        throw malformed("unknown content")
    }
  }

  private any(depth: number): void {
    if (depth > maxAnyDepth) throw malformed("values nested too deeply")
    switch (this.byte()) {
      case 127: // undefined
      case 126: // null
      case 121: // false
      case 120: // true
        return
      case 125:
        this.int()
        return
      case 124:
        this.skip(4)
        return
      case 123:
      case 122:
        this.skip(8)
        return
      case 119:
        this.string()
        return
      case 118:
        for (let count = this.uint(); count > 0; count--) {
          this.string()
          this.any(depth + 1)
        }
        return
      case 117:
        for (let count = this.uint(); count > 0; count--) this.any(depth + 1)
        return
      case 116:
        this.skip(this.uint())
        return
      default:
        throw malformed("unknown value type")
    }
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) throw malformed("update ends early")
    return this.bytes[this.pos++]!
  }

  private skip(length: number): void {
    if (length > this.bytes.length - this.pos) throw malformed("update ends early")
    this.pos += length
  }

  /** Reads a string and returns its length in UTF-16 code units, as Yjs counts it. */
  private string(): number {
    const length = this.uint()
    const start = this.pos
    this.skip(length)
    // ASCII, the common case, is valid UTF-8 of one code unit a byte: no decoder needed.
    let i = start
    while (i < this.pos && this.bytes[i]! < 0x80) i++
    if (i === this.pos) return length
    try {
      return utf8.decode(this.bytes.subarray(start, this.pos)).length
    } catch {
      throw malformed("invalid UTF-8")
    }
  }

  /** Reads a string that must be JSON, as Yjs parses it; `"undefined"` too when `orUndefined`. */
  private json(orUndefined = false): void {
    const length = this.uint()
    const start = this.pos
    this.skip(length)
    let text: string
    try {
      text = utf8.decode(this.bytes.subarray(start, this.pos))
    } catch {
      throw malformed("invalid UTF-8")
    }
    if (orUndefined && text === "undefined") return
    try {
      JSON.parse(text)
    } catch {
      throw malformed("invalid JSON content")
    }
  }

  /** An unsigned variable-length integer, as lib0 writes it (up to 2^53). */
  private uint(): number {
    const bytes = this.bytes
    let value = 0
    let scale = 1
    while (this.pos < bytes.length) {
      const byte = bytes[this.pos++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
      if (value > Number.MAX_SAFE_INTEGER) throw malformed("integer out of range")
    }
    throw malformed("update ends early")
  }

  /** A signed variable-length integer (an `Any` number), as lib0 writes it. */
  private int(): void {
    const first = this.byte()
    if ((first & 0x80) === 0) return
    let value = first & 0x3f
    let scale = 64
    while (this.pos < this.bytes.length) {
      const byte = this.bytes[this.pos++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return
      scale *= 128
      if (value > Number.MAX_SAFE_INTEGER) throw malformed("integer out of range")
    }
    throw malformed("update ends early")
  }
}

/**
 * Walks `update` (see {@link UpdateWalker}); throws a ProtocolError for anything Yjs would not
 * decode. With `references`, the summary also says what the structs need of other clients.
 */
export function walkUpdate(update: Uint8Array, { references = false }: { references?: boolean } = {}): UpdateSummary {
  return new UpdateWalker(update, references).walk()
}
