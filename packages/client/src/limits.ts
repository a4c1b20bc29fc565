/** The server's size limits; the client refuses what the server would refuse. */
export interface ClientLimits {
  /** Largest frame the server accepts. Default 16 MiB, the server's default. */
  readonly maxFrameBytes?: number
  /** Largest document the server keeps. Default 64 MiB, the server's default. */
  readonly maxDocumentBytes?: number
}

/** The defaults of {@link ClientLimits}, the same as the server's. */
export const limitDefaults = { maxFrameBytes: 16 << 20, maxDocumentBytes: 64 << 20 } as const

/**
 * Room for what an update adds around the inserted content, and the message header: struct
 * info, client id, clock, parent and origin references. Generous, so `check()` never passes
 * an edit the server then refuses.
 */
export const updateOverheadBytes = 1024

/** A size in bytes as people read it: "16 MB", "1.5 MB", "900 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 20) return `${Number((bytes / (1 << 20)).toFixed(1))} MB`
  if (bytes >= 1 << 10) return `${Math.round(bytes / (1 << 10))} KB`
  return `${bytes} bytes`
}

/**
 * Why an edit inserting `bytes` bytes could never be accepted, or `null` when it could.
 * `documentBytes` is the client's estimate of the document's size on the server.
 */
export function checkEdit(limits: Required<ClientLimits>, documentBytes: number, bytes: number): string | null {
  if (bytes + updateOverheadBytes > limits.maxFrameBytes) {
    return `This change is ${formatBytes(bytes)}, more than the ${formatBytes(limits.maxFrameBytes)} the server accepts at once, so it was not made. Split it into smaller parts.`
  }
  if (documentBytes + bytes + updateOverheadBytes > limits.maxDocumentBytes) {
    return `This change would make the document larger than the ${formatBytes(limits.maxDocumentBytes)} the server keeps, so it was not made.`
  }
  return null
}

/** The sentence for an update the client would not send because it is over the frame limit. */
export function oversizedUpdate(limits: Required<ClientLimits>, frameBytes: number): string {
  return `A change of ${formatBytes(frameBytes)} is larger than the ${formatBytes(limits.maxFrameBytes)} the server accepts, so it was not sent and the editor stopped. Reload the page to start from the saved document.`
}
