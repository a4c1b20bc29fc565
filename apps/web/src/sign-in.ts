import { checkAccess, checkListAccess, currentToken, onTokenStored, refusalReason, setToken, takeTokenFromLink, type Access, type SignInReason } from "./auth.js"
import { h } from "./dom.js"
import { signInSentence } from "./status-text.js"

// The sign-in box, and the document page's gate in front of the sync connection: nothing
// connects before the server says the token opens the document, and a token the server stops
// accepting is replaced without losing what is typed meanwhile.

/** Options of {@link createSignInBox}. */
export interface SignInBoxOptions {
  /**
   * Tries a token someone entered: resolves with `null` when it is accepted (the box is done),
   * else with a sentence saying why not, shown in the box. Must not reject.
   */
  readonly submit: (token: string) => Promise<string | null>
}

/** A sign-in box on the page. */
export interface SignInBox {
  /** The box: a form with a labelled "Access token" box and a "Sign in" button. */
  readonly element: HTMLElement
  /** Moves the keyboard focus to the token box. */
  focus(): void
}

/**
 * A sign-in form: one sentence about what a token is and where it comes from, a labelled
 * "Access token" box and a "Sign in" button. Why sign-in is needed is said elsewhere (the
 * page's notice); a refused attempt is said in the box, as an alert.
 */
export function createSignInBox(options: SignInBoxOptions): SignInBox {
  const input = h("input", {
    type: "text",
    name: "token",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    "aria-describedby": "sign-in-help",
    "data-testid": "token-input",
  })
  const button = h("button", { type: "submit", class: "primary", "data-testid": "sign-in" }, "Sign in")
  const error = h("p", { class: "error", role: "alert", "data-testid": "sign-in-error" })
  const form = h(
    "form",
    { class: "sign-in", "aria-labelledby": "sign-in-title", "data-testid": "sign-in-box" },
    h("h2", { id: "sign-in-title" }, "Sign in"),
    h(
      "p",
      { id: "sign-in-help", class: "hint" },
      "An access token is a long code that lets you into documents on this server; whoever runs the server, or whoever shared the document with you, gives it to you, often as part of the link.",
    ),
    h("label", {}, h("span", {}, "Access token"), input),
    button,
    error,
  )
  form.addEventListener("submit", (event) => {
    event.preventDefault()
    const token = input.value.trim()
    // Checked here rather than with `required`: the sentence then shows where the others do.
    if (token === "") {
      error.textContent = "Paste your access token first."
      return
    }
    // One attempt at a time: a second click would only race the first.
    button.disabled = true
    form.setAttribute("aria-busy", "true")
    void options.submit(token).then((refused) => {
      button.disabled = false
      form.setAttribute("aria-busy", "false")
      error.textContent = refused ?? ""
      if (refused === null) input.value = ""
    })
  })
  return { element: form, focus: () => input.focus() }
}

/** The sentence a sign-in box shows for a token the server refused (`access` is not ok). */
function refusedSentence(access: Access, token: string): string | null {
  switch (access) {
    case "ok":
    case "unreachable":
      return null
    case "unauthorized":
      return refusalReason(token) === "expired" ? "That token has expired. Ask for a new one." : "The server did not accept that token. Check that it was pasted whole, or ask for a new one."
    case "forbidden":
      return "That token is valid but cannot open this document. Ask the document's owner for access."
    default: {
      const never: never = access
      throw new TypeError(`unknown access ${String(never)}`)
    }
  }
}

/** The part of a `@tandem/client` client the gate uses (see `TandemClient`). */
export interface GatedClient {
  readonly status: { readonly connection: string }
  on(event: "status", listener: () => void): () => void
  setToken(token: string | null): void
  connect(): void
}

/** Options of {@link createSignInGate}. */
export interface SignInGateOptions {
  /** The document the page opens. */
  readonly doc: string
  /** Called whenever {@link SignInGate.reason} changes, so the page can show it. */
  readonly onChange: () => void
  /** For tests: how access is checked. Default {@link checkAccess}. */
  readonly check?: (doc: string, token: string | null) => Promise<Access>
}

/** The document page's sign-in: see {@link createSignInGate}. */
export interface SignInGate {
  /** The sign-in box, hidden while no sign-in is needed; the page places it. */
  readonly element: HTMLElement
  /**
   * For `createEditor`'s `getToken` (pass no `token`, so it is called before the first
   * connection): resolves with a token the server accepts for the document (or `null` on a server
   * without auth, or the best token there is while the server cannot be reached), after showing
   * the sign-in box and waiting for as long as it takes when there is none.
   */
  getToken(): Promise<string | null>
  /** Why the page waits for a sign-in, or `null` when it does not. */
  reason(): SignInReason | null
  /** Whether the server accepted this page's token at least once (until then the page hides the editor). */
  opened(): boolean
  /** Watches `client` for giving up on the sign-in (`unauthorized`), to ask for a token and reconnect. */
  attach(client: GatedClient): void
  /** Removes every listener. */
  destroy(): void
}

