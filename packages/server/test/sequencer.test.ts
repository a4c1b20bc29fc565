import { describe, expect, it } from "vitest"
import { Sequencer } from "../src/sequencer.js"

const u = (n: number) => new Uint8Array([n])

function sequencer(head = 0) {
  const applied: number[] = []
  const seq = new Sequencer(head, (updates) => applied.push(...updates.map((update) => update[0]!)))
  return { seq, applied }
}

describe("Sequencer", () => {
  it("moves the head along this instance's commits alone", () => {
    const { seq, applied } = sequencer(5)
    seq.committed(6, 3)
    seq.committed(9, 1)
    expect(seq.head).toBe(9)
    expect(seq.gapped).toBe(false)
    expect(applied).toEqual([])
  })

  it("applies other instances' updates in log order, whatever order they arrive in", () => {
    const { seq, applied } = sequencer()
    seq.received(3, [u(3)])
    seq.received(4, [u(4), u(5)])
    expect(applied).toEqual([])
    expect(seq.gapped).toBe(true)
    seq.received(1, [u(1), u(2)])
    expect(applied).toEqual([1, 2, 3, 4, 5])
    expect(seq.head).toBe(5)
    expect(seq.gapped).toBe(false)
  })

  it("ignores what it has already, and applies only the new part of an overlap", () => {
    const { seq, applied } = sequencer()
    seq.received(1, [u(1), u(2)])
    seq.received(1, [u(1), u(2)])
    seq.received(2, [u(2), u(3)])
    expect(applied).toEqual([1, 2, 3])
  })

  it("waits behind a gap between its own commit and the head, then fills it from storage without applying its own", () => {
    const { seq, applied } = sequencer(2)
    // Another instance committed 3 and 4; this one 5 and 6; the bus lost 3 and 4.
    seq.committed(5, 2)
    expect(seq.head).toBe(2)
    expect(seq.gapped).toBe(true)
    const moved = seq.filled([3, 4, 5, 6].map((n) => ({ seq: n, data: u(n) })))
    expect(moved).toBe(true)
    expect(applied).toEqual([3, 4])
    expect(seq.head).toBe(6)
    expect(seq.gapped).toBe(false)
  })

  it("stops filling at a hole and takes a whole reload's head", () => {
    const { seq, applied } = sequencer(1)
    seq.received(5, [u(5)])
    seq.filled([{ seq: 3, data: u(3) }])
    expect(applied).toEqual([])
    expect(seq.head).toBe(1)
    seq.reset(4)
    expect(applied).toEqual([5])
    expect(seq.head).toBe(5)
    expect(seq.gapped).toBe(false)
  })
})
