import { expect, test } from "@playwright/test"
import { docFor, openAs } from "./fixtures.js"

// The server of playwright.config.ts is started with this TANDEM_ADMIN_TOKEN.
const adminToken = "e2e-admin-token"

declare global {
  interface Window {
    /** Every `data-state` the connection indicator took, recorded by the test. */
    connectionStates?: string[]
  }
}

test("the admin page asks for the token, lists a document's connections live and unloads it", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")

  const adminContext = await browser.newContext()
  const admin = await adminContext.newPage()
  await admin.goto("/admin")
  await expect(admin.getByRole("heading", { level: 1, name: "Admin" })).toBeVisible()
  await expect(admin.getByRole("main")).toBeVisible()
  const tokenField = admin.getByLabel("Admin token")
  await expect(tokenField).toBeFocused()

  // A wrong token is refused and asked for again; nothing is listed.
  await tokenField.fill("not-the-admin-token")
  await admin.getByRole("button", { name: "Sign in" }).click()
  await expect(admin.getByRole("alert")).toHaveText("That token was refused.")
  await expect(tokenField).toBeVisible()
  await expect(admin.getByTestId("admin-rooms")).toBeHidden()

  await tokenField.fill(adminToken)
  await admin.getByRole("button", { name: "Sign in" }).click()
  await expect(tokenField).toBeHidden()
  await expect(admin.getByTestId("admin-alert")).toBeEmpty()
  const table = admin.getByRole("table", { name: "Loaded documents" })
  const row = table.getByRole("row").filter({ has: admin.getByRole("link", { name: doc, exact: true }) })
  await expect(row.getByRole("link", { name: doc, exact: true })).toHaveAttribute("href", `/d/${doc}`)
  await expect(row.getByTestId("room-connections")).toHaveText("1")
  await expect(row.getByTestId("room-size")).toHaveText(/\d B$|kB$/)
  await expect(admin.getByTestId("admin-refreshed")).toContainText("Updated")

  // A second person opens the document: the page shows it at its next refresh, without a reload.
  const bob = await openAs(browser, doc, "Bob")
  await expect(row.getByTestId("room-connections")).toHaveText("2", { timeout: 10_000 })

  // A reload keeps the token for this tab.
  await admin.reload()
  await expect(row.getByTestId("room-connections")).toHaveText("2")
  await expect(admin.getByLabel("Admin token")).toBeHidden()

  // Unloading closes the editors' connections: their indicator leaves "connected" (and the
  // editor then reconnects by itself, so each state the indicator takes is recorded).
  for (const person of [alice, bob]) {
    await person.page.evaluate(() => {
      const indicator = document.querySelector<HTMLElement>('[data-testid="connection"]')!
      const states: string[] = []
      window.connectionStates = states
      new MutationObserver(() => states.push(indicator.dataset.state ?? "")).observe(indicator, { attributes: true, attributeFilter: ["data-state"] })
    })
  }
  await row.getByRole("button", { name: `Unload ${doc}`, exact: true }).click()
  const confirm = row.getByRole("button", { name: `Confirm unload of ${doc}`, exact: true })
  await expect(confirm).toBeFocused()
  await confirm.click()
  await expect(admin.getByRole("status")).toContainText(`Closed every connection to ${doc}`)
  for (const person of [alice, bob]) {
    await expect.poll(() => person.page.evaluate(() => window.connectionStates)).toContain("offline")
    await expect(person.page.getByTestId("connection")).toHaveAttribute("data-state", "connected")
  }

  // Signing out forgets the token, also across a reload.
  await admin.getByRole("button", { name: "Sign out" }).click()
  await expect(admin.getByLabel("Admin token")).toBeFocused()
  await expect(admin.getByTestId("admin-rooms")).toBeHidden()
  await admin.reload()
  await expect(admin.getByLabel("Admin token")).toBeVisible()

  await Promise.all([alice.context.close(), bob.context.close(), adminContext.close()])
})
