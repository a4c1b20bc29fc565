import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AxeBuilder } from "@axe-core/playwright"
import { expect as baseExpect, test, type Browser, type Page } from "@playwright/test"
import { docFor, editorText, focusEnd } from "./fixtures.js"
import { startOwnServer, type OwnServer } from "./own-server.js"

// Sign-in in the web app against a server with auth (README "## Auth"): tokens in the link and
// in the sign-in box, refused tokens, and an expiring token replaced without losing typing.

// The machine running these is shared and often busy: page loads take seconds, not milliseconds.
const expect = baseExpect.configure({ timeout: 20_000 })
test.describe.configure({ timeout: 150_000 })

const secret = "signin-spec-secret-of-at-least-32-characters"

/** An HS256 JWT as the server's authorizer checks it, signed with `key`. */
function mint(claims: { docs: string[]; access?: "read" | "write"; expiresInSeconds?: number }, key = secret): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
  const header = encode({ alg: "HS256", typ: "JWT" })
  const payload = encode({ sub: "e2e-user", docs: claims.docs, access: claims.access ?? "write", exp: Math.floor(Date.now() / 1000) + (claims.expiresInSeconds ?? 3600) })
  const signature = createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url")
  return `${header}.${payload}.${signature}`
}

/** axe's serious and critical findings on `page` (as in a11y.spec.ts). */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id} (${violation.impact}): ${node.target.join(" ")} — ${node.failureSummary ?? violation.help}`))
}

let server: OwnServer
let dataDir: string

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tandem-signin-"))
  server = await startOwnServer({ dataDir, env: { TANDEM_AUTH_SECRET: secret } })
})

test.afterAll(async () => {
  await server?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The document's text as the server has it, read with `token`. */
async function serverText(doc: string, token: string): Promise<string> {
  const response = await fetch(`${server.url}/api/docs/${encodeURIComponent(doc)}/text`, { headers: { authorization: `Bearer ${token}` } })
  return response.ok ? response.text() : `HTTP ${response.status}`
}

/** A fresh browser context on the auth server: its own storage, so no token is remembered. */
async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url })
  return context.newPage()
}

async function expectConnectedAndSaved(page: Page): Promise<void> {
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
}

test("a token in the link signs in, leaves the address bar, and is remembered across a reload", async ({ browser }, info) => {
  const doc = docFor(info)
  const token = mint({ docs: [doc] })
  const page = await newPage(browser)
  await page.goto(`/d/${doc}?client=yjs#token=${token}`)
  await expectConnectedAndSaved(page)
  // The token is gone from the address bar; the rest of the URL stays.
  expect(page.url()).toBe(`${server.url}/d/${doc}?client=yjs`)
  await expect(page.getByTestId("sign-in-box")).toBeHidden()

  await focusEnd(page)
  await page.keyboard.type("Typed after a link sign-in.")
  await expect.poll(() => serverText(doc, token)).toBe("Typed after a link sign-in.")

  await page.reload()
  await expectConnectedAndSaved(page)
  expect(await editorText(page)).toBe("Typed after a link sign-in.")
  await expect(page.getByTestId("sign-in-box")).toBeHidden()
  await page.context().close()
})

test("a page opened without a token shows the sign-in box instead of connecting, and the box signs in", async ({ browser }, info) => {
  const doc = docFor(info)
  const page = await newPage(browser)
  const sockets: string[] = []
  page.on("websocket", (socket) => sockets.push(socket.url()))
  await page.goto(`/d/${doc}`)

  const box = page.getByRole("form", { name: "Sign in" })
  await expect(box).toBeVisible()
  await expect(page.getByTestId("notice")).toHaveText(/This server needs you to sign in/)
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "signed-out")
  await expect(page.getByTestId("connection")).toHaveText("Signed out")
  await expect(page.getByTestId("editor")).toBeHidden()
  await expect(box.getByLabel("Access token")).toBeFocused()
  expect(await seriousViolations(page)).toEqual([])

  // An empty box and a badly signed token are refused in the box, and nothing connects.
  await box.getByRole("button", { name: "Sign in" }).click()
  await expect(page.getByTestId("sign-in-error")).toHaveText("Paste your access token first.")
  await box.getByLabel("Access token").fill(mint({ docs: [doc] }, "some-other-secret-of-at-least-32-characters"))
  await box.getByRole("button", { name: "Sign in" }).click()
  await expect(page.getByTestId("sign-in-error")).toHaveText(/did not accept that token/)
  expect(sockets).toEqual([])

  const token = mint({ docs: [doc] })
  await box.getByLabel("Access token").fill(token)
  await box.getByRole("button", { name: "Sign in" }).click()
  await expectConnectedAndSaved(page)
  await expect(box).toBeHidden()
  await expect(page.getByTestId("notice")).toBeHidden()
  expect(sockets).toHaveLength(1)
  expect(sockets[0]).toContain(`token=${token}`)

  await focusEnd(page)
  await page.keyboard.type("Typed after signing in in the box.")
  await expect.poll(() => serverText(doc, token)).toBe("Typed after signing in in the box.")
  await page.context().close()
})

