import { runDocumentStoreTests } from "@tandem/storage-testkit"
import { createMemoryStore, createMemoryStoreData } from "../src/index.js"

runDocumentStoreTests("memory", async () => {
  const data = createMemoryStoreData()
  return { open: async () => createMemoryStore({ data }), cleanup: async () => {} }
}, { requireVersions: true, requireOutbox: true })
