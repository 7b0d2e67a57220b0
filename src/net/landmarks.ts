import { type Locator, MAX_LOCATOR_LENGTH } from '../core/protocol.ts'

/**
 * Network position on the net host, kept simple: a locator is the vector of measured RTTs (ms)
 * from this node to the stream's landmarks — the bootstrap peers of the stream URI, the same list
 * for every viewer — with -1 where no measurement exists. Two nodes' RTT to the same landmark bound
 * their own RTT by the triangle inequality: |a−b| ≤ rtt ≤ a+b; we take the midpoint of the
 * tightest bounds and halve it for one-way latency. Coarse (GNP-lite with no embedding), but it
 * needs no probes between the two nodes and ranks "near the source" vs "far" correctly.
 */

/** One-way latency assumed when two locators share no measured landmark. */
export const UNKNOWN_DISTANCE_MS = 50

export function locatorFromRtts(rtts: readonly (number | undefined)[]): Locator {
  return rtts.slice(0, MAX_LOCATOR_LENGTH).map((r) => (r === undefined || !(r >= 0) ? -1 : r))
}

export function landmarkDistance(a: Locator, b: Locator): number {
  let lower = 0
  let upper = Number.POSITIVE_INFINITY
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i]!
    const y = b[i]!
    if (!(x >= 0 && y >= 0)) continue
    lower = Math.max(lower, Math.abs(x - y))
    upper = Math.min(upper, x + y)
  }
  if (!Number.isFinite(upper)) return UNKNOWN_DISTANCE_MS
  return (lower + Math.max(lower, upper)) / 4
}
