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
 * per-child facts. Size is bounded by the caller's child limit; linear removal is fine at that size.
 */
export class ChildTable {
  private readonly order: NodeId[] = []
  private readonly info = new Map<NodeId, ChildInfo>()

  get size(): number {
    return this.order.length
  }

  /** Forwarding order; read-only view for the hot path (do not keep across mutations). */
  get ids(): readonly NodeId[] {
    return this.order
  }

  has(id: NodeId): boolean {
    return this.info.has(id)
  }

  get(id: NodeId): ChildInfo | undefined {
    return this.info.get(id)
  }

  add(id: NodeId, child: ChildInfo): void {
    if (!this.info.has(id)) this.order.push(id)
    this.info.set(id, child)
  }

  remove(id: NodeId): boolean {
    if (!this.info.delete(id)) return false
    this.order.splice(this.order.indexOf(id), 1)
    return true
  }

  /** Round-Robin (§V.A.2): take the child at the head of the list and move it to the end. */
  rotate(id: NodeId): void {
    const i = this.order.indexOf(id)
    if (i < 0) return
    this.order.splice(i, 1)
    this.order.push(id)
  }

  /** Remove every child, returning the ids in order. */
  clear(): NodeId[] {
    const all = this.order.splice(0)
    this.info.clear()
    return all
  }

  entries(): [NodeId, ChildInfo][] {
    return this.order.map((id) => [id, this.info.get(id)!])
  }
}
