import { Dijkstra } from './dijkstra.ts'
import type { RouterGraph } from './router-graph.ts'

export interface ShortestPathRow {
  readonly source: number
  /** ms from the source to every router; Float32 is exact because link latencies are quantised (see transit-stub-topology.ts). */
  readonly dist: Float32Array
  /** Link over which each router is reached from the source (-1 at the source). */
  readonly predLink: Int32Array
}

/**
 * Dijkstra rows computed on demand, one per source router, kept in a bounded least-recently-used
 * pool. A 10,000-router row costs 80 KB, so 512 rows stay near 40 MB instead of the 400 MB of a
 * full matrix. Slots are preallocated lazily and reused on eviction (no garbage per miss).
 */
export class ShortestPathCache {
  private readonly dijkstra: Dijkstra
  private readonly slotOfRouter: Int32Array
  private readonly slots: { source: number; dist: Float32Array; predLink: Int32Array; lastUse: number }[] = []
  private clock = 0
  /** Rows computed so far (misses), for benchmarks and tests. */
  rowsComputed = 0

  constructor(
    private readonly graph: RouterGraph,
    readonly maxRows: number,
  ) {
    if (!Number.isInteger(maxRows) || maxRows < 1)
      throw new RangeError(`maxRows must be a positive integer, got ${maxRows}`)
    this.dijkstra = new Dijkstra(graph)
    this.slotOfRouter = new Int32Array(graph.routerCount).fill(-1)
  }

  get cachedRows(): number {
    return this.slots.length
  }

  /** The row rooted at `source` if it is cached (marks it recently used), else undefined. */
  cached(source: number): ShortestPathRow | undefined {
    const slot = this.slotOfRouter[source]!
    if (slot < 0) return undefined
    const row = this.slots[slot]!
    row.lastUse = ++this.clock
    return row
  }

  row(source: number): ShortestPathRow {
    const hit = this.cached(source)
    if (hit) return hit
    let slot: number
    if (this.slots.length < this.maxRows) {
      slot = this.slots.length
      const n = this.graph.routerCount
      this.slots.push({ source, dist: new Float32Array(n), predLink: new Int32Array(n), lastUse: 0 })
    } else {
      // A linear scan for the oldest slot is cheap next to the Dijkstra run that follows.
      slot = 0
      for (let i = 1; i < this.slots.length; i++)
        if (this.slots[i]!.lastUse < this.slots[slot]!.lastUse) slot = i
      this.slotOfRouter[this.slots[slot]!.source] = -1
    }
    const row = this.slots[slot]!
    row.source = source
    row.lastUse = ++this.clock
    this.slotOfRouter[source] = slot
    this.dijkstra.run(source, row.dist, row.predLink)
    this.rowsComputed++
    return row
  }
}
