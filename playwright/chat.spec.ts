import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, test, type Browser, type Page } from "@playwright/test"
import WebSocket from "ws"
import { WebsocketProvider } from "y-websocket"
import * as Y from "yjs"
import { docFor, editorText, focusEnd, openAs } from "./fixtures.js"
import { startOwnServer } from "./own-server.js"

/** A chat message as the app keeps it in `getArray("chat")`. */
interface ChatMessage {
  id: string
  name: string
  color: string
  text: string
  at: number
}

/** The chat panel's parts, found as a person would: by role and accessible name. */
function chatOf(page: Page) {
  return {
    log: page.getByRole("log", { name: "Chat" }),
    box: page.getByRole("textbox", { name: "Message" }),
    toggle: page.getByTestId("chat-toggle"),
    unread: page.getByTestId("chat-unread"),
  }
}

/** Posts `text` from the page's message box with Enter. */
async function say(page: Page, text: string): Promise<void> {
  const { box } = chatOf(page)
  await box.fill(text)
  await box.press("Enter")
  await expect(box).toHaveValue("")
}

/** A stock y-websocket client in this Node process, on the server at `baseURL`. */
async function stockClient(baseURL: string, doc: string, name: string): Promise<WebsocketProvider> {
  const provider = new WebsocketProvider(`${baseURL.replace(/^http/, "ws")}/sync`, doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  provider.awareness.setLocalStateField("user", { name, color: "#2a7a4b" })
  if (!provider.synced) {
    await new Promise<void>((resolve) => {
      const onSync = (synced: boolean) => {
        if (!synced) return
        provider.off("sync", onSync)
        resolve()
      }
      provider.on("sync", onSync)
    })
  }
  return provider
}

function chatTexts(provider: WebsocketProvider): string[] {
  return provider.doc.getArray<ChatMessage>("chat").toArray().map((message) => message.text)
}

/** Opens `doc` on the server at `baseURL` in a new context as `name`, once connected and saved. */
async function openAt(browser: Browser, baseURL: string, doc: string, name: string): Promise<Page> {
  const context = await browser.newContext({ baseURL })
  const page = await context.newPage()
  await page.goto(`/d/${doc}`)
  await page.getByTestId("your-name").fill(name)
  await page.getByTestId("your-name").press("Enter")
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  return page
}

/** The chat texts the server holds for `doc`, read from the documents API as a Yjs update. */
async function storedChat(baseURL: string, doc: string): Promise<string[]> {
  const response = await fetch(`${baseURL}/api/docs/${encodeURIComponent(doc)}/update`)
  if (response.status !== 200) return []
  const ydoc = new Y.Doc()
  Y.applyUpdate(ydoc, new Uint8Array(await response.arrayBuffer()))
  return ydoc.getArray<ChatMessage>("chat").toArray().map((message) => message.text)
}

test("two people chat while editing and each sees the other's messages live, with names", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  const aliceChat = chatOf(alice.page)
  const bobChat = chatOf(bob.page)
  await expect(aliceChat.log).toBeVisible()
  await expect(bobChat.log).toBeVisible()

  await focusEnd(alice.page)
  await alice.page.keyboard.type("Agenda: ")
  await say(alice.page, "Shall we start with the budget?")
  await expect(bobChat.log.locator(".chat-message", { hasText: "Shall we start with the budget?" })).toContainText("Alice")

  // Shift+Enter starts a new line; Enter sends.
  await bobChat.box.fill("Yes.")
  await bobChat.box.press("Shift+Enter")
  await bobChat.box.pressSequentially("Then the launch.")
  await bobChat.box.press("Enter")
  const reply = aliceChat.log.locator(".chat-message", { hasText: "Then the launch." })
  await expect(reply.locator(".chat-name")).toHaveText("Bob")
  await expect(reply.locator(".chat-text")).toHaveText("Yes.\nThen the launch.")
  await expect(reply.locator("time")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/)
  // Bob's colour is the one his browser chose for him, and the one his cursor has.
  const bobColor = await bob.page.evaluate(() => (JSON.parse(localStorage.getItem("tandem:user") ?? "{}") as { color?: string }).color)
  expect(bobColor).toMatch(/^#[0-9a-f]{6}$/i)
  expect(await reply.evaluate((element) => (element as HTMLElement).style.getPropertyValue("--color"))).toBe(bobColor)

  // Editing goes on beside the chat, and both end with the same text.
  await focusEnd(bob.page)
  await bob.page.keyboard.type("budget, launch.")
  await expect.poll(() => editorText(alice.page)).toBe("Agenda: budget, launch.")
  await expect(aliceChat.log.locator(".chat-message .chat-text")).toHaveText(["Shall we start with the budget?", "Yes.\nThen the launch."])
  await expect(bobChat.log.locator(".chat-message .chat-text")).toHaveText(["Shall we start with the budget?", "Yes.\nThen the launch."])

  // Presence notices: Bob joining (under the name he chose right after) and leaving are said
  // quietly in Alice's list, and are not messages.
  await expect(aliceChat.log.locator(".chat-notice", { hasText: "Bob joined" })).toHaveCount(1)
  await bob.context.close()
  await expect(aliceChat.log.locator(".chat-notice", { hasText: "Bob left" })).toHaveCount(1)
  await expect(aliceChat.log.locator(".chat-message")).toHaveCount(2)

  // Over 2,000 characters the box says so and nothing is sent.
  await aliceChat.box.fill("x".repeat(2001))
  await expect(alice.page.locator("#chat-hint")).toHaveText("2,001 characters: a message can have at most 2,000.")
  await aliceChat.box.press("Enter")
  await expect(aliceChat.box).toHaveValue("x".repeat(2001))
  await expect(aliceChat.log.locator(".chat-message")).toHaveCount(2)
  await aliceChat.box.press("Backspace")
  await expect(alice.page.locator("#chat-hint")).toBeHidden()

  const shot = await alice.page.screenshot({ path: info.outputPath("chat.png") })
  await info.attach("chat beside the document", { body: shot, contentType: "image/png" })
})

test("the messages are still there after the server restarts", async ({ browser }, info) => {
  const doc = docFor(info)
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-chat-e2e-"))
  let server = await startOwnServer({ dataDir })
  try {
    const alice = await openAt(browser, server.url, doc, "Alice")
    await say(alice, "Written before the restart")
    await expect.poll(() => storedChat(server.url, doc)).toEqual(["Written before the restart"])
    await alice.context().close()
    await server.stop()

    server = await startOwnServer({ dataDir })
    // A new context: nothing comes from the browser's own copy; the chat comes from the server.
    const bob = await openAt(browser, server.url, doc, "Bob")
    const message = chatOf(bob).log.locator(".chat-message")
    await expect(message).toHaveCount(1)
    await expect(message.locator(".chat-name")).toHaveText("Alice")
    await expect(message.locator(".chat-text")).toHaveText("Written before the restart")
    await say(bob, "And after it")
    await expect.poll(() => storedChat(server.url, doc)).toEqual(["Written before the restart", "And after it"])
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test("a stock Yjs client and the app read and post the same chat", async ({ browser, baseURL }, info) => {
  const doc = docFor(info)
  const stock = await stockClient(baseURL!, doc, "Stock client")
  try {
    const alice = await openAs(browser, doc, "Alice")
    const chat = chatOf(alice.page)
    stock.doc.getArray<ChatMessage>("chat").push([{ id: "stock-1", name: "Stock client", color: "#2a7a4b", text: "Hello from plain Yjs", at: Date.now() }])
    const posted = chat.log.locator(".chat-message", { hasText: "Hello from plain Yjs" })
    await expect(posted.locator(".chat-name")).toHaveText("Stock client")

    await say(alice.page, "Hello back from the app")
    await expect.poll(() => chatTexts(stock)).toEqual(["Hello from plain Yjs", "Hello back from the app"])
    const fromApp = stock.doc.getArray<ChatMessage>("chat").get(1)
    expect(fromApp).toMatchObject({ name: "Alice", text: "Hello back from the app" })
    expect(typeof fromApp.id).toBe("string")
    expect(fromApp.color).toMatch(/^#[0-9a-f]{3,8}$/i)
    expect(Math.abs(fromApp.at - Date.now())).toBeLessThan(60_000)

    // Anything may be in the array: entries that are not messages are skipped, not shown.
    stock.doc.getArray<unknown>("chat").push([{ text: "no author" }, "a string", { id: "stock-2", name: "Stock client", color: "url(x)", text: "still fine", at: Date.now() }])
    await expect(chat.log.locator(".chat-message .chat-text")).toHaveText(["Hello from plain Yjs", "Hello back from the app", "still fine"])
  } finally {
    stock.destroy()
    stock.doc.destroy()
  }
})

test("markup in a message is shown as text, never run", async ({ browser, baseURL }, info) => {
  const doc = docFor(info)
  const stock = await stockClient(baseURL!, doc, "Mallory")
  try {
    const alice = await openAs(browser, doc, "Alice")
    const chat = chatOf(alice.page)
    const hostile = `<b>bold</b> <script>window.chatInjected = 1</script><img src=x onerror="window.chatInjected = 2">`
    stock.doc.getArray<ChatMessage>("chat").push([{ id: "m1", name: "<i>Mallory</i>", color: "red;background:url(x)", text: hostile, at: Date.now() }])
    const texts = chat.log.locator(".chat-message .chat-text")
    // Posted only once Mallory's message is in: two posts at once are ordered by Yjs client ids.
    await expect(texts).toHaveText([hostile])
    await say(alice.page, "<b>also from the app</b>")
    await expect(texts).toHaveText([hostile, "<b>also from the app</b>"])
    await expect(chat.log.locator(".chat-name").first()).toHaveText("<i>Mallory</i>")
    await expect(chat.log.locator("b, i, script, img")).toHaveCount(0)
    expect(await alice.page.evaluate(() => (window as { chatInjected?: number }).chatInjected)).toBeUndefined()
  } finally {
    stock.destroy()
    stock.doc.destroy()
  }
})

test("the toggle counts unread messages while the panel is closed", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  await say(bob.page, "before closing")
  const chat = chatOf(alice.page)
  await expect(chat.log).toContainText("before closing")

  await chat.toggle.click()
  await expect(chat.toggle).toHaveAttribute("aria-expanded", "false")
  await expect(chat.log).toBeHidden()
  await expect(chat.unread).toBeHidden()
  await say(bob.page, "one")
  await say(bob.page, "two")
  await expect(chat.unread).toHaveText("2")
  await expect(alice.page.getByRole("button", { name: "Chat, 2 unread" })).toBeVisible()
  // Her own messages are not unread to her.
  await chat.toggle.click()
  await expect(chat.unread).toBeHidden()
  await expect(chat.log.locator(".chat-message .chat-text")).toHaveText(["before closing", "one", "two"])
  await chat.toggle.click()
  await say(bob.page, "three")
  await expect(chat.unread).toHaveText("1")
  await chat.toggle.click()
  await expect(chat.unread).toBeHidden()
  await expect(alice.page.getByRole("button", { name: "Chat", exact: true })).toHaveAttribute("aria-expanded", "true")
})

test("the list shows the newest 500 messages and loads older ones on scrolling up", async ({ browser, baseURL }, info) => {
  const doc = docFor(info)
  const stock = await stockClient(baseURL!, doc, "Archivist")
  try {
    const at = Date.now() - 3_600_000
    stock.doc.getArray<ChatMessage>("chat").push(Array.from({ length: 520 }, (_, i) => ({ id: `old-${i}`, name: "Archivist", color: "#555", text: `message ${i}`, at: at + i })))
    await expect.poll(async () => (await storedChat(baseURL!, doc)).length).toBe(520)
    const alice = await openAs(browser, doc, "Alice")
    const messages = chatOf(alice.page).log.locator(".chat-message")
    await expect(messages).toHaveCount(500)
    await expect(messages.first()).toContainText("message 20")
    await expect(messages.last()).toContainText("message 519")
    await alice.page.locator(".chat-scroll").evaluate((element) => element.scrollTo({ top: 0 }))
    await expect(messages).toHaveCount(520)
    await expect(messages.first()).toContainText("message 0")
  } finally {
    stock.destroy()
    stock.doc.destroy()
  }
})

test("a read-only user reads the chat but cannot post, and the box says why", async ({ browser, baseURL }, info) => {
  const doc = docFor(info)
  const stock = await stockClient(baseURL!, doc, "Writer")
  try {
    stock.doc.getArray<ChatMessage>("chat").push([{ id: "w1", name: "Writer", color: "#2a7a4b", text: "for everyone to read", at: Date.now() }])
    await expect.poll(() => storedChat(baseURL!, doc)).toEqual(["for everyone to read"])
    const context = await browser.newContext()
    // The server answers a read-only connection's write with permission-denied (tag 2, 0, reason);
    // the web app cannot present a read-only token yet, so this route adds that answer itself.
    const reason = new TextEncoder().encode("read-only access")
    await context.routeWebSocket(/\/sync\//, (route) => {
      route.connectToServer()
      route.send(Buffer.from([2, 0, reason.length, ...reason]))
    })
    const page = await context.newPage()
    await page.goto(`/d/${doc}`)
    // The first visit of a context loads the page's code and the browser copy before connecting.
    await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected", { timeout: 20_000 })
    const chat = chatOf(page)
    await expect(chat.log).toContainText("for everyone to read")
    await expect(chat.box).toBeDisabled()
    await expect(page.locator("#chat-hint")).toHaveText("You can read this chat but not post: your access to this document is read-only.")
    await expect(chat.box).toHaveAccessibleDescription("You can read this chat but not post: your access to this document is read-only.")
    await expect(page.getByRole("button", { name: "Send" })).toBeDisabled()
  } finally {
    stock.destroy()
    stock.doc.destroy()
  }
})

test("on a phone-sized screen the chat is a sheet that causes no sideways scrolling", async ({ browser }, info) => {
  const doc = docFor(info)
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
  const page = await context.newPage()
  await page.goto(`/d/${doc}`)
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  const chat = chatOf(page)
  // Closed at first on a phone, so the editor has the screen.
  await expect(chat.toggle).toHaveAttribute("aria-expanded", "false")
  await chat.toggle.click()
  await expect(chat.box).toBeFocused()
  await say(page, `a-long-word-${"x".repeat(300)}`)
  await say(page, "short")
  const sheet = (await page.getByTestId("chat-panel").boundingBox())!
  expect(sheet.x).toBeGreaterThanOrEqual(0)
  expect(sheet.x + sheet.width).toBeLessThanOrEqual(390)
  expect(sheet.y + sheet.height).toBeLessThanOrEqual(844)
  await expect(chat.box).toBeInViewport()
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  expect(await page.locator(".chat-scroll").evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true)
  const shot = await page.screenshot({ path: info.outputPath("chat-narrow.png") })
  await info.attach("chat sheet on a narrow screen", { body: shot, contentType: "image/png" })
  await page.keyboard.press("Escape")
  await expect(chat.toggle).toBeFocused()
  await expect(chat.toggle).toHaveAttribute("aria-expanded", "false")

  // Widened, it stands beside the editor; narrowed again, it gets out of the editor's way.
  await page.setViewportSize({ width: 1280, height: 800 })
  await expect(chat.log).toBeVisible()
  const beside = (await page.getByTestId("chat-panel").boundingBox())!
  const editor = (await page.getByTestId("editor").boundingBox())!
  expect(beside.x).toBeGreaterThanOrEqual(editor.x + editor.width - 1)
  await page.setViewportSize({ width: 390, height: 844 })
  await expect(chat.log).toBeHidden()
  await expect(chat.toggle).toHaveAttribute("aria-expanded", "false")
})
