import { createHmac } from "node:crypto"

/**
 * Reads a Standard Webhooks secret: `whsec_` followed by the key in base64 (the form receivers'
 * libraries take). The key must be 24 to 64 bytes, as the specification asks.
 *
 * @throws {TypeError} when it is not such a secret.
 */
export function parseWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : null
  if (encoded === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new TypeError("a webhook secret is `whsec_` followed by base64, e.g. `whsec_$(openssl rand -base64 32)`")
  }
  const key = Buffer.from(encoded, "base64")
  if (key.length < 24 || key.length > 64) throw new TypeError(`a webhook secret's key must be 24 to 64 bytes, not ${key.length}`)
  return key
}

/**
 * The `webhook-signature` header of a message, as the Standard Webhooks specification defines
 * it: `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` under the key.
 */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`
}
