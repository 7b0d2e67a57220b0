import { LocalProtocolError } from '../../core/errors.ts'

/** What a physical link connects, after GT-ITM's transit-stub model; each class has its own latency range. */
export const LINK_CLASSES = ['intra-transit', 'inter-transit', 'transit-stub', 'intra-stub'] as const
export type LinkClass = (typeof LINK_CLASSES)[number]

/**
 * An undirected router-level graph in compressed sparse row form. Link ids are dense (0..linkCount-1)
 * and stable for the life of the graph: link stress is counted per link id.
 */
export class RouterGraph {
  readonly routerCount: number
  readonly linkCount: number
  /** Endpoints of link l at [2l] and [2l+1]. */
  readonly linkEnds: Int32Array
  readonly linkLatencyMs: Float64Array
  /** Index into LINK_CLASSES. */
  readonly linkClassCode: Uint8Array
  /** Neighbours of router r are adjRouter[adjStart[r] .. adjStart[r+1]), reached over adjLink[same index]. */
  readonly adjStart: Int32Array
  readonly adjRouter: Int32Array
  readonly adjLink: Int32Array

  constructor(
    routerCount: number,
    linkEnds: Int32Array,
    linkLatencyMs: Float64Array,
    linkClassCode: Uint8Array,
  ) {
    this.routerCount = routerCount
    this.linkCount = linkLatencyMs.length
    this.linkEnds = linkEnds
    this.linkLatencyMs = linkLatencyMs
    this.linkClassCode = linkClassCode
    const degree = new Int32Array(routerCount + 1)
    for (let i = 0; i < linkEnds.length; i++) degree[linkEnds[i]! + 1]!++
    for (let r = 0; r < routerCount; r++) degree[r + 1]! += degree[r]!
    this.adjStart = degree
    this.adjRouter = new Int32Array(linkEnds.length)
    this.adjLink = new Int32Array(linkEnds.length)
    const fill = degree.slice(0, routerCount)
    // Links are added in generation order, so each router's neighbour list is in a deterministic order.
    for (let l = 0; l < this.linkCount; l++) {
      const a = linkEnds[2 * l]!
      const b = linkEnds[2 * l + 1]!
      const ia = fill[a]!++
      this.adjRouter[ia] = b
      this.adjLink[ia] = l
      const ib = fill[b]!++
      this.adjRouter[ib] = a
      this.adjLink[ib] = l
    }
  }

  /** The router at the other end of `link` from `router`. */
  otherEnd(link: number, router: number): number {
    return this.linkEnds[2 * link]! ^ this.linkEnds[2 * link + 1]! ^ router
  }

  linkClass(link: number): LinkClass {
    return LINK_CLASSES[this.linkClassCode[link]!]!
  }
}

/** Collects links, rejecting self-loops and duplicates, then freezes them into a RouterGraph. */
export class RouterGraphBuilder {
  private readonly ends: number[] = []
  private readonly latencies: number[] = []
  private readonly classes: number[] = []
  private readonly seen = new Set<number>()

  constructor(readonly routerCount: number) {}

  hasLink(a: number, b: number): boolean {
    return this.seen.has(this.pairKey(a, b))
  }

  addLink(a: number, b: number, latencyMs: number, linkClass: LinkClass): number {
    if (a === b || a < 0 || b < 0 || a >= this.routerCount || b >= this.routerCount) {
      throw new LocalProtocolError(
        `Cannot add link ${a}-${b}: routers must be distinct and below ${this.routerCount}`,
      )
    }
    const key = this.pairKey(a, b)
    if (this.seen.has(key)) throw new LocalProtocolError(`Cannot add link ${a}-${b}: it already exists`)
    this.seen.add(key)
    this.ends.push(a, b)
    this.latencies.push(latencyMs)
    this.classes.push(LINK_CLASSES.indexOf(linkClass))
    return this.latencies.length - 1
  }

  build(): RouterGraph {
    return new RouterGraph(
      this.routerCount,
      Int32Array.from(this.ends),
      Float64Array.from(this.latencies),
      Uint8Array.from(this.classes),
    )
  }

  private pairKey(a: number, b: number): number {
    return a < b ? a * this.routerCount + b : b * this.routerCount + a
  }
}
