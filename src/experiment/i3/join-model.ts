import type { Underlay } from '../../sim/underlay/underlay.ts'

/**
 * The paper's join algorithm (Fig. 4) run on exact latencies, with no network and no protocol:
 * what the tree of triggers would look like if every "query distance" answer were perfect and
 * joins never raced. Set beside the simulated tree, it separates what the algorithm and the
 * topology give from what the protocol's measurements and races add.
 *
 * i3 semantics: a member R forwards from its server's LAN, where R also sits (LAN delay 0), so a
 * child of R gets data after t(R) + latency(R, child). The source's children hang off the group
 * root id idg, held by server `rootHost`: t(source's children) = latency(source, rootHost) +
 * latency(rootHost, child). Every node has at most D children (the source too).
 */
export interface JoinModelInput {
  underlay: Underlay
  /** Underlay host of the source and of the server holding idg (same host: no root detour). */
  sourceHost: number
  rootHost: number
  /** Receivers' underlay hosts, in join order. */
  receiverHosts: readonly number[]
  maxChildren: number
}

export interface JoinModelResult {
  /** Per receiver (join order): delay from the source through the tree, and its level (1 = source's child). */
  delayMs: Float64Array
  level: Int32Array
  /** Underlay host each receiver's data comes from (its parent's, or idg's server for level 1). */
  feederHost: Int32Array
}

const SOURCE = -1

export function modelJoins(input: JoinModelInput): JoinModelResult {
  const { underlay, sourceHost, rootHost, receiverHosts, maxChildren } = input
  const n = receiverHosts.length
  const delay = new Float64Array(n)
  const level = new Int32Array(n)
  const feederHost = new Int32Array(n)
  const children: number[][] = []
  const sourceChildren: number[] = []
  const rootDelay = underlay.latency(sourceHost, rootHost)
  // Where a member forwards from, and when data is there.
  const hostOf = (m: number) => (m === SOURCE ? rootHost : receiverHosts[m]!)
  const tOf = (m: number) => (m === SOURCE ? rootDelay : delay[m]!)
  const kidsOf = (m: number) => (m === SOURCE ? sourceChildren : children[m]!)
  const full = (m: number) => kidsOf(m).length >= maxChildren
  for (let r = 0; r < n; r++) {
    const host = receiverHosts[r]!
    const dist = (m: number) => tOf(m) + underlay.latency(hostOf(m), host)
    // The virtual level above the root holds only the source: joinable, it is the answer (no
    // fset to descend into); full, the walk goes on among its children.
    let best = full(SOURCE) ? Number.POSITIVE_INFINITY : dist(SOURCE)
    let joinAt = SOURCE
    let current = SOURCE
    while (full(current)) {
      let fsetBest = -2
      let fsetDist = Number.POSITIVE_INFINITY
      for (const m of kidsOf(current)) {
        const d = dist(m)
        if (!full(m)) {
          if (d < best) {
            best = d
            joinAt = m
          }
        } else if (d < fsetDist) {
          fsetDist = d
          fsetBest = m
        }
      }
      if (fsetBest === -2 || !(fsetDist < best)) break
      current = fsetBest
    }
    if (!Number.isFinite(best)) throw new RangeError('join model: no joinable member (every member full)')
    delay[r] = best
    level[r] = joinAt === SOURCE ? 1 : level[joinAt]! + 1
    feederHost[r] = hostOf(joinAt)
    kidsOf(joinAt).push(r)
    children.push([])
  }
  return { delayMs: delay, level, feederHost }
}
