import { describe, expect, it } from "vitest"
import { connectionPill, noticeText, offlineSentence, savePill, signInSentence } from "../src/status-text.js"

const base = { connection: "connected", synced: true, localLoaded: true, savedLocally: true, unsaved: 0, savesConfirmed: true } as const

describe("savePill", () => {
  it("says Saved only when the server confirmed every change", () => {
    expect(savePill(base)).toMatchObject({ text: "Saved", state: "saved" })
    expect(savePill({ ...base, unsaved: 2 })).toMatchObject({ text: "Saving 2 changes…", state: "saved-locally" })
    expect(savePill({ ...base, unsaved: 1, savedLocally: false })).toMatchObject({ text: "Saving 1 change…", state: "unsaved" })
  })

  it("never counts zero changes while offline", () => {
    const offline = savePill({ ...base, connection: "offline", synced: false })
    expect(offline).toMatchObject({ text: "No unsaved changes", state: "saved-locally" })
    expect(offline.text).not.toMatch(/\b0 changes\b/)
    expect(savePill({ ...base, connection: "offline", synced: false, unsaved: 3 })).toMatchObject({ text: "3 changes kept on this device", state: "saved-locally" })
    expect(savePill({ ...base, connection: "connected", synced: false }).text).toBe("Syncing…")
  })

  it("says Loading until the browser copy is read, and Synced for servers that do not confirm saves", () => {
    expect(savePill({ ...base, localLoaded: false }).text).toBe("Loading…")
    expect(savePill({ ...base, savesConfirmed: false, unsaved: 4 })).toMatchObject({ text: "Synced" })
  })
})

describe("connectionPill", () => {
  it("keeps the offline text as short as the others", () => {
    expect(connectionPill({ connection: "offline", error: null })).toMatchObject({ text: "Offline", state: "offline" })
    expect(connectionPill({ connection: "connected", error: null }).text.length).toBeGreaterThanOrEqual(connectionPill({ connection: "offline", error: null }).text.length)
  })

  it("says Stopped on an error, with the client's sentence as its title", () => {
    const error = { code: 4403, message: "You no longer have access to this document." }
    expect(connectionPill({ connection: "error", error })).toEqual({ text: "Stopped", state: "error", title: error.message })
  })
})

describe("noticeText", () => {
  it("shows why the editor stopped, else why the last change was refused, else nothing", () => {
    const forbidden = { code: 4403, message: "You no longer have access to this document." }
    expect(noticeText({ connection: "error", error: forbidden, refused: null })).toBe(forbidden.message)
    expect(noticeText({ connection: "connected", error: null, refused: "This change is 20 MB, more than…" })).toBe("This change is 20 MB, more than…")
    expect(noticeText({ connection: "connected", error: null, refused: null })).toBe("")
  })
})

describe("sign-in and stop sentences", () => {
  it("puts a sign-in reason before anything but a live connection, with a short pill", () => {
    const waiting = { connection: "connecting", error: null, refused: null } as const
    expect(noticeText(waiting, "missing")).toBe(signInSentence("missing"))
    expect(signInSentence("rejected")).toMatch(/Paste a new token/)
    expect(signInSentence("expired")).toMatch(/^Your sign-in expired\./)
    expect(signInSentence("forbidden")).toMatch(/Ask the document's owner/)
    expect(connectionPill(waiting, "expired")).toMatchObject({ text: "Signed out", state: "signed-out" })
    expect(connectionPill(waiting, "forbidden")).toMatchObject({ text: "No access", state: "forbidden" })
    expect(connectionPill({ connection: "connected", error: null }, "expired").text).toBe("Connected")
  })

  it("says the page's own sentence for a refused sign-in (4401) and a change too large (1009), and when offline", () => {
    expect(noticeText({ connection: "error", error: { code: 4401, message: "client" }, refused: null })).toBe(signInSentence("expired"))
    expect(noticeText({ connection: "error", error: { code: 1009, message: "client" }, refused: null })).toMatch(/larger than the server accepts/)
    expect(noticeText({ connection: "offline", error: null, refused: null })).toBe(offlineSentence)
  })
})
