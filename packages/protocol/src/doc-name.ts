/** Longest document name the server accepts, in characters. */
export const maxDocNameLength = 200

const allowedChars = /^[A-Za-z0-9\-_.~/]+$/

/**
 * Whether `name` is a valid document name: 1 to {@link maxDocNameLength} characters from letters,
 * digits and `-_.~/`, where `/` separates segments and no segment is empty, `.` or `..`.
 */
export function isValidDocName(name: string): boolean {
  if (name.length === 0 || name.length > maxDocNameLength || !allowedChars.test(name)) return false
  return name.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..")
}

/**
 * Turns the document part of a URL path (after `/sync/`, `/d/` or `/api/docs/`) into a document
 * name, or returns `null` when it does not name a valid document. A `/` inside a name may be
 * written raw or percent-encoded as `%2F`; both give the same name.
 */
export function parseDocName(pathPart: string): string | null {
  let name: string
  try {
    name = decodeURIComponent(pathPart)
  } catch {
    return null
  }
  return isValidDocName(name) ? name : null
}
