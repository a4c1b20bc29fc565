import { expect, test, type Page } from "@playwright/test"
import { docFor, editorText, focusEnd, openAs } from "./fixtures.js"

/** Where the (only) remote name label is, how opaque, and which text it covers, in `page`. */
function labelLayout(page: Page) {
  return page.evaluate(measureLabel)
}

/** Runs in the page: the label's box and opacity, and the text nodes of `.cm-content` it intersects. */
function measureLabel() {
  const label = document.querySelector<HTMLElement>(".cm-content .cm-ySelectionInfo")
  if (!label) return null
  const box = label.getBoundingClientRect()
  const covered: string[] = []
  const walker = document.createTreeWalker(document.querySelector(".cm-content")!, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement?.closest(".cm-ySelectionCaret") || !node.textContent) continue
    const range = document.createRange()
    range.selectNodeContents(node)
    for (const rect of range.getClientRects()) {
      const width = Math.min(rect.right, box.right) - Math.max(rect.left, box.left)
      const height = Math.min(rect.bottom, box.bottom) - Math.max(rect.top, box.top)
      // A shared edge (or a rounding sliver) is not covering.
      if (width > 0.5 && height > 0.5) covered.push(node.textContent)
    }
  }
  const line = label.closest(".cm-line")!.getBoundingClientRect()
  return {
    active: Boolean(label.closest(".cm-ySelectionCaret-active")),
    width: box.width,
    opacity: Number(getComputedStyle(label).opacity),
    insideLine: box.top >= line.top - 0.5 && box.bottom <= line.bottom + 0.5,
    covered,
  }
}

/**
 * Watches the label in `page` on every frame, from before it shows until it has faded and
 * collapsed again, so that the check does not depend on catching a 1.5 s moment from outside on
 * a slow machine. Resolves with what it saw across all those frames.
 */
async function watchLabelThroughOneShowing(page: Page) {
  // Handed over as source once: a function cannot be passed into the page as an argument.
  await page.evaluate(`window.measureLabel = ${measureLabel.toString()}`)
  return page.evaluate(
    () =>
      new Promise<{ frames: number; maxOpacity: number; maxWidth: number; covered: string[]; alwaysInsideLine: boolean; text: string }>((resolve) => {
        const measure = (window as unknown as { measureLabel: typeof measureLabel }).measureLabel
        let seenActive = false
        const seen = { frames: 0, maxOpacity: 0, maxWidth: 0, covered: [] as string[], alwaysInsideLine: true, text: "" }
        const frame = () => {
          const now = measure()
          if (now) {
            seenActive ||= now.active
            if (seenActive) {
              seen.frames++
              seen.maxOpacity = Math.max(seen.maxOpacity, now.opacity)
              seen.maxWidth = Math.max(seen.maxWidth, now.width)
              seen.covered.push(...now.covered)
              if (now.width > 0) seen.alwaysInsideLine &&= now.insideLine
              seen.text = document.querySelector(".cm-content .cm-ySelectionInfo")!.textContent ?? ""
              if (!now.active && now.width === 0) return resolve(seen)
            }
          }
          requestAnimationFrame(frame)
        }
        requestAnimationFrame(frame)
      }),
  )
}

/** The colour each person has, as the editor on `page` sees them, by name. */
function coloursSeen(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => Object.fromEntries(window.tandemEditor!.status().peers.map((peer) => [peer.name, peer.color])))
}

test("name tags show in the line after someone types, never over text, then fade; hovering the caret shows them", async ({ browser }, info) => {
  // Two people, several phases and a fade to wait for: more than the default on a busy machine.
  test.setTimeout(120_000)
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  await focusEnd(alice.page)
  await alice.page.keyboard.type("The first line has words on it\nThe second line has words too\nAnd a third line below")
  const bob = await openAs(browser, doc, "Bob")
  await expect.poll(() => editorText(bob.page)).toContain("third line")

  // Bob goes to the middle of line 2; once Alice's view of that has settled, he types there.
  await bob.page.locator(".cm-content").click()
  await bob.page.keyboard.press("Control+Home")
  await bob.page.keyboard.press("ArrowDown")
  for (let i = 0; i < "The second ".length; i++) await bob.page.keyboard.press("ArrowRight")
  const lineTwo = "The first line has words on it\nThe second ".length
  await expect.poll(() => alice.page.evaluate(() => window.tandemEditor!.view.posAtDOM(document.querySelector(".cm-ySelectionCaret")!))).toBe(lineTwo)
  await expect(alice.page.locator(".cm-ySelectionCaret-active")).toHaveCount(0, { timeout: 10_000 })
  const watching = watchLabelThroughOneShowing(alice.page)
  await bob.page.keyboard.type("new ")
  await expect.poll(() => editorText(alice.page)).toContain("The second new line")

  // In Alice's editor the label showed fully, in the flow of line 2, covering no text on any
  // frame while shown or fading, and then collapsed.
  const seen = await watching
  expect(seen.text).toBe("Bob")
  expect(seen.maxOpacity).toBe(1)
  expect(seen.maxWidth).toBeGreaterThan(10)
  expect(seen.alwaysInsideLine).toBe(true)
  expect(seen.covered).toEqual([])
  expect(seen.frames).toBeGreaterThan(1)

  // After the moment: faded and collapsed (not visible), still covering nothing.
  await expect(alice.page.locator(".cm-ySelectionInfo", { hasText: "Bob" })).toBeHidden()
  const faded = (await labelLayout(alice.page))!
  expect(faded.opacity).toBe(0)
  expect(faded.width).toBe(0)
  expect(faded.covered).toEqual([])

  // Hovering the caret shows the label again, in the line.
  const caret = alice.page.locator(".cm-ySelectionCaret")
  const at = (await caret.boundingBox())!
  await alice.page.mouse.move(at.x + 1, at.y + at.height / 2)
  await expect(alice.page.locator(".cm-ySelectionInfo", { hasText: "Bob" })).toBeVisible()
  await expect.poll(async () => (await labelLayout(alice.page))?.opacity).toBe(1)
  const hovered = (await labelLayout(alice.page))!
  expect(hovered.covered).toEqual([])
  expect(hovered.insideLine).toBe(true)
  const shot = await alice.page.screenshot({ path: info.outputPath("label-hovered.png") })
  await info.attach("Bob's label on hover", { body: shot, contentType: "image/png" })
  await alice.page.mouse.move(0, 0)
  await expect(alice.page.locator(".cm-ySelectionInfo", { hasText: "Bob" })).toBeHidden()

  // The caret does not get in Alice's way: a click on it puts her cursor there, and she can type.
  const bobAt = await alice.page.evaluate(() => window.tandemEditor!.view.posAtDOM(document.querySelector(".cm-ySelectionCaret")!))
  await alice.page.mouse.click(at.x + 1, at.y + at.height / 2)
  await expect.poll(() => alice.page.evaluate(() => window.tandemEditor!.view.state.selection.main.head)).toBe(bobAt)
  await alice.page.keyboard.press("ArrowRight")
  await alice.page.keyboard.type("!")
  await expect.poll(() => editorText(bob.page)).toContain("The second new l!ine")
})

