import { runInNewContext } from "node:vm"
import { describe, expect, it } from "vitest"
import { frameBytes } from "../src/socket.js"

describe("frameBytes", () => {
  it("reads binary frames whatever realm their buffer comes from, and refuses text frames", () => {
    expect(frameBytes(new Uint8Array([1, 2]).buffer)).toEqual(new Uint8Array([1, 2]))
    // An ArrayBuffer of another realm, as `ws` delivers to code under jsdom or in an iframe.
    const foreign: unknown = runInNewContext("new Uint8Array([3, 4]).buffer")
    expect(foreign instanceof ArrayBuffer).toBe(false)
    expect(frameBytes(foreign)).toEqual(new Uint8Array([3, 4]))
    expect(frameBytes(new Uint8Array([5, 6, 7]).subarray(1))).toEqual(new Uint8Array([6, 7]))
    expect(frameBytes("text")).toBeNull()
  })
})
