import type { NodeId } from '../../../core/ids.ts'
import type { Rng } from '../../../core/rng.ts'

/**
 * The registry's member list in peer mode (kept by the source): JOIN answers a uniformly random
 * member or the special node (§7); JOINED adds, DELETE drops. O(1) each (swap-remove).
 */
export class MemberList {
  private readonly ids: NodeId[] = []
  private readonly index = new Map<NodeId, number>()

  constructor(private readonly special: NodeId) {}

  get size(): number {
    return this.ids.length
  }

  randomContact(rng: Rng): NodeId {
    const i = rng.int(this.ids.length + 1)
    return i === this.ids.length ? this.special : this.ids[i]!
  }

  add(id: NodeId): void {
    if (this.index.has(id)) return
    this.index.set(id, this.ids.length)
    this.ids.push(id)
  }

  drop(id: NodeId): void {
    const at = this.index.get(id)
    if (at === undefined) return
    const last = this.ids.pop()!
    if (last !== id) {
      this.ids[at] = last
      this.index.set(last, at)
    }
    this.index.delete(id)
  }
}
