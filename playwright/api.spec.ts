import { expect, test } from "@playwright/test"
import { docFor, editorText, openAs } from "./fixtures.js"

test("a PUT through the API while two people type elsewhere keeps their edits, and a stale If-Match gets 412", async ({ browser, request }, info) => {
  const doc = docFor(info)
  const path = `/api/docs/${encodeURIComponent(doc)}/text`
  const start = "# Notes\n\nThe middle paragraph is old.\n\nThe end.\n"
  expect((await request.put(path, { data: start, headers: { "content-type": "text/plain" } })).status()).toBe(201)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  await expect.poll(() => editorText(alice.page)).toBe(start)
  const stale = (await request.get(path)).headers().etag!

  // Alice types at the very start, Bob at the very end, while a script rewrites the middle.
  await alice.page.locator(".cm-content").click()
  await alice.page.keyboard.press("Control+Home")
  await bob.page.locator(".cm-content").click()
  await bob.page.keyboard.press("Control+End")
  const typing = Promise.all([alice.page.keyboard.type("Alice says hi. ", { delay: 15 }), bob.page.keyboard.type("Bob was here.", { delay: 15 })])
  // The script reads, edits and writes with If-Match, retrying when someone typed in between:
  // nobody's typing is overwritten.
  let attempts = 0
  for (;;) {
    attempts++
    const read = await request.get(path)
    const body = (await read.text()).replace("The middle paragraph is old.", "The middle paragraph is NEW.")
    const put = await request.put(path, { data: body, headers: { "content-type": "text/plain", "if-match": read.headers().etag! } })
    if (put.status() === 200) break
    expect(put.status()).toBe(412)
    expect(attempts).toBeLessThan(50)
  }
  await typing

  const expected = "Alice says hi. # Notes\n\nThe middle paragraph is NEW.\n\nThe end.\nBob was here."
  await expect.poll(() => editorText(alice.page)).toBe(expected)
  await expect.poll(() => editorText(bob.page)).toBe(expected)
  await expect.poll(async () => (await request.get(path)).text()).toBe(expected)
  // The tag read before all this is stale: the write is refused and changes nothing.
  const refused = await request.put(path, { data: "overwrite", headers: { "content-type": "text/plain", "if-match": stale } })
  expect(refused.status()).toBe(412)
  expect(await refused.json()).toMatchObject({ error: "precondition-failed" })
  expect(await editorText(alice.page)).toBe(expected)
})
