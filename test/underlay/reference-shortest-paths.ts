import type { RouterGraph } from '../../src/sim/underlay/router-graph.ts'

/**
 * Textbook O(n²) Dijkstra over the whole graph with no heap, no ranges and no caching: the
 * reference the optimised route oracles are checked against.
 */
export function referenceDistances(graph: RouterGraph, source: number): number[] {
  const n = graph.routerCount
  const dist = new Array<number>(n).fill(Number.POSITIVE_INFINITY)
  const done = new Array<boolean>(n).fill(false)
  dist[source] = 0
  for (let round = 0; round < n; round++) {
    let u = -1
    for (let v = 0; v < n; v++) if (!done[v] && (u < 0 || dist[v]! < dist[u]!)) u = v
    if (u < 0 || dist[u] === Number.POSITIVE_INFINITY) break
    done[u] = true
    for (let l = 0; l < graph.linkCount; l++) {
      const a = graph.linkEnds[2 * l]!
      const b = graph.linkEnds[2 * l + 1]!
      if (a !== u && b !== u) continue
      const v = a === u ? b : a
      const nd = dist[u]! + graph.linkLatencyMs[l]!
      if (nd < dist[v]!) dist[v] = nd
    }
  }
  return dist
}

/** Routers reachable from `start` by BFS, optionally only through routers in [lo, hi). */
export function reachable(graph: RouterGraph, start: number, lo = 0, hi = graph.routerCount): number {
  const seen = new Uint8Array(graph.routerCount)
  const queue = [start]
  seen[start] = 1
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!
    for (let k = graph.adjStart[u]!; k < graph.adjStart[u + 1]!; k++) {
      const v = graph.adjRouter[k]!
      if (v >= lo && v < hi && !seen[v]) {
        seen[v] = 1
        queue.push(v)
      }
    }
  }
  return queue.length
}
