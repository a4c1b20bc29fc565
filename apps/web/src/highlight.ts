import { HighlightStyle } from "@codemirror/language"
import { tags } from "@lezer/highlight"

/**
 * Syntax colours that follow the theme: each is a CSS variable of style.css (`--hl-*`), whose
 * light and dark values both keep 4.5:1 against the editor background. A drop-in for
 * `defaultHighlightStyle`, whose fixed colours (dark blue, purple) are hard to read on a dark
 * editor: `syntaxHighlighting(highlightStyle)`.
 */
export const highlightStyle = HighlightStyle.define([
  { tag: tags.heading, color: "var(--hl-heading)", fontWeight: "bold" },
  { tag: [tags.heading1, tags.heading2], fontSize: "1.1em" },
  { tag: tags.emphasis, fontStyle: "italic" },
  { tag: tags.strong, fontWeight: "bold" },
  { tag: tags.strikethrough, textDecoration: "line-through" },
  { tag: [tags.link, tags.url], color: "var(--hl-link)" },
  { tag: tags.link, textDecoration: "underline" },
  { tag: [tags.monospace, tags.string, tags.special(tags.string)], color: "var(--hl-code)" },
  { tag: tags.quote, color: "var(--hl-quote)", fontStyle: "italic" },
  { tag: [tags.processingInstruction, tags.meta, tags.contentSeparator, tags.list], color: "var(--hl-mark)" },
  { tag: [tags.keyword, tags.operatorKeyword, tags.modifier], color: "var(--hl-keyword)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "var(--hl-comment)", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.atom, tags.literal], color: "var(--hl-number)" },
  { tag: [tags.typeName, tags.className, tags.definition(tags.variableName)], color: "var(--hl-type)" },
  { tag: tags.invalid, color: "var(--hl-invalid)" },
])