test("a badly signed token gets the 401 sentence and the box; a token for other documents the 403 sentence", async ({ browser }, info) => {
  const doc = docFor(info)
  const page = await newPage(browser)
  await page.goto(`/d/${doc}#token=${mint({ docs: [doc] }, "some-other-secret-of-at-least-32-characters")}`)
  await expect(page.getByTestId("notice")).toHaveText(/did not accept your access token.*Paste a new token/)
  await expect(page.getByRole("form", { name: "Sign in" })).toBeVisible()
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "signed-out")
  expect(await seriousViolations(page)).toEqual([])

  // The link's token replaces the remembered one; this one is valid, for other documents only.
  await page.goto(`/d/${doc}#token=${mint({ docs: ["somewhere/else/*"] })}`)
  await expect(page.getByTestId("notice")).toHaveText(/cannot open this document\. Ask the document's owner for access/)
  await expect(page.getByTestId("connection")).toHaveText("No access")
  await expect(page.getByRole("form", { name: "Sign in" })).toBeVisible()
  await expect(page.getByTestId("editor")).toBeHidden()
  await page.context().close()
})

test("an expiring token is replaced through getToken while typing goes on, and nothing typed is lost", async ({ browser }, info) => {
  const doc = docFor(info)
  const page = await newPage(browser)
  // Long enough to open the page on a busy machine, short enough to type across.
  const short = mint({ docs: [doc], expiresInSeconds: 20 })
  await page.goto(`/d/${doc}#token=${short}`)
  await expectConnectedAndSaved(page)
  await focusEnd(page)

  // Type word by word across the expiry, until the server closes the connection (4401).
  const connection = page.getByTestId("connection")
  let typed = ""
  for (let word = 0; (await connection.getAttribute("data-state")) !== "signed-out"; word++) {
    expect(word, "the sign-in never expired").toBeLessThan(1000)
    const text = `w${word} `
    await page.keyboard.type(text, { delay: 20 })
    typed += text
  }
  await expect(page.getByTestId("notice")).toHaveText(/Your sign-in expired/)
  await expect(page.getByRole("form", { name: "Sign in" })).toBeVisible()
  // The editor stays, and keeps the focus: typing goes on while signed out.
  await expect(page.getByTestId("editor")).toBeVisible()
  await page.keyboard.type("typed while signed out.")
  typed += "typed while signed out."
  await expect(page.getByTestId("sync")).not.toHaveAttribute("data-state", "saved")
  expect(await editorText(page)).toBe(typed)

  // Another tab of the same browser signs in: this one takes the stored token and reconnects.
  const fresh = mint({ docs: [doc] })
  const other = await page.context().newPage()
  await other.goto("/not-a-page")
  await other.evaluate(([key, token]) => localStorage.setItem(key!, token!), [`tandem:token:${server.url}`, fresh])
  await expectConnectedAndSaved(page)
  await expect(page.getByRole("form", { name: "Sign in" })).toBeHidden()
  await expect.poll(() => serverText(doc, fresh)).toBe(typed)
  await page.context().close()
})

test("the start page of a server with auth offers the sign-in box instead of an empty list", async ({ browser }, info) => {
  const doc = docFor(info)
  const token = mint({ docs: [`${doc}*`] })
  // Something to list: the document exists once written through the API.
  const put = await fetch(`${server.url}/api/docs/${encodeURIComponent(doc)}/text`, { method: "PUT", headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" }, body: "listed" })
  expect(put.status).toBeLessThan(300)

  const page = await newPage(browser)
  await page.goto("/")
  const box = page.getByRole("form", { name: "Sign in" })
  await expect(box).toBeVisible()
  await expect(page.getByTestId("list-sign-in")).toContainText("This server needs you to sign in")
  expect(await seriousViolations(page)).toEqual([])

  await box.getByLabel("Access token").fill(token)
  await box.getByRole("button", { name: "Sign in" }).click()
  await expect(page.getByTestId("doc-list")).toContainText(doc)
  await expect(box).toBeHidden()
  await page.context().close()
})
