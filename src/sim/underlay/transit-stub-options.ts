/** Inclusive latency range in ms for one link class; links draw uniformly from it. */
export type LatencyRangeMs = readonly [min: number, max: number]

export interface TransitStubOptions {
  transitDomains: number
  routersPerTransitDomain: number
  stubDomainsPerTransitRouter: number
  routersPerStubDomain: number
  /** Probability of each extra intra-domain link beyond a random spanning tree (GT-ITM's pure-random edge method). */
  intraTransitEdgeProbability: number
  intraStubEdgeProbability: number
  /** Same, over the graph of transit domains; each domain-level edge becomes one inter-transit link. */
  interTransitEdgeProbability: number
  intraTransitMs: LatencyRangeMs
  transitStubMs: LatencyRangeMs
  interTransitMs: LatencyRangeMs
  intraStubMs: LatencyRangeMs
  /**
   * 'hierarchical': exact O(1) distances from per-domain tables (stubs are single-homed, so every
   * route decomposes at the gateways). 'dijkstra': per-source rows on demand in a bounded LRU.
   */
  routing: 'hierarchical' | 'dijkstra'
  /** Row bound of the LRU in 'dijkstra' routing (80 KB per row at 10,000 routers). */
  maxCachedRows: number
}

/**
 * The i3 paper's §6 setup: a 10,000-router transit-stub graph with 1–3 ms intra-transit, 5–10 ms
 * transit-stub and 20–50 ms inter-transit links. 10 domains × 10 transit routers, each with 9 stub
 * domains of 11 routers: 100 + 100·9·11 = 10,000 routers. The paper gives no intra-stub latency;
 * we take 1–3 ms, the same range as the other intra-domain class.
 */
export const I3_TRANSIT_STUB: Readonly<TransitStubOptions> = Object.freeze({
  transitDomains: 10,
  routersPerTransitDomain: 10,
  stubDomainsPerTransitRouter: 9,
  routersPerStubDomain: 11,
  intraTransitEdgeProbability: 0.5,
  intraStubEdgeProbability: 0.2,
  interTransitEdgeProbability: 0.5,
  intraTransitMs: [1, 3] as const,
  transitStubMs: [5, 10] as const,
  interTransitMs: [20, 50] as const,
  intraStubMs: [1, 3] as const,
  routing: 'hierarchical' as const,
  maxCachedRows: 512,
})

/** Defaults filled in and every field checked; the message names the field and what is allowed. */
export function resolveTransitStubOptions(partial: Partial<TransitStubOptions> = {}): TransitStubOptions {
  const o: TransitStubOptions = { ...I3_TRANSIT_STUB, ...partial }
  for (const key of [
    'transitDomains',
    'routersPerTransitDomain',
    'stubDomainsPerTransitRouter',
    'routersPerStubDomain',
    'maxCachedRows',
  ] as const) {
    const v = o[key]
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`transit-stub option ${key} must be an integer >= 1, got ${v}`)
  }
  for (const key of [
    'intraTransitEdgeProbability',
    'intraStubEdgeProbability',
    'interTransitEdgeProbability',
  ] as const) {
    const v = o[key]
    if (!(v >= 0 && v <= 1)) throw new RangeError(`transit-stub option ${key} must be in [0, 1], got ${v}`)
  }
  for (const key of ['intraTransitMs', 'transitStubMs', 'interTransitMs', 'intraStubMs'] as const) {
    const r = o[key]
    if (!Array.isArray(r) || r.length !== 2 || !(r[0] >= 0) || !(r[1] >= r[0]) || !Number.isFinite(r[1])) {
      throw new RangeError(
        `transit-stub option ${key} must be [min, max] with 0 <= min <= max, got ${JSON.stringify(r)}`,
      )
    }
  }
  if (o.routing !== 'hierarchical' && o.routing !== 'dijkstra') {
    throw new RangeError(
      `transit-stub option routing must be 'hierarchical' or 'dijkstra', got ${JSON.stringify(o.routing)}`,
    )
  }
  const routers = transitStubRouterCount(o)
  if (routers > 2 ** 24)
    throw new RangeError(`transit-stub topology too large: ${routers} routers (limit 2^24)`)
  return o
}

export function transitStubRouterCount(o: TransitStubOptions): number {
  const transit = o.transitDomains * o.routersPerTransitDomain
  return transit + transit * o.stubDomainsPerTransitRouter * o.routersPerStubDomain
}
