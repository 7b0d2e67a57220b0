import { pathFromRow } from './dijkstra.ts'
import type { RouteOracle } from './route-oracle.ts'
import type { RouterGraph } from './router-graph.ts'
import { ShortestPathCache } from './shortest-path-cache.ts'

/**
 * Routes from per-source Dijkstra rows held in a bounded LRU. Works on any graph (no hierarchy
 * assumed); a query reuses whichever endpoint's row is cached, since latencies are symmetric.
 */
export class DijkstraRoutes implements RouteOracle {
  readonly cache: ShortestPathCache

  constructor(
    private readonly graph: RouterGraph,
    maxRows: number,
  ) {
    this.cache = new ShortestPathCache(graph, maxRows)
  }

  latency(a: number, b: number): number {
    if (a === b) return 0
    const fromA = this.cache.cached(a)
    if (fromA) return fromA.dist[b]!
    const fromB = this.cache.cached(b)
    if (fromB) return fromB.dist[a]!
    return this.cache.row(a).dist[b]!
  }

  path(a: number, b: number, out: number[] = []): number[] {
    if (a === b) return out
    const fromB = this.cache.cached(b)
    if (fromB) return pathFromRow(this.graph, fromB.predLink, b, a, b, 0, out)
    return pathFromRow(this.graph, this.cache.row(a).predLink, a, a, b, 0, out)
  }
}
