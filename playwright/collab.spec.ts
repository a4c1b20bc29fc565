import { expect, test } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs } from "./fixtures.js"

test("two people typing at the same time end with the same text and see each other's cursor", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  await focusEnd(alice.page)
  await focusEnd(bob.page)
  await Promise.all([alice.page.keyboard.type("alpha alpha alpha "), bob.page.keyboard.type("beta beta beta ")])

  await expect
    .poll(async () => {
      const [a, b] = await Promise.all([editorText(alice.page), editorText(bob.page)])
      return a === b && a.includes("alpha alpha alpha ") && a.includes("beta beta beta ") ? a.length : -1
    })
    .toBe("alpha alpha alpha ".length + "beta beta beta ".length)

  // "Saved" means the server confirmed every change is stored.
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  await expect(alice.page.getByTestId("sync")).toHaveText("Saved")
  // Each sees the other's caret with its name label (shown only for a moment after typing, or
  // on hover: cursors.spec.ts).
  await expect(alice.page.locator(".cm-ySelectionInfo", { hasText: "Bob" })).toBeAttached()
  await expect(bob.page.locator(".cm-ySelectionInfo", { hasText: "Alice" })).toBeAttached()
  await expect(alice.page.getByTestId("people")).toContainText("Bob")
  await expect(bob.page.getByTestId("people")).toContainText("Alice")
  await expect(bob.page.getByTestId("people")).toContainText("Bob (you)")

  const shot = await alice.page.screenshot({ path: info.outputPath("two-users.png") })
  await info.attach("two users editing", { body: shot, contentType: "image/png" })
})

test("undo in one browser removes only that person's text", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  await focusEnd(alice.page)
  await alice.page.keyboard.type("mine ")
  await expect.poll(() => editorText(bob.page)).toBe("mine ")
  await focusEnd(bob.page)
  await bob.page.keyboard.type("theirs")
  await expect.poll(() => editorText(alice.page)).toBe("mine theirs")

  await alice.page.keyboard.press("Control+z")
  await expect.poll(() => editorText(alice.page)).toBe("theirs")
  await expect.poll(() => editorText(bob.page)).toBe("theirs")
})

test("a person cut off from the server keeps editing and converges after reconnecting", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")

  await alice.setOnline(false)
  await expect(alice.page.getByTestId("connection")).toHaveAttribute("data-state", "offline")
  await focusEnd(alice.page)
  await alice.page.keyboard.type("written offline. ")
  await focusEnd(bob.page)
  await bob.page.keyboard.type("written online. ")
  await expect.poll(() => editorText(bob.page)).toBe("written online. ")

  await alice.setOnline(true)
  // The client retries with backoff while it is cut off (full jitter, doubling from 0.5 s): the
  // longer that took on a busy machine, the later its next try. Flaky in CI at 5 s.
  await expect(alice.page.getByTestId("connection")).toHaveAttribute("data-state", "connected", { timeout: 20_000 })
  await expect
    .poll(async () => {
      const [a, b] = await Promise.all([editorText(alice.page), editorText(bob.page)])
      return a === b && a.includes("written offline. ") && a.includes("written online. ")
    })
    .toBe(true)
})

test("the text is still there after a reload, even one made while offline", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  await focusEnd(alice.page)
  await alice.page.keyboard.type("first line")
  // Stored: another person loads it from the server.
  const bob = await openAs(browser, doc, "Bob")
  await expect.poll(() => editorText(bob.page)).toBe("first line")

  await alice.page.reload()
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  expect(await editorText(alice.page)).toBe("first line")

  await alice.setOnline(false)
  await expect(alice.page.getByTestId("connection")).toHaveAttribute("data-state", "offline")
  await focusEnd(alice.page)
  await alice.page.keyboard.type(", kept in the browser")
  // The page says so once the edit is in the browser's copy: only then is a reload safe.
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved-locally")
  await alice.page.reload()
  // Offline after the reload too: the text comes from the browser's own copy.
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved-locally")
  expect(await editorText(alice.page)).toBe("first line, kept in the browser")

  await alice.setOnline(true)
  await expect.poll(() => editorText(bob.page)).toBe("first line, kept in the browser")
})

test("the start page creates a document, lists it as recent and the link can be copied", async ({ page }) => {
  await page.goto("/")
  await page.getByTestId("new-doc").click()
  await expect(page).toHaveURL(/\/d\/[a-z]+-[a-z]+-\d{3}$/)
  const docUrl = page.url()
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  await page.getByTestId("share").click()
  await expect(page.getByTestId("share")).toHaveAttribute("data-copied", docUrl)
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(docUrl)

  await page.goto("/")
  const name = new URL(docUrl).pathname.slice(3)
  await expect(page.getByTestId("recent")).toContainText(name)
  await page.getByTestId("doc-name").fill("team/plans.md")
  await page.getByTestId("doc-name").press("Enter")
  await expect(page).toHaveURL(/\/d\/team\/plans\.md$/)
  await expect(page.getByTestId("doc-title")).toHaveText("team/plans.md")
})

test("a paste over the server's frame limit is refused with a sentence, the connection stays up, and typing after it reaches the other browser", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  const sockets: string[] = []
  alice.page.on("websocket", (socket) => sockets.push(socket.url()))
  await focusEnd(alice.page)
  await alice.page.keyboard.type("before ")
  await expect.poll(() => editorText(bob.page)).toBe("before ")

  // A real paste event, as the browser fires it, carrying 17 MiB: over the server's 16 MiB frames.
  await alice.page.evaluate(() => {
    const data = new DataTransfer()
    data.setData("text/plain", "x".repeat(17 << 20))
    window.tandemEditor!.view.contentDOM.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }))
  })
  const notice = alice.page.getByTestId("notice")
  await expect(notice).toBeVisible()
  await expect(notice).toContainText("more than the 16 MB the server accepts at once")
  expect(await editorText(alice.page)).toBe("before ")
  await expect(alice.page.getByTestId("connection")).toHaveAttribute("data-state", "connected")

  await alice.page.keyboard.type("after")
  await expect.poll(() => editorText(bob.page)).toBe("before after")
  await expect(notice).toBeHidden()
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  await expect(alice.page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  expect(sockets).toEqual([])
})
