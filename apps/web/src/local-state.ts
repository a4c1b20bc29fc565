import { inPalette, randomColor, randomUserName } from "./names.js"

const userKey = "tandem:user"
const recentKey = "tandem:recent"
const maxRecent = 12

/** The local user as others see them, remembered in this browser. */
export interface LocalUser {
  name: string
  color: string
  /** The person picked `color` themselves; otherwise the page may change it to one nobody else in the document has. */
  colorChosen?: boolean
}

function read<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key)
    return text === null ? null : (JSON.parse(text) as T)
  } catch {
    return null
  }
}

/** The remembered user, or a new random one (remembered from now on). */
export function loadUser(): LocalUser {
  const stored = read<Partial<LocalUser>>(userKey)
  const colorChosen = stored?.colorChosen === true && typeof stored.color === "string"
  const user: LocalUser = {
    name: typeof stored?.name === "string" && stored.name.trim() ? stored.name : randomUserName(),
    // A colour nobody chose is replaced when it is not in the palette (an older palette's, say).
    color: typeof stored?.color === "string" && (colorChosen || inPalette(stored.color)) ? stored.color : randomColor(),
    ...(colorChosen ? { colorChosen } : {}),
  }
  saveUser(user)
  return user
}

export function saveUser(user: LocalUser): void {
  localStorage.setItem(userKey, JSON.stringify(user))
}

/** Documents opened recently in this browser, newest first. */
export function recentDocs(): string[] {
  const list = read<unknown>(recentKey)
  return Array.isArray(list) ? list.filter((name): name is string => typeof name === "string").slice(0, maxRecent) : []
}

/** Moves `name` to the front of the recent documents. */
export function rememberDoc(name: string): void {
  const list = [name, ...recentDocs().filter((other) => other !== name)].slice(0, maxRecent)
  localStorage.setItem(recentKey, JSON.stringify(list))
}

/** Removes `name` from the recent documents (it was deleted). */
export function forgetDoc(name: string): void {
  localStorage.setItem(recentKey, JSON.stringify(recentDocs().filter((other) => other !== name)))
}
