import { expect, test } from "@playwright/test"
import { docFor } from "./fixtures.js"

test("the start page lists the server's documents, newest first, and filters them", async ({ page, request }, info) => {
  const older = docFor(info, "-older")
  const newer = docFor(info, "-newer")
  // Written by "another browser": through the API, never opened here.
  expect((await request.put(`/api/docs/${older}/text`, { data: "first" })).status()).toBe(201)
  expect((await request.put(`/api/docs/${newer}/text`, { data: "second" })).status()).toBe(201)
  await page.goto("/")
  const list = page.getByTestId("doc-list")
  await expect(list.getByRole("link", { name: older })).toBeVisible()
  const names = await list.getByRole("link").allTextContents()
  expect(names.indexOf(newer)).toBeLessThan(names.indexOf(older))

  await page.getByLabel("Filter documents").fill(`${info.testId} NEWER`)
  await expect(list.getByRole("link")).toHaveText([newer])
  await page.getByLabel("Filter documents").fill("no document is called this")
  await expect(list.getByRole("link")).toHaveCount(0)
  await expect(page.getByText("No document matches.")).toBeVisible()
  await page.getByLabel("Filter documents").fill("")
  await list.getByRole("link", { name: older }).click()
  await expect(page).toHaveURL(new RegExp(`/d/${older}$`))
})

test.describe("not-found pages", () => {
  // The status is the server's: the service worker the first page installs may answer later
  // navigations from its cache (200) once it controls the page, which made this flaky in CI.
  test.use({ serviceWorkers: "block" })

  test("an unknown page and an invalid document name get a not-found page with a 404", async ({ page }) => {
    const unknown = await page.goto("/nope")
    expect(unknown?.status()).toBe(404)
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found")
    const bad = await page.goto("/d/a%00b")
    expect(bad?.status()).toBe(404)
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("That is not a document name")
    const empty = await page.goto("/d/a//b")
    expect(empty?.status()).toBe(404)
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("That is not a document name")
  })
})

test("a document created with a title in one browser is listed, by name, on the start page of a fresh browser", async ({ browser }, info) => {
  const creator = await (await browser.newContext()).newPage()
  await creator.goto("/")
  await creator.getByRole("textbox", { name: "Title" }).fill(`Roadmap ${info.testId} ${info.retry}`)
  await creator.getByRole("button", { name: "New document" }).click()
  const name = `roadmap-${info.testId.toLowerCase()}-${info.retry}`
  await expect(creator).toHaveURL(new RegExp(`/d/${name}$`))
  // The title is written once the page has loaded, checked access and synced: generous on a busy machine.
  await expect(creator.getByTestId("sync")).toHaveAttribute("data-state", "saved", { timeout: 20_000 })

  const page = await (await browser.newContext()).newPage()
  await page.goto("/")
  const list = page.getByTestId("doc-list")
  await expect(list.getByRole("link", { name })).toBeVisible()
  await page.getByLabel("Filter documents").fill(`ROADMAP ${info.testId}`)
  await expect(list.getByRole("link")).toHaveText([name])
  await list.getByRole("link", { name }).click()
  await expect(page).toHaveURL(new RegExp(`/d/${name}$`))
  await expect(page.getByTestId("doc-title")).toHaveText(`Roadmap ${info.testId} ${info.retry}`)
  await creator.context().close()
  await page.context().close()
})
