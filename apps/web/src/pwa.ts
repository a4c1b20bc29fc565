/// <reference types="vite-plugin-pwa/vanillajs" />
import { registerSW } from "virtual:pwa-register"

/**
 * Registers the service worker that vite.config.ts generates, which precaches the app's shell so
 * that a document this browser has opened before opens from its IndexedDB copy while the server
 * is unreachable. Called once by main.ts, on every page. A new build's worker waits until every
 * Tandem tab is closed (no reload is forced on a page someone is typing in), so the next visit
 * after that gets the new build. Browsers without service workers, or pages on plain HTTP other
 * than localhost, skip it and simply need the server to open.
 */
export function registerServiceWorker(): void {
  if (!("serviceWorker" in navigator)) return
  registerSW({
    onRegisterError(error: unknown) {
      // The app works without it, online; only the offline start is lost, so it is not shown.
      console.warn("Tandem: the offline copy of the app could not be installed", error)
    },
  })
}
