import { Dijkstra, pathFromRow } from './dijkstra.ts'
import type { RouteOracle } from './route-oracle.ts'
import type { TransitStubTopology } from './transit-stub-topology.ts'

/**
 * Exact shortest paths from small per-domain tables. A stub domain is reached only through its one
 * uplink, so no shortest path passes through a foreign stub, and a route between routers of
 * different stubs is always: inside stub A to its gateway, the uplink, the transit core, the other
 * uplink, inside stub B. Tables: all pairs within each stub (S² per stub) and all pairs over the
 * transit core (which never detours through a stub). At the i3 defaults that is 109k + 10k
 * entries, built in milliseconds, and every latency query is a handful of array reads.
 * test/underlay checks it against plain Dijkstra on the whole graph.
 */
export class HierarchicalRoutes implements RouteOracle {
  private readonly T: number
  private readonly S: number
  private readonly transitDist: Float64Array
  private readonly transitPred: Int32Array
  private readonly stubDist: Float64Array
  private readonly stubPred: Int32Array
  /** Per stub router (index r - stubBase): latency to its gateway plus the uplink. */
  private readonly upDist: Float64Array

  constructor(private readonly topo: TransitStubTopology) {
    const { graph, transitRouterCount: T, routersPerStubDomain: S, stubDomainCount, stubBase } = topo
    this.T = T
    this.S = S
    const dijkstra = new Dijkstra(graph)
    this.transitDist = new Float64Array(T * T)
    this.transitPred = new Int32Array(T * T)
    for (let t = 0; t < T; t++) {
      dijkstra.run(
        t,
        this.transitDist.subarray(t * T, t * T + T),
        this.transitPred.subarray(t * T, t * T + T),
        0,
        T,
      )
    }
    this.stubDist = new Float64Array(stubDomainCount * S * S)
    this.stubPred = new Int32Array(stubDomainCount * S * S)
    this.upDist = new Float64Array(stubDomainCount * S)
    for (let s = 0; s < stubDomainCount; s++) {
      const lo = stubBase + s * S
      for (let i = 0; i < S; i++) {
        const at = (s * S + i) * S
        dijkstra.run(
          lo + i,
          this.stubDist.subarray(at, at + S),
          this.stubPred.subarray(at, at + S),
          lo,
          lo + S,
        )
      }
      const gatewayLocal = topo.stubGateway[s]! - lo
      const uplinkMs = graph.linkLatencyMs[topo.stubUplink[s]!]!
      for (let i = 0; i < S; i++) {
        this.upDist[s * S + i] = this.stubDist[(s * S + i) * S + gatewayLocal]! + uplinkMs
      }
    }
  }

  latency(a: number, b: number): number {
    if (a === b) return 0
    const { T, S } = this
    const base = this.topo.stubBase
    const sa = a < T ? -1 : ((a - base) / S) | 0
    const sb = b < T ? -1 : ((b - base) / S) | 0
    if (sa >= 0 && sa === sb) return this.stubDist[(a - base) * S + (b - base - sa * S)]!
    const ta = sa < 0 ? a : this.topo.stubTransitRouter[sa]!
    const tb = sb < 0 ? b : this.topo.stubTransitRouter[sb]!
    const upA = sa < 0 ? 0 : this.upDist[a - base]!
    const upB = sb < 0 ? 0 : this.upDist[b - base]!
    return upA + this.transitDist[ta * T + tb]! + upB
  }

  path(a: number, b: number, out: number[] = []): number[] {
    if (a === b) return out
    const { T, S, topo } = this
    const { graph, stubBase: base } = topo
    const sa = a < T ? -1 : ((a - base) / S) | 0
    const sb = b < T ? -1 : ((b - base) / S) | 0
    if (sa >= 0 && sa === sb) return this.stubPath(sa, a, b, out)
    let ta = a
    if (sa >= 0) {
      this.stubPath(sa, a, topo.stubGateway[sa]!, out)
      out.push(topo.stubUplink[sa]!)
      ta = topo.stubTransitRouter[sa]!
    }
    const tb = sb < 0 ? b : topo.stubTransitRouter[sb]!
    if (ta !== tb) pathFromRow(graph, this.transitPred, ta, ta, tb, 0, out, ta * T)
    if (sb >= 0) {
      out.push(topo.stubUplink[sb]!)
      this.stubPath(sb, topo.stubGateway[sb]!, b, out)
    }
    return out
  }

  private stubPath(s: number, from: number, to: number, out: number[]): number[] {
    if (from === to) return out
    const S = this.S
    const lo = this.topo.stubBase + s * S
    return pathFromRow(this.topo.graph, this.stubPred, from, from, to, lo, out, (from - lo + s * S) * S)
  }
}
