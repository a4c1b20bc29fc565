import { randomColor, randomUserName } from "./names.js"

const userKey = "tandem:user"
const recentKey = "tandem:recent"
const maxRecent = 12

/** The local user as others see them, remembered in this browser. */
export interface LocalUser {
  name: string
  color: string
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
  const user = {
    name: typeof stored?.name === "string" && stored.name.trim() ? stored.name : randomUserName(),
    color: typeof stored?.color === "string" ? stored.color : randomColor(),
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
