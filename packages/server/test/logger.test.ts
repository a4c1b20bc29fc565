import { describe, expect, it } from "vitest"
import { createConsoleLogger } from "../src/index.js"

describe("console logger", () => {
  it("writes at most its budget of lines a second and reports how many it dropped", () => {
    const lines: string[] = []
    let now = 5_000
    const logger = createConsoleLogger({ maxLinesPerSecond: 10, write: (line) => lines.push(line), now: () => now })
    for (let i = 0; i < 10_000; i++) logger.warn("closing connection", { code: 1007, i })
    expect(lines).toHaveLength(10)
    now += 1000
    logger.info("next second")
    expect(lines).toHaveLength(12)
    expect(lines[10]).toContain("log lines suppressed count=9990")
    expect(lines[11]).toContain("next second")
  })
})
