import type { NodeId } from '../../core/ids.ts'
import type { Locator } from '../../core/protocol.ts'

/** What a parent remembers about one child (its "local topology", §V). */
export interface ChildInfo {
  locator: Locator
  uploadKbps: number
  /** Children this child can feed (derived from its upload), so redirects skip dead ends. */
  capacity: number
  lastHeardMs: number
}

/**
 * A node's children: an ordered id list (forwarding order and the Round-Robin queue) plus
 * per-child facts in a parallel list. Size is bounded by the caller's child limit (8 by default),
 * so lookups scan the id list: at that size a scan beats a hash lookup, and it reads the same
 * memory the forwarding loop reads anyway (with 10^5 nodes every message meets a cold node).
 */
export class ChildTable {
  private readonly order: NodeId[] = []
  private readonly infos: ChildInfo[] = []

  get size(): number {
    return this.order.length
  }

  /** Forwarding order; read-only view for the hot path (do not keep across mutations). */
  get ids(): readonly NodeId[] {
    return this.order
  }

  /** Facts about the child at position i of `ids`. */
  infoAt(i: number): ChildInfo {
    return this.infos[i]!
  }

  has(id: NodeId): boolean {
    return this.order.indexOf(id) >= 0
  }

  get(id: NodeId): ChildInfo | undefined {
    const i = this.order.indexOf(id)
    return i < 0 ? undefined : this.infos[i]
  }

  add(id: NodeId, child: ChildInfo): void {
    const i = this.order.indexOf(id)
    if (i >= 0) {
      this.infos[i] = child
      return
    }
    this.order.push(id)
    this.infos.push(child)
  }

  remove(id: NodeId): boolean {
    const i = this.order.indexOf(id)
    if (i < 0) return false
    this.order.splice(i, 1)
    this.infos.splice(i, 1)
    return true
  }

  /** Round-Robin (§V.A.2): take the child at the head of the list and move it to the end. */
  rotate(id: NodeId): void {
    const i = this.order.indexOf(id)
    if (i < 0) return
    this.order.splice(i, 1)
    this.order.push(id)
    this.infos.push(this.infos.splice(i, 1)[0]!)
  }

  /** Remove every child, returning the ids in order. */
  clear(): NodeId[] {
    this.infos.length = 0
    return this.order.splice(0)
  }

  entries(): [NodeId, ChildInfo][] {
    return this.order.map((id, i) => [id, this.infos[i]!])
  }
}
