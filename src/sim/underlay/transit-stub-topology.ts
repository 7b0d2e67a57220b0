import type { Rng } from '../../core/rng.ts'
import { type LinkClass, type RouterGraph, RouterGraphBuilder } from './router-graph.ts'
import type { LatencyRangeMs, TransitStubOptions } from './transit-stub-options.ts'
import { transitStubRouterCount } from './transit-stub-options.ts'

/**
 * Link latencies sit on a 1/1024 ms grid (about a microsecond). Sums of such values below
 * 16,384 ms are exact in both Float32 and Float64, so cached Float32 rows, the hierarchical
 * decomposition and a reference Dijkstra agree bit for bit whatever the order of additions.
 */
export const LATENCY_QUANTUM_PER_MS = 1024

/**
 * A GT-ITM-style transit-stub graph and its hierarchy. Router numbering is by domain, so each
 * domain is a contiguous range: transit routers first (domain d holds d·R .. d·R+R-1), then stub
 * domain s holds stubBase + s·S .. stubBase + s·S + S-1.
 */
export interface TransitStubTopology {
  readonly graph: RouterGraph
  readonly options: TransitStubOptions
  readonly transitRouterCount: number
  readonly stubDomainCount: number
  readonly routersPerStubDomain: number
  /** First stub router; equals transitRouterCount. */
  readonly stubBase: number
  /** Per stub domain: the stub router that carries its single uplink. */
  readonly stubGateway: Int32Array
  /** Per stub domain: the transit router it hangs off. */
  readonly stubTransitRouter: Int32Array
  /** Per stub domain: the id of its transit-stub link. */
  readonly stubUplink: Int32Array
}

/**
 * Every domain is a random connected graph: a random spanning tree, then each other pair linked
 * with the configured probability (GT-ITM regenerates until connected; a spanning tree gets
 * connectivity without retries). Transit domains are joined the same way at domain level, each
 * domain edge landing on a random router at each end. Each stub domain is single-homed: one link
 * from a random stub router to its transit router (GT-ITM with no extra transit-stub or stub-stub
 * edges), which is what makes the hierarchical route oracle exact.
 */
export function generateTransitStub(o: TransitStubOptions, rng: Rng): TransitStubTopology {
  const transitRouterCount = o.transitDomains * o.routersPerTransitDomain
  const stubDomainCount = transitRouterCount * o.stubDomainsPerTransitRouter
  const S = o.routersPerStubDomain
  const builder = new RouterGraphBuilder(transitStubRouterCount(o))

  for (let d = 0; d < o.transitDomains; d++) {
    const base = d * o.routersPerTransitDomain
    randomConnectedGraph(o.routersPerTransitDomain, o.intraTransitEdgeProbability, rng, (i, j) =>
      builder.addLink(base + i, base + j, drawLatency(o.intraTransitMs, rng), 'intra-transit'),
    )
  }
  randomConnectedGraph(o.transitDomains, o.interTransitEdgeProbability, rng, (da, db) => {
    const a = da * o.routersPerTransitDomain + rng.int(o.routersPerTransitDomain)
    const b = db * o.routersPerTransitDomain + rng.int(o.routersPerTransitDomain)
    builder.addLink(a, b, drawLatency(o.interTransitMs, rng), 'inter-transit')
  })

  const stubBase = transitRouterCount
  const stubGateway = new Int32Array(stubDomainCount)
  const stubTransitRouter = new Int32Array(stubDomainCount)
  const stubUplink = new Int32Array(stubDomainCount)
  for (let s = 0; s < stubDomainCount; s++) {
    const base = stubBase + s * S
    randomConnectedGraph(S, o.intraStubEdgeProbability, rng, (i, j) =>
      builder.addLink(base + i, base + j, drawLatency(o.intraStubMs, rng), 'intra-stub'),
    )
    const transit = Math.floor(s / o.stubDomainsPerTransitRouter)
    const gateway = base + rng.int(S)
    stubGateway[s] = gateway
    stubTransitRouter[s] = transit
    stubUplink[s] = builder.addLink(gateway, transit, drawLatency(o.transitStubMs, rng), 'transit-stub')
  }

  return {
    graph: builder.build(),
    options: o,
    transitRouterCount,
    stubDomainCount,
    routersPerStubDomain: S,
    stubBase,
    stubGateway,
    stubTransitRouter,
    stubUplink,
  }
}

/** The class of link a generator edge becomes; exported for tests that check ranges by class. */
export function latencyRangeOf(o: TransitStubOptions, linkClass: LinkClass): LatencyRangeMs {
  switch (linkClass) {
    case 'intra-transit':
      return o.intraTransitMs
    case 'inter-transit':
      return o.interTransitMs
    case 'transit-stub':
      return o.transitStubMs
    case 'intra-stub':
      return o.intraStubMs
  }
}

/** Calls addEdge(i, j) (i < j) for a random spanning tree over n nodes plus each other pair with probability p. */
function randomConnectedGraph(n: number, p: number, rng: Rng, addEdge: (i: number, j: number) => void): void {
  const linked = new Uint8Array(n * n)
  // Random recursive tree over a shuffled order, so low indices are not systematically hubs.
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  for (let k = 1; k < n; k++) {
    const a = order[k]!
    const b = order[rng.int(k)]!
    const [i, j] = a < b ? [a, b] : [b, a]
    linked[i * n + j] = 1
    addEdge(i, j)
  }
  if (p <= 0) return
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (linked[i * n + j] === 0 && rng.next() < p) addEdge(i, j)
    }
  }
}

function drawLatency([min, max]: LatencyRangeMs, rng: Rng): number {
  const lo = Math.ceil(min * LATENCY_QUANTUM_PER_MS)
  const hi = Math.floor(max * LATENCY_QUANTUM_PER_MS)
  if (hi < lo) return Math.round(min * LATENCY_QUANTUM_PER_MS) / LATENCY_QUANTUM_PER_MS
  return (lo + rng.int(hi - lo + 1)) / LATENCY_QUANTUM_PER_MS
}
