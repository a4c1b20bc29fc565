import { AxeBuilder } from "@axe-core/playwright"
import { expect, test, type Locator, type Page } from "@playwright/test"
import { docFor, focusEnd, openAs } from "./fixtures.js"

/** axe's serious and critical findings on `page`, as "rule: target" lines, for a readable failure. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .flatMap((violation) => violation.nodes.map((node) => `${violation.id} (${violation.impact}): ${node.target.join(" ")} — ${node.failureSummary ?? violation.help}`))
}

test("the start page has no serious or critical accessibility violations", async ({ page }) => {
  await page.goto("/")
  await expect(page.getByRole("heading", { level: 1, name: "Tandem" })).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])
})

test("a document page has landmarks, a heading, a labelled editor and live status, and no serious violations", async ({ browser }, info) => {
  const doc = docFor(info)
  const { page } = await openAs(browser, doc, "Alice")
  await focusEnd(page)
  await page.keyboard.type("Some text to check.")
  await expect(page.getByTestId("sync")).toHaveAttribute("data-state", "saved")

  await expect(page.getByRole("main")).toBeVisible()
  await expect(page.getByRole("heading", { level: 1, name: doc })).toBeVisible()
  await expect(page.getByRole("textbox", { name: doc, exact: true })).toBeVisible()
  await expect(page.getByRole("status", { name: "Connection" })).toHaveText("Connected")
  await expect(page.getByRole("status", { name: "Save status" })).toHaveText("Saved")
  expect(await seriousViolations(page)).toEqual([])
})

test("the document page with the History panel open has no serious violations, and its controls are reachable by keyboard", async ({ browser }, info) => {
  const doc = docFor(info)
  const { page } = await openAs(browser, doc, "Alice")
  // From the name box, Tab reaches the header's controls in order: your colour, Copy link,
  // History; Enter opens the panel.
  await page.getByTestId("your-name").focus()
  await page.keyboard.press("Tab")
  await expect(page.getByRole("button", { name: /^Your colour/ })).toBeFocused()
  const tabTo = async (target: Locator) => {
    for (let presses = 0; presses < 5 && !(await target.evaluate((element) => element === document.activeElement)); presses++) await page.keyboard.press("Tab")
    await expect(target).toBeFocused()
  }
  await tabTo(page.getByTestId("share"))
  const toggle = page.getByRole("button", { name: "History", exact: true })
  await tabTo(toggle)
  await page.keyboard.press("Enter")
  const panel = page.getByRole("complementary", { name: "History" })
  await expect(panel).toBeVisible()
  await expect(panel.getByTestId("versions")).toHaveAttribute("aria-busy", "false")
  expect(await seriousViolations(page)).toEqual([])
})
