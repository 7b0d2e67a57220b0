import type { NodeId } from '../../core/ids.ts'
import type { Rng } from '../../core/rng.ts'
import { Forest } from './forest.ts'
import type { Update } from './messages.ts'
import { join, type OpCost, remove } from './transitions.ts'

/**
 * Id of the special node inside the forest. The special node is "a dummy peer maintained by the
 * source" (§3 footnote 1): on the wire it is the source itself. Simulator ids are numbers and
 * libp2p PeerIds have no colon, so this string collides with no real node.
 */
export const SPECIAL: NodeId = 'p2pcast:special'

export interface Outgoing {
  readonly to: NodeId
  readonly msg: Update
}

export interface RegistryResult {
  readonly updates: Outgoing[]
  /** The special node's parents changed (the source re-reads them). */
  readonly specialMoved: boolean
  readonly cost: OpCost | null
}

/**
 * The registry (§7, §10.1), kept by the source: JOIN and DELETE, plus — in this coordinated mode —
 * the authoritative forest. It runs the paper's join and deletion cases (transitions.ts) on its
 * model atomically, then sends UPDATE to every node whose parents or children changed. Serialising
 * the operations here is what makes concurrent joins and crashes safe; the decentralized RPC
 * execution (TAKEON, SUBSTITUTE, SEARCH, REPLACE, DIRECT between peers) is not built yet.
 */
export class Registry {
  readonly forest: Forest
  private version = 0
  /** Non-special members, for an O(1) uniformly random contact (swap-remove on delete). */
  private readonly members: NodeId[] = []
  private readonly index = new Map<NodeId, number>()

  constructor(
    readonly f: number,
    readonly source: NodeId,
    private readonly rng: Rng,
  ) {
    this.forest = new Forest(f, source, SPECIAL)
  }

  get memberCount(): number {
    return this.members.length
  }

  has(id: NodeId): boolean {
    return this.index.has(id)
  }

  /** JOIN: "returns a random node" — here the registry also runs the join from that contact. */
  join(n: NodeId): RegistryResult {
    if (n === this.source || n === SPECIAL) return { updates: [], specialMoved: false, cost: null }
    if (this.index.has(n)) return { updates: [this.updateFor(n)], specialMoved: false, cost: null }
    const contact = this.randomContact()
    this.forest.takeTouched()
    const cost = join(this.forest, n, contact, this.rng)
    this.index.set(n, this.members.length)
    this.members.push(n)
    return { ...this.flush(), cost }
  }

  /**
   * DELETE: `reporter` says `node` is dead (a child of it) or is leaving (node = reporter).
   * Reports from nodes that are neither are ignored, as are reports about nodes already gone.
   */
  delete(reporter: NodeId, node: NodeId): RegistryResult {
    const none: RegistryResult = { updates: [], specialMoved: false, cost: null }
    if (!this.index.has(node)) {
      // Already deleted: make sure the reporter has its current place.
      return this.index.has(reporter) ? { ...none, updates: [this.updateFor(reporter)] } : none
    }
    if (reporter !== node && reporter !== this.source && !this.isChildOf(reporter, node)) return none
    this.forest.takeTouched()
    const cost = remove(this.forest, node, this.rng)
    const last = this.members.pop()!
    const at = this.index.get(node)!
    if (last !== node) {
      this.members[at] = last
      this.index.set(last, at)
    }
    this.index.delete(node)
    const result = this.flush()
    // A node deleted on a false suspicion learns it is out and joins again.
    result.updates.push({
      to: node,
      msg: { type: 'update', version: this.version, member: false, parents: [], children: [] },
    })
    return { ...result, cost }
  }

  /** Whether a DELETE of `node` from `reporter` would be acted on (the node itself, the source, or a child). */
  acceptsReport(reporter: NodeId, node: NodeId): boolean {
    return (
      this.index.has(node) &&
      (reporter === node || reporter === this.source || this.isChildOf(reporter, node))
    )
  }

  /** The UPDATE `id` should get now: its place, or `member = false` when it is not in the forest. */
  currentUpdate(id: NodeId): Update {
    if (this.index.has(id)) return this.updateFor(id).msg
    return { type: 'update', version: this.version, member: false, parents: [], children: [] }
  }

  private isChildOf(child: NodeId, parent: NodeId): boolean {
    if (!this.forest.has(child)) return false
    for (let t = 0; t < this.f; t++) if (this.forest.parentOf(child, t) === parent) return true
    return false
  }

  private randomContact(): NodeId {
    const i = this.rng.int(this.members.length + 1)
    return i === this.members.length ? SPECIAL : this.members[i]!
  }

  private flush(): { updates: Outgoing[]; specialMoved: boolean } {
    this.version++
    const updates: Outgoing[] = []
    let specialMoved = false
    for (const id of this.forest.takeTouched()) {
      if (id === this.source) continue
      if (id === SPECIAL) specialMoved = true
      else updates.push(this.updateFor(id))
    }
    return { updates, specialMoved }
  }

  /** The source stands in for the special node on the wire. */
  wire(id: NodeId): NodeId {
    return id === SPECIAL ? this.source : id
  }

  updateFor(id: NodeId): Outgoing {
    const parents: NodeId[] = []
    const children: NodeId[][] = []
    for (let t = 0; t < this.f; t++) {
      parents.push(this.wire(this.forest.parentOf(id, t)!))
      children.push(this.forest.childrenOf(id, t).map((c) => this.wire(c)))
    }
    return { to: id, msg: { type: 'update', version: this.version, member: true, parents, children } }
  }
}
