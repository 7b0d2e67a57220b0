import type { RouterGraph } from './router-graph.ts'

/**
 * Single-source shortest paths over routers [lo, hi) of a graph (links leaving the range are
 * ignored: the hierarchical oracle runs it inside one domain). Results are indexed by router - lo:
 * dist[i] in ms (Infinity when unreachable) and predLink[i], the link over which router lo + i is
 * reached on its shortest path from `source` (-1 for the source and unreachable routers).
 *
 * Lazy-deletion binary heap on typed arrays: no object per entry, and the scratch heap is reused
 * across calls because the row cache runs this many times.
 */
export class Dijkstra {
  private heapKey: Float64Array
  private heapRouter: Int32Array

  constructor(private readonly graph: RouterGraph) {
    // Each successful relaxation pushes once, so directed links + 1 bounds the heap size.
    this.heapKey = new Float64Array(graph.adjRouter.length + 1)
    this.heapRouter = new Int32Array(graph.adjRouter.length + 1)
  }

  run(
    source: number,
    dist: Float32Array | Float64Array,
    predLink: Int32Array,
    lo = 0,
    hi = this.graph.routerCount,
  ): void {
    const { adjStart, adjRouter, adjLink, linkLatencyMs } = this.graph
    dist.fill(Number.POSITIVE_INFINITY, 0, hi - lo)
    predLink.fill(-1, 0, hi - lo)
    dist[source - lo] = 0
    let size = this.push(0, 0, source)
    while (size > 0) {
      const d = this.heapKey[0]!
      const u = this.heapRouter[0]!
      size = this.pop(size)
      if (d > dist[u - lo]!) continue // stale entry
      for (let i = adjStart[u]!, end = adjStart[u + 1]!; i < end; i++) {
        const v = adjRouter[i]!
        if (v < lo || v >= hi) continue
        const link = adjLink[i]!
        const nd = d + linkLatencyMs[link]!
        if (nd < dist[v - lo]!) {
          dist[v - lo] = nd
          predLink[v - lo] = link
          size = this.push(size, nd, v)
        }
      }
    }
  }

  private push(size: number, key: number, router: number): number {
    const keys = this.heapKey
    const routers = this.heapRouter
    let i = size
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (keys[parent]! <= key) break
      keys[i] = keys[parent]!
      routers[i] = routers[parent]!
      i = parent
    }
    keys[i] = key
    routers[i] = router
    return size + 1
  }

  private pop(size: number): number {
    const keys = this.heapKey
    const routers = this.heapRouter
    const last = size - 1
    const key = keys[last]!
    const router = routers[last]!
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= last) break
      if (child + 1 < last && keys[child + 1]! < keys[child]!) child++
      if (keys[child]! >= key) break
      keys[i] = keys[child]!
      routers[i] = routers[child]!
      i = child
    }
    keys[i] = key
    routers[i] = router
    return last
  }
}

/**
 * Link ids from `from` to `to`, read off a predecessor row rooted at `root`: the link into router v
 * is predLink[rowOffset + v - lo] (an offset rather than a subarray view: no allocation per query).
 * When root === from the walk from `to` runs backwards and is reversed; when root === to the walk
 * from `from` already runs forwards.
 */
export function pathFromRow(
  graph: RouterGraph,
  predLink: Int32Array,
  root: number,
  from: number,
  to: number,
  lo = 0,
  out: number[] = [],
  rowOffset = 0,
): number[] {
  const start = out.length
  let v = root === from ? to : from
  while (v !== root) {
    const link = predLink[rowOffset + v - lo]!
    if (link < 0) throw new RangeError(`No route between routers ${from} and ${to}`)
    out.push(link)
    v = graph.otherEnd(link, v)
  }
  if (root === from) reverseTail(out, start)
  return out
}

function reverseTail(out: number[], start: number): void {
  for (let i = start, j = out.length - 1; i < j; i++, j--) {
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
}
