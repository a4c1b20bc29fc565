import type { VersionInfo } from "./document-store.js"

/** How long automatic versions are kept; named versions are kept until someone deletes them. */
export interface RetentionPolicy {
  /** Every automatic version younger than this is kept. Default 24 hours. */
  readonly keepAllMs: number
  /** Then one an hour (the newest of each hour) until this age; one a day (the newest of each day) after it. Default 7 days. */
  readonly hourlyUntilMs: number
}

const hour = 3_600_000
const day = 24 * hour

/** The retention of automatic versions the issue tracker and README describe. */
export const defaultRetention: RetentionPolicy = Object.freeze({ keepAllMs: day, hourlyUntilMs: 7 * day })

/**
 * Which automatic versions `policy` lets go at `now`: all are kept while younger than
 * `keepAllMs`; older ones are kept one per hour (the newest of each clock hour, UTC) until
 * `hourlyUntilMs`, and one per day (the newest of each UTC day) after that. Named versions are
 * never returned. Pure, so the schedule can be tested with any clock.
 */
export function versionsToThin(versions: readonly VersionInfo[], now: number, policy: RetentionPolicy): string[] {
  const kept = new Set<string>()
  const drop: string[] = []
  // Newest first, so the first one seen in a bucket is the one kept.
  const autos = versions.filter((version) => version.kind === "auto").sort((a, b) => b.createdAt - a.createdAt || Number(b.id) - Number(a.id))
  for (const version of autos) {
    const age = now - version.createdAt
    if (age < policy.keepAllMs) continue
    const bucket = age < policy.hourlyUntilMs ? `h${Math.floor(version.createdAt / hour)}` : `d${Math.floor(version.createdAt / day)}`
    if (kept.has(bucket)) drop.push(version.id)
    else kept.add(bucket)
  }
  return drop
}
