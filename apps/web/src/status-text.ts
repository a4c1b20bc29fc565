import type { EditorStatus } from "@tandem/editor"
import type { SignInReason } from "./auth.js"

/** What a header pill shows: its text, and the `data-state` its colour (style.css) and the tests read. */
export interface PillText {
  readonly text: string
  readonly state: string
  /** A longer explanation, for the pill's tooltip. */
  readonly title: string
}

/**
 * The connection pill: short, so the header keeps its layout when it changes. `signIn` is why the
 * page waits for a sign-in, if it does: it wins over anything but a live connection.
 */
export function connectionPill(status: Pick<EditorStatus, "connection" | "error">, signIn: SignInReason | null = null): PillText {
  if (signIn !== null && status.connection !== "connected") {
    return signIn === "forbidden"
      ? { text: "No access", state: "forbidden", title: signInSentence(signIn) }
      : { text: "Signed out", state: "signed-out", title: signInSentence(signIn) }
  }
  switch (status.connection) {
    case "connecting":
      return { text: "Connecting…", state: "connecting", title: "Connecting to the server" }
    case "connected":
      return { text: "Connected", state: "connected", title: "Connected: edits are shared as you type" }
    case "offline":
      return { text: "Offline", state: "offline", title: "Offline: edits are kept on this device and sent on reconnect" }
    case "error":
      // The sentence itself is in the notice under the header; the pill stays short.
      return { text: "Stopped", state: "error", title: status.error?.message ?? "Stopped: the server refused the connection" }
    default: {
      const never: never = status.connection
      throw new TypeError(`unknown connection state ${String(never)}`)
    }
  }
}

function count(n: number): string {
  return n === 1 ? "1 change" : `${n} changes`
}

/**
 * The save pill. `data-state` is `saved` once the server has confirmed that every change is in
 * its storage, `saved-locally` while every change is at least in this browser's copy, and
 * `unsaved` otherwise (saving, or still being written to the browser).
 */
export function savePill(status: Pick<EditorStatus, "connection" | "synced" | "localLoaded" | "savedLocally" | "unsaved" | "savesConfirmed">): PillText {
  const connected = status.connection === "connected" && status.synced
  const saved = connected && status.savesConfirmed && status.unsaved === 0
  const state = saved ? "saved" : status.savedLocally ? "saved-locally" : "unsaved"
  if (!status.localLoaded) return { text: "Loading…", state, title: "Loading the copy kept on this device" }
  if (saved) return { text: "Saved", state, title: "Every change is stored on the server" }
  if (connected && !status.savesConfirmed) return { text: "Synced", state, title: "Up to date with the server, which does not confirm saves" }
  if (status.unsaved === 0) {
    return status.connection === "connected"
      ? { text: "Syncing…", state, title: "Catching up with the server" }
      : { text: "No unsaved changes", state, title: "Every change so far was stored on the server" }
  }
  if (status.connection === "connected") return { text: `Saving ${count(status.unsaved)}…`, state, title: "Sending changes to the server" }
  return status.savedLocally
    ? { text: `${count(status.unsaved)} kept on this device`, state, title: "Kept in this browser; sent to the server on reconnect" }
    : { text: `Keeping ${count(status.unsaved)} on this device…`, state, title: "Writing changes to this browser's copy" }
}

/**
 * The notice under the header: why the page waits for a sign-in (`signIn`), why the editor
 * stopped (the page's own sentence for 4401 and 1009, else the client's), that it is offline, or
 * why the last change was refused; empty when there is nothing to say.
 */
export function noticeText(status: Pick<EditorStatus, "connection" | "error" | "refused">, signIn: SignInReason | null = null): string {
  if (signIn !== null && status.connection !== "connected") return signInSentence(signIn)
  if (status.connection === "error" && status.error) return stoppedSentences[status.error.code] ?? status.error.message
  if (status.connection === "offline") return offlineSentence
  return status.refused ?? ""
}

// ---- Sign-in and stop sentences (sign-in.ts shows the box they point to) ----

/** What the page says while it cannot reach the server. */
export const offlineSentence = "You are offline: the server cannot be reached. Keep writing; your changes are kept on this device and sent when the connection is back."

const signInSentences: Readonly<Record<SignInReason, string>> = {
  missing: "This server needs you to sign in before you can open documents. Paste the access token you were given below.",
  rejected: "The server did not accept your access token: it may be mistyped, cut short or no longer valid. Paste a new token below.",
  expired: "Your sign-in expired. Paste a new access token below to keep editing; what you type meanwhile is kept and sent once you are signed in again.",
  forbidden: "This access token cannot open this document. Ask the document's owner for access, or paste a token that covers it below.",
}

/** What happened to the sign-in and what to do, as one plain sentence or two. */
export function signInSentence(reason: SignInReason): string {
  return signInSentences[reason]
}

/** The page's wording for close codes where the client's generic sentence says too little. */
const stoppedSentences: Readonly<Record<number, string>> = {
  // The client is `unauthorized`: even fresh tokens were refused.
  4401: signInSentences.expired,
  1009: "The server refused a change because it, or the document it would make, is larger than the server accepts, so it was not saved and the editor stopped. Copy anything you need, undo the large change, then reload the page.",
}

// ---- end of sign-in sentences ----
