import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runDocumentStoreTests } from "@tandem/storage-testkit"
import { createSqliteStore } from "../src/index.js"

for (const synchronous of ["normal", "full"] as const) {
  runDocumentStoreTests(`sqlite (synchronous=${synchronous})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tandem-sqlite-"))
    return {
      open: async () => createSqliteStore({ path: join(dir, "nested", "tandem.db"), synchronous }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    }
  })
}