test("six people on one document get six different colours", async ({ browser }, info) => {
  // Six browser contexts opened one after another: slow on a busy two-core machine.
  test.setTimeout(180_000)
  const doc = docFor(info)
  const names = ["P1", "P2", "P3", "P4", "P5", "P6"]
  const people = []
  for (const name of names) people.push(await openAs(browser, doc, name))
  for (const person of [people[0]!, people[5]!]) {
    await expect
      .poll(async () => {
        const seen = await coloursSeen(person.page)
        return names.every((name) => seen[name]) ? new Set(names.map((name) => seen[name])).size : -1
      })
      .toBe(6)
  }
  await Promise.all(people.map((person) => person.context.close()))
})

test("a picked colour is remembered after a reload and seen by the other person", async ({ browser }, info) => {
  const doc = docFor(info)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, "Bob")
  const picker = alice.page.getByTestId("your-colour")
  await expect(picker).toHaveAccessibleName(/^Your colour: /)

  // By keyboard: the menu opens on the checked swatch; arrows move the choice; Escape closes.
  await picker.focus()
  await alice.page.keyboard.press("Enter")
  const menu = alice.page.getByRole("radiogroup", { name: "Your colour" })
  await expect(menu).toBeVisible()
  await expect(menu.getByRole("radio", { checked: true })).toBeFocused()
  const before = await picker.getAttribute("aria-label")
  await alice.page.keyboard.press("ArrowRight")
  await expect(picker).not.toHaveAttribute("aria-label", before!)
  await alice.page.keyboard.press("Escape")
  await expect(menu).toBeHidden()
  await expect(picker).toBeFocused()

  // By mouse: Alice picks the colour Bob has (a choice is hers to make, even a taken one).
  const bobColour = (await coloursSeen(alice.page)).Bob!
  await picker.click()
  await menu.locator(`[data-color="${bobColour}"]`).click()
  await expect(menu).toBeHidden()
  await expect.poll(async () => (await coloursSeen(bob.page)).Alice).toBe(bobColour)

  await alice.page.reload()
  await expect(alice.page.getByTestId("sync")).toHaveAttribute("data-state", "saved")
  await expect(alice.page.getByTestId("your-colour")).toHaveAttribute("aria-label", /^Your colour: /)
  await alice.page.getByTestId("your-colour").click()
  await expect(alice.page.locator(`[data-color="${bobColour}"]`)).toHaveAttribute("aria-checked", "true")
  // Chosen, so not moved off a colour someone else has (colour-picker.test.ts covers the timing).
  await expect.poll(async () => (await coloursSeen(bob.page)).Alice).toBe(bobColour)
  // And Bob draws Alice's caret in it once she moves.
  await focusEnd(alice.page)
  await expect(bob.page.locator(".cm-ySelectionCaret", { hasText: "Alice" })).toHaveCSS("border-left-color", await bob.page.evaluate((hex) => {
    const probe = document.createElement("span")
    probe.style.color = hex
    document.body.append(probe)
    const rgb = getComputedStyle(probe).color
    probe.remove()
    return rgb
  }, bobColour))
})

test("a 64-character name is shortened in the label, whole in its tooltip", async ({ browser }, info) => {
  const doc = docFor(info)
  const long = "Bartholomew Maximilian Fitzgerald-Worthington of Upper Snodsbury"
  expect(long).toHaveLength(64)
  const alice = await openAs(browser, doc, "Alice")
  const bob = await openAs(browser, doc, long)
  await focusEnd(bob.page)
  await bob.page.keyboard.type("hello")
  const caret = alice.page.locator(".cm-ySelectionCaret")
  await expect(caret).toHaveAttribute("title", long)
  const label = caret.locator(".cm-ySelectionInfo")
  await expect(label).toHaveText("Bartholomew Maximilian…")
  const at = (await caret.boundingBox())!
  await alice.page.mouse.move(at.x + 1, at.y + at.height / 2)
  await expect(label).toBeVisible()
  await expect.poll(async () => (await labelLayout(alice.page))?.opacity).toBe(1)
  // Shortened, it fits in the editor beside the text rather than running off.
  expect((await label.boundingBox())!.width).toBeLessThan(250)
})
