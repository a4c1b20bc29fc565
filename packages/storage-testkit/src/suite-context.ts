import type { DocumentStore } from "@tandem/server"

/** What the cases of one area see of the running test: its open store, and a way to reopen it. */
export interface SuiteContext {
  /** The store open now; a {@link SuiteContext.reopen} replaces it. */
  store(): DocumentStore
  /** Closes the store and opens a new one on the same storage, as a restart would. */
  reopen(): Promise<DocumentStore>
}

/** A byte array of the given values. */
export const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)
