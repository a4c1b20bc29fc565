import type { EditorStatus } from "@tandem/editor"

/** What a header pill shows: its text, and the `data-state` its colour (style.css) and the tests read. */
export interface PillText {
  readonly text: string
  readonly state: string
  /** A longer explanation, for the pill's tooltip. */
  readonly title: string
}

/** The connection pill: short, so the header keeps its layout when it changes. */
export function connectionPill(status: Pick<EditorStatus, "connection" | "error">): PillText {
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
 * The notice under the header: why the editor stopped (the client's sentence, for a 4401 sign-in,
 * 4403, 1009 too large, …) or why the last change was refused; empty when there is nothing to say.
 */
export function noticeText(status: Pick<EditorStatus, "connection" | "error" | "refused">): string {
  if (status.connection === "error" && status.error) return status.error.message
  return status.refused ?? ""
}
