import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

// Workspace packages resolve to their TypeScript sources through the "source" export condition,
// so tests run without a build step.
const conditions = ["source", ...defaultServerConditions]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts"],
    // --expose-gc lets the unload test check that rooms are really freed.
    execArgv: ["--expose-gc"],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Integration tests start servers and replay long traces; two workers match CI's two cores.
    maxWorkers: 2,
  },
})