/**
 * The gate between the document page and the sync connection of a server with auth. Each time
 * the client asks for a token (before the first connection, after a 4401, and after an attempt
 * that failed before opening, which in a browser hides an upgrade's 401) it re-reads the store
 * (another tab, or a new link, may have signed in) and asks the server with
 * `HEAD /api/docs/<doc>/versions` whether that token opens the document. If not, it shows the
 * sign-in box and waits for a token the server accepts: typed in the box, or stored by another
 * tab. Meanwhile the editor keeps taking edits; the client sends them once connected.
 */
export function createSignInGate(options: SignInGateOptions): SignInGate {
  const check = options.check ?? checkAccess
  let reason: SignInReason | null = null
  let everOpened = false
  // Every caller waiting for a sign-in shares one wait; `resolve` ends it with the new token.
  let waiting: { promise: Promise<string>; resolve: (token: string) => void } | null = null
  const stops: Array<() => void> = []
  // The answer to the client's first question, asked when the gate is made (see below).
  let first: Promise<string | null> | null = null

  const box = createSignInBox({ submit: (token) => tryToken(token, true) })
  const element = h("div", { class: "sign-in-area", hidden: "" }, box.element)

  const setReason = (next: SignInReason | null) => {
    if (next === reason) return
    reason = next
    element.hidden = next === null
    options.onChange()
  }

  /**
   * Asks the server about `token`; when it opens the document, stores it and ends the wait.
   * Otherwise resolves with the sentence for the box; a token that did not come from the box (a
   * new link, another tab) changes the page's reason instead, as the box's own is unchanged.
   */
  async function tryToken(token: string, fromBox: boolean): Promise<string | null> {
    const access = await check(options.doc, token)
    const refused = refusedSentence(access, token)
    if (refused !== null) {
      if (!fromBox && waiting) setReason(access === "forbidden" ? "forbidden" : refusalReason(token))
      return refused
    }
    setToken(token)
    signedIn(token)
    return null
  }

  function signedIn(token: string): void {
    everOpened = true
    setReason(null)
    const wait = waiting
    waiting = null
    wait?.resolve(token)
  }

  function waitForSignIn(next: SignInReason): Promise<string> {
    setReason(next)
    if (!waiting) {
      let resolve!: (token: string) => void
      const promise = new Promise<string>((done) => (resolve = done))
      waiting = { promise, resolve }
      // Asking to sign in at the start of the page: the box is all there is, so it takes the
      // focus. Later (an expired sign-in) the person is typing in the editor: leave it there.
      if (!everOpened) queueMicrotask(() => box.focus())
    }
    return waiting.promise
  }

  // A token stored by another tab, or given in a new link to this one, is tried at once.
  stops.push(
    onTokenStored((token) => {
      if (waiting && token !== null) void tryToken(token, false)
    }),
  )
  const onHashChange = () => {
    const token = takeTokenFromLink()
    if (waiting && token !== null) void tryToken(token, false)
  }
  window.addEventListener("hashchange", onHashChange)
  stops.push(() => window.removeEventListener("hashchange", onHashChange))

  async function getToken(): Promise<string | null> {
    if (first) {
      const answer = first
      first = null
      return answer
    }
    if (waiting) return waiting.promise
    const token = currentToken()
    const access = await check(options.doc, token)
    switch (access) {
      case "ok":
        everOpened = true
        setReason(null)
        return token
      case "unreachable":
        // Offline, or a server without the API: connect (or fail to) with what there is.
        return token
      case "unauthorized":
        return waitForSignIn(refusalReason(token))
      case "forbidden":
        return waitForSignIn("forbidden")
      default: {
        const never: never = access
        throw new TypeError(`unknown access ${String(never)}`)
      }
    }
  }

  // Asked at once rather than when the client first asks (once the browser copy is loaded): the
  // box shows as soon as the server answers, and the client's first question gets this answer.
  first = getToken()

  return {
    element,
    getToken,
    reason: () => reason,
    opened: () => everOpened,
    attach(client) {
      // The client gave up: tokens the access check passed were still refused (a clock out of
      // step, say). Asking the server again could loop; ask the person, then reconnect.
      stops.push(
        client.on("status", () => {
          if (client.status.connection !== "unauthorized") return
          void waitForSignIn("expired").then((token) => {
            if (client.status.connection !== "unauthorized") return
            client.setToken(token)
            client.connect()
          })
        }),
      )
    },
    destroy() {
      for (const stop of stops.splice(0)) stop()
    },
  }
}

/**
 * The start page's sign-in, for a server whose documents API answered 401: why, and the sign-in
 * box. `signedIn` is called once a token the server accepts is stored. Returns the section to
 * show in place of the list.
 */
export function createListSignIn(signedIn: () => void): HTMLElement {
  const box = createSignInBox({
    submit: async (token) => {
      const access = await checkListAccess(token)
      if (access === "unreachable") return "The server could not be reached. Try again in a moment."
      if (access === "forbidden") return "That token is valid but opens no documents here. Ask the server's owner for access."
      const refused = refusedSentence(access, token)
      if (refused !== null) return refused
      setToken(token)
      signedIn()
      return null
    },
  })
  const why = h("p", { class: "notice", role: "alert", "data-testid": "notice" }, signInSentence(refusalReason(currentToken())))
  return h("section", { class: "sign-in-area", "data-testid": "list-sign-in" }, why, box.element)
}
