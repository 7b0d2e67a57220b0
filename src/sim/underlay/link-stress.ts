import type { Underlay } from './underlay.ts'

/**
 * i3 §6.1 link stress: how many copies of one packet cross each physical link, given the overlay
 * hops (sender host, receiver host) it took. Returns copies by link id; links not crossed are absent.
 * The delay space has no links, so it always yields an empty map.
 */
export function linkStress(
  underlay: Underlay,
  hops: Iterable<readonly [from: number, to: number]>,
): Map<number, number> {
  const copies = new Map<number, number>()
  for (const [from, to] of hops) {
    for (const link of underlay.path(from, to)) copies.set(link, (copies.get(link) ?? 0) + 1)
  }
  return copies
}

/** i3 §6.1 latency stretch for one receiver: overlay latency over the unicast latency from the source. */
export function latencyStretch(
  underlay: Underlay,
  source: number,
  receiver: number,
  overlayLatencyMs: number,
): number {
  const unicast = underlay.latency(source, receiver)
  // Same LAN: the overlay cannot beat 0 ms either; count it as no stretch.
  return unicast === 0 ? 1 : overlayLatencyMs / unicast
}
