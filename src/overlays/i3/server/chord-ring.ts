import { LocalProtocolError } from '../../../core/errors.ts'
import type { NodeId } from '../../../core/ids.ts'
import { RING_SIZE, serverRingKey } from '../ids.ts'

/** Clockwise distance on the 2^52 ring from `from` to `to` (0 when equal). */
export function ringDistance(from: number, to: number): number {
  const d = to - from
  return d >= 0 ? d : d + RING_SIZE
}

/**
 * The static Chord ring of an i3 deployment (servers know every server, NodeContext.servers).
 * Server positions are consistent hashes of their node ids; the owner of ring key k is
 * successor(k), the first server at or after k, wrapping. Immutable, so every server of one
 * deployment shares one instance (see ChordRing.of).
 */
export class ChordRing {
  /** Positions ascending; `nodes[i]` sits at `positions[i]`. */
  readonly positions: Float64Array
  readonly nodes: readonly NodeId[]
  private readonly indexOf = new Map<NodeId, number>()

  constructor(servers: readonly NodeId[]) {
    if (servers.length === 0) throw new LocalProtocolError('an i3 Chord ring needs at least one server')
    const placed = servers.map((node) => ({ node, key: serverRingKey(node) }))
    // Ties (two servers hashing to one 52-bit key) are broken by id so every server agrees.
    placed.sort((a, b) => a.key - b.key || (String(a.node) < String(b.node) ? -1 : 1))
    this.positions = Float64Array.from(placed, (p) => p.key)
    this.nodes = placed.map((p) => p.node)
    for (const [i, node] of this.nodes.entries()) this.indexOf.set(node, i)
  }

  private static readonly shared = new WeakMap<readonly NodeId[], ChordRing>()

  /**
   * The ring of this server list, built once per list object: 8,192 servers each hashing and
   * sorting 8,192 positions would cost seconds (the simulator hands every server the same array).
   */
  static of(servers: readonly NodeId[]): ChordRing {
    let ring = ChordRing.shared.get(servers)
    if (!ring) {
      ring = new ChordRing(servers)
      ChordRing.shared.set(servers, ring)
    }
    return ring
  }

  get size(): number {
    return this.nodes.length
  }

  has(node: NodeId): boolean {
    return this.indexOf.has(node)
  }

  positionOf(node: NodeId): number {
    const i = this.indexOf.get(node)
    if (i === undefined) throw new LocalProtocolError(`node ${String(node)} is not on the i3 ring`)
    return this.positions[i]!
  }

  /** Index of successor(key): the first position >= key, wrapping to 0. */
  private successorIndex(key: number): number {
    const p = this.positions
    let lo = 0
    let hi = p.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (p[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo === p.length ? 0 : lo
  }

  /** The server responsible for ring key `key`. */
  successor(key: number): NodeId {
    return this.nodes[this.successorIndex(key)]!
  }

  /** Chord finger table of `self`: finger i = successor(self + 2^i), i = 0..51. */
  fingersOf(self: NodeId): ChordFingers {
    const base = this.positionOf(self)
    const nodes: NodeId[] = []
    const distances: number[] = []
    for (let i = 0; i < 52; i++) {
      const index = this.successorIndex((base + 2 ** i) % RING_SIZE)
      const node = this.nodes[index]!
      if (node === self) continue
      const distance = ringDistance(base, this.positions[index]!)
      if (distances.length > 0 && distances[distances.length - 1] === distance) continue
      nodes.push(node)
      distances.push(distance)
    }
    return new ChordFingers(self, base, nodes, Float64Array.from(distances))
  }
}

/**
 * One server's finger table: distinct fingers in increasing clockwise distance. Routing is
 * Chord's greedy rule: hand the packet to the farthest finger that does not pass the key; when
 * none qualifies the key lies between us and our successor, who owns it.
 */
export class ChordFingers {
  constructor(
    readonly self: NodeId,
    readonly position: number,
    readonly nodes: readonly NodeId[],
    /** Clockwise distance from `position` to each finger, ascending. */
    readonly distances: Float64Array,
  ) {}

  /** Next hop toward ring key `key`, for a key this server does not own; self when alone on the ring. */
  nextHop(key: number): NodeId {
    const target = ringDistance(this.position, key)
    const d = this.distances
    let lo = 0
    let hi = d.length
    // Last finger with distance <= target (a finger exactly at the key owns it).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (d[mid]! <= target) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) return this.nodes[lo - 1]!
    return this.nodes[0] ?? this.self
  }
}
