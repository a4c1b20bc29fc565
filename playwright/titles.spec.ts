import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AxeBuilder } from "@axe-core/playwright"
import { expect, test, type Browser, type Page } from "@playwright/test"
import { focusEnd, openAs, openMore } from "./fixtures.js"
import { startOwnServer } from "./own-server.js"

/** A page of a fresh browser context (its own storage), on the start page. */
async function freshStartPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto("/")
  return page
}

/** Creates a document from the start page with `title`; resolves once it is open and saved. */
async function createWithTitle(page: Page, title: string): Promise<void> {
  await page.getByRole("textbox", { name: "Title" }).fill(title)
  await page.getByRole("button", { name: "New document" }).click()
  // The page load can be slow on a busy machine; the URL is checked by the callers.
  await page.waitForURL(/\/d\//)
  // Generous: a new page loads its browser copy, checks access and connects first.
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected", { timeout: 20_000 })
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved", { timeout: 20_000 })
}

/** The document name of the page's URL. */
function docOf(page: Page): string {
  return decodeURIComponent(new URL(page.url()).pathname.slice(3))
}

test("a title with spaces and accents gives a readable URL; everyone sees the title, renames live, and the same title again gets -2", async ({ browser, request }) => {
  // Four browsers, one after the other.
  test.setTimeout(120_000)
  // The names are fixed by the title: start from a server that does not have them (a retry may follow a run).
  for (const name of ["cafe-meeting-notes", "cafe-meeting-notes-2"]) expect([204, 404]).toContain((await request.delete(`/api/docs/${name}`)).status())

  const alice = await freshStartPage(browser)
  await createWithTitle(alice, "Café meeting notes")
  await expect(alice).toHaveURL(/\/d\/cafe-meeting-notes$/)
  await expect(alice.getByTestId("doc-title")).toHaveText("Café meeting notes")
  await expect(alice).toHaveTitle("Café meeting notes · Tandem")

  const bob = await openAs(browser, "cafe-meeting-notes", "Bob")
  await expect(bob.page.getByRole("heading", { level: 1 })).toHaveText("Café meeting notes")
  await expect(bob.page).toHaveTitle("Café meeting notes · Tandem")

  // Rename in place: Enter saves, and Bob sees it live.
  await alice.getByTestId("more").click()
  await alice.getByRole("button", { name: "Rename" }).click()
  const box = alice.getByRole("textbox", { name: "Title" })
  await expect(box).toBeFocused()
  await expect(box).toHaveValue("Café meeting notes")
  await box.fill("Café notes, renamed")
  await box.press("Enter")
  await expect(alice.getByTestId("doc-title")).toHaveText("Café notes, renamed")
  await expect(alice.getByTestId("more")).toBeFocused()
  await expect(bob.page.getByTestId("doc-title")).toHaveText("Café notes, renamed")
  await expect(bob.page).toHaveTitle("Café notes, renamed · Tandem")

  // Escape cancels: nothing changes, here or there.
  await bob.page.getByTestId("more").click()
  await bob.page.getByRole("button", { name: "Rename" }).click()
  await bob.page.getByRole("textbox", { name: "Title" }).fill("Not this")
  await bob.page.getByRole("textbox", { name: "Title" }).press("Escape")
  await expect(bob.page.getByTestId("doc-title")).toHaveText("Café notes, renamed")
  await expect(bob.page.getByRole("textbox", { name: "Title" })).toBeHidden()
  await expect(bob.page.getByTestId("more")).toBeFocused()

  // The URL stays; the same title from another browser gets a name of its own.
  const carol = await freshStartPage(browser)
  await createWithTitle(carol, "Café meeting notes")
  await expect(carol).toHaveURL(/\/d\/cafe-meeting-notes-2$/)
  await expect(carol.getByTestId("doc-title")).toHaveText("Café meeting notes")
  await expect(alice.getByTestId("doc-title")).toHaveText("Café notes, renamed")

  // The OT editor has no Y.Doc to keep a title in: it shows the URL name, and offers no rename.
  const ot = await freshStartPage(browser)
  await ot.goto("/d/cafe-meeting-notes?client=ot")
  await expect(ot.getByTestId("connection")).toHaveAttribute("data-state", "connected", { timeout: 20_000 })
  await expect(ot.getByTestId("doc-title")).toHaveText("cafe-meeting-notes")
  await ot.getByTestId("more").click()
  await expect(ot.getByRole("button", { name: "Delete…" })).toBeVisible()
  await expect(ot.getByRole("button", { name: "Rename" })).toHaveCount(0)

  for (const page of [alice, bob.page, carol, ot]) await page.context().close()
})

test("a title with nothing readable in a URL gets a readable random name and keeps its title", async ({ browser }) => {
  const page = await freshStartPage(browser)
  await createWithTitle(page, "会议记录")
  await expect(page).toHaveURL(/\/d\/[a-z]+-[a-z]+-\d{3}$/)
  await expect(page.getByTestId("doc-title")).toHaveText("会议记录")
  // Kept in the document on the server: a fresh browser sees it.
  const other = await openAs(browser, docOf(page), "Bob")
  await expect(other.page.getByTestId("doc-title")).toHaveText("会议记录")
  await expect(other.page).toHaveTitle("会议记录 · Tandem")
  await page.context().close()
  await other.context.close()
})

test("an empty title makes an Untitled document under a random name", async ({ browser }) => {
  const page = await freshStartPage(browser)
  await createWithTitle(page, "")
  await expect(page).toHaveURL(/\/d\/[a-z]+-[a-z]+-\d{3}$/)
  await expect(page.getByTestId("doc-title")).toHaveText("Untitled")
  await page.context().close()
})

test("Delete asks first: Cancel keeps the document, Delete removes it for everyone and goes to the start page", async ({ browser, request }, info) => {
  test.setTimeout(120_000)
  const page = await freshStartPage(browser)
  const title = `Doomed notes ${info.testId} ${info.retry}`
  await createWithTitle(page, title)
  const doc = docOf(page)
  await focusEnd(page)
  await page.keyboard.type("Some text")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  const bob = await openAs(browser, doc, "Bob")

  // Cancel, from the keyboard: the dialog names the document and starts on Cancel.
  await page.getByTestId("more").focus()
  await page.keyboard.press("Enter")
  await page.getByRole("button", { name: "Delete…" }).focus()
  await page.keyboard.press("Enter")
  const dialog = page.getByRole("dialog", { name: "Delete this document?" })
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText(`“${title}”`)
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused()
  expect(await seriousViolations(page)).toEqual([])
  await page.keyboard.press("Enter")
  await expect(dialog).toBeHidden()
  expect((await request.get(`/api/docs/${doc}/text`)).status()).toBe(200)
  // Escape closes it too.
  await page.getByTestId("more").click()
  await page.getByRole("button", { name: "Delete…" }).click()
  await expect(dialog).toBeVisible()
  await page.keyboard.press("Escape")
  await expect(dialog).toBeHidden()
  expect((await request.get(`/api/docs/${doc}/text`)).status()).toBe(200)

  await page.getByTestId("more").click()
  await page.getByRole("button", { name: "Delete…" }).click()
  await dialog.getByRole("button", { name: "Delete", exact: true }).click()
  await expect(page).toHaveURL(/\/$/)
  expect((await request.get(`/api/docs/${doc}/text`)).status()).toBe(404)
  const list = page.getByTestId("doc-list")
  await expect(list).toBeVisible()
  await expect(list.getByRole("link", { name: doc, exact: true })).toHaveCount(0)
  await expect(page.getByTestId("recent").getByText(doc, { exact: true })).toHaveCount(0)
  // Bob's editor stops and says why, rather than writing the document back.
  await expect(bob.page.getByTestId("notice")).toContainText("deleted")
  expect((await request.get(`/api/docs/${doc}/text`)).status()).toBe(404)
  await page.context().close()
  await bob.context.close()
})

test("with auth: a read-only token sees the title but no Rename or Delete; a write token renames and deletes", async ({ browser }) => {
  test.setTimeout(120_000)
  const secret = "titles-e2e-secret-of-at-least-32-characters"
  const mint = (access: "read" | "write") => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
    const head = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ sub: `e2e-${access}`, docs: ["shared/*"], access, exp: Math.floor(Date.now() / 1000) + 3600 })}`
    return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`
  }
  const dataDir = mkdtempSync(join(tmpdir(), "tandem-titles-"))
  const server = await startOwnServer({ dataDir, env: { TANDEM_AUTH_SECRET: secret } })
  try {
    const writer = await (await browser.newContext({ baseURL: server.url })).newPage()
    await writer.goto(`/d/shared/plan#token=${mint("write")}`)
    await expect(writer.getByTestId("connection")).toHaveAttribute("data-state", "connected", { timeout: 15_000 })
    await writer.getByTestId("more").click()
    await writer.getByRole("button", { name: "Rename" }).click()
    await writer.getByRole("textbox", { name: "Title" }).fill("The plan")
    await writer.getByRole("textbox", { name: "Title" }).press("Enter")
    await expect(writer.getByTestId("doc-title")).toHaveText("The plan")

    const reader = await (await browser.newContext({ baseURL: server.url })).newPage()
    await reader.goto(`/d/shared/plan#token=${mint("read")}`)
    await expect(reader.getByTestId("doc-title")).toHaveText("The plan")
    await openMore(reader)
    await expect(reader.getByRole("button", { name: "Rename" })).toBeHidden()
    await expect(reader.getByRole("button", { name: "Delete…" })).toBeHidden()

    // The delete request carries the token.
    await writer.getByTestId("more").click()
    await writer.getByRole("button", { name: "Delete…" }).click()
    await writer.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click()
    await expect(writer).toHaveURL(/\/$/)
    const after = await writer.request.get(`${server.url}/api/docs/shared/plan/text`, { headers: { authorization: `Bearer ${mint("read")}` } })
    expect(after.status()).toBe(404)
    await writer.context().close()
    await reader.context().close()
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id} (${violation.impact}): ${node.target.join(" ")} — ${node.failureSummary ?? violation.help}`))
}
