import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'

/** One node's place in every tree of the forest. */
export interface Placement {
  /** Parent per tree (the source for a tree's root); undefined while the node is being moved. */
  readonly parent: (NodeId | undefined)[]
  /** Children per tree, in adoption order. */
  readonly children: NodeId[][]
}

/**
 * Thrown by a partial forest when a transition needs the placement of a node it has not fetched
 * yet: the peer running the operation reads it (READ) and runs the operation again.
 */
export class MissingPlacement extends Error {
  override readonly name = 'MissingPlacement'
  constructor(readonly id: NodeId) {
    super(`p2pcast forest: placement of ${id} not fetched`)
  }
}

/**
 * The P2PCast forest as plain data: f trees over the same nodes, the source on top of every tree
 * (its only child in tree t is that tree's root). Only structural primitives live here; which
 * moves are legal, and the join/delete cases built from them, are in transitions.ts.
 *
 * Used twice: as the whole forest (the reference model, the invariant checker's input, the
 * registry's view in coordinated mode) and as each node's own knowledge of its neighbourhood.
 */
export class Forest {
  private readonly nodes = new Map<NodeId, Placement>()
  /** Nodes whose parent or children changed since the last `takeTouched` (for UPDATE fan-out). */
  private touched = new Set<NodeId>()
  /** Undo steps of the operation in progress (see `begin`); null when not recording. */
  private journal: (() => void)[] | null = null

  /** Partial forests (one peer's working view) fetch placements they lack through this. */
  private load: ((id: NodeId) => Placement) | null = null

  /**
   * A peer's working view of the forest for one operation: placements come from `load` (which
   * throws MissingPlacement for what must be fetched first) and are copied on first use.
   */
  static partial(f: number, source: NodeId, special: NodeId, load: (id: NodeId) => Placement): Forest {
    const forest = new Forest(f, source, special)
    forest.nodes.clear()
    forest.touched.clear()
    forest.load = load
    return forest
  }

  constructor(
    readonly f: number,
    readonly source: NodeId,
    readonly special: NodeId,
  ) {
    this.nodes.set(source, emptyPlacement(f))
    // Bootstrap (§3): the special node is the root of every tree.
    this.nodes.set(special, emptyPlacement(f))
    for (let t = 0; t < f; t++) this.attach(source, special, t)
    this.touched.clear()
  }

  get size(): number {
    return this.nodes.size
  }

  /** A peer's working view (see `partial`): it holds only the placements it fetched. */
  get isPartial(): boolean {
    return this.load !== null
  }

  /** Peers, the special node included, the source excluded (insertion order). */
  peers(): NodeId[] {
    const out: NodeId[] = []
    for (const id of this.nodes.keys()) if (id !== this.source) out.push(id)
    return out
  }

  has(id: NodeId): boolean {
    return this.nodes.has(id)
  }

  placement(id: NodeId): Placement {
    const p = this.nodes.get(id)
    if (p) return p
    if (!this.load) throw new LocalProtocolError(`p2pcast forest: unknown node ${id}`)
    const loaded = copyPlacement(this.load(id))
    this.nodes.set(id, loaded)
    return loaded
  }

  /** Ids whose placements this (partial) forest holds. */
  knownIds(): NodeId[] {
    return [...this.nodes.keys()]
  }

  parentOf(id: NodeId, t: number): NodeId | undefined {
    return this.placement(id).parent[t]
  }

  childrenOf(id: NodeId, t: number): readonly NodeId[] {
    return this.placement(id).children[t]!
  }

  childCount(id: NodeId): number {
    let n = 0
    for (const list of this.placement(id).children) n += list.length
    return n
  }

  isLeaf(id: NodeId, t: number): boolean {
    return this.placement(id).children[t]!.length === 0
  }

  rootOf(t: number): NodeId {
    return this.placement(this.source).children[t]![0]!
  }

  /** Depth of `id` in tree t (root = 1). */
  depth(id: NodeId, t: number): number {
    let d = 0
    let at: NodeId | undefined = id
    while (at !== undefined && at !== this.source) {
      d++
      at = this.parentOf(at, t)
      if (d > this.nodes.size) throw new LocalProtocolError(`p2pcast forest: cycle in tree ${t} above ${id}`)
    }
    return d
  }

  /**
   * Start recording an operation so that `rollback` can undo it: a random choice that dead-ends
   * is retried with fresh draws instead of leaving the forest half-repaired.
   */
  begin(): void {
    this.journal = []
  }

  commit(): void {
    this.journal = null
  }

  rollback(): void {
    const steps = this.journal
    this.journal = null
    if (!steps) throw new LocalProtocolError('p2pcast forest: rollback without begin')
    for (let i = steps.length - 1; i >= 0; i--) steps[i]!()
  }

  addNode(id: NodeId): void {
    if (this.nodes.has(id)) throw new LocalProtocolError(`p2pcast forest: node ${id} already present`)
    this.nodes.set(id, emptyPlacement(this.f))
    this.touched.add(id)
    this.journal?.push(() => this.nodes.delete(id))
  }

  /** Remove a node that no longer has a parent or children anywhere. */
  removeNode(id: NodeId): void {
    const p = this.placement(id)
    for (let t = 0; t < this.f; t++) {
      if (p.parent[t] !== undefined || p.children[t]!.length > 0) {
        throw new LocalProtocolError(`p2pcast forest: removing ${id} while it is still linked in tree ${t}`)
      }
    }
    this.nodes.delete(id)
    this.touched.delete(id)
    this.journal?.push(() => this.nodes.set(id, p))
  }

  attach(parent: NodeId, child: NodeId, t: number): void {
    const c = this.placement(child)
    if (c.parent[t] !== undefined)
      throw new LocalProtocolError(`p2pcast forest: ${child} already has a parent in tree ${t}`)
    const list = this.placement(parent).children[t]!
    list.push(child)
    c.parent[t] = parent
    this.touched.add(parent).add(child)
    this.journal?.push(() => {
      list.pop()
      c.parent[t] = undefined
    })
  }

  detach(child: NodeId, t: number): NodeId {
    const c = this.placement(child)
    const parent = c.parent[t]
    if (parent === undefined)
      throw new LocalProtocolError(`p2pcast forest: ${child} has no parent in tree ${t}`)
    const list = this.placement(parent).children[t]!
    const at = list.indexOf(child)
    list.splice(at, 1)
    c.parent[t] = undefined
    this.touched.add(parent).add(child)
    this.journal?.push(() => {
      list.splice(at, 0, child)
      c.parent[t] = parent
    })
    return parent
  }

  /** `taker` takes `old`'s place under old's parent in tree t (same slot); children do not move. */
  takePlace(old: NodeId, taker: NodeId, t: number): void {
    const o = this.placement(old)
    const parent = o.parent[t]
    if (parent === undefined) throw new LocalProtocolError(`p2pcast forest: ${old} has no place in tree ${t}`)
    const n = this.placement(taker)
    if (n.parent[t] !== undefined)
      throw new LocalProtocolError(`p2pcast forest: ${taker} already placed in tree ${t}`)
    const list = this.placement(parent).children[t]!
    const at = list.indexOf(old)
    list[at] = taker
    n.parent[t] = parent
    o.parent[t] = undefined
    this.touched.add(parent).add(old).add(taker)
    this.journal?.push(() => {
      list[at] = old
      n.parent[t] = undefined
      o.parent[t] = parent
    })
  }

  takeTouched(): Set<NodeId> {
    const out = this.touched
    this.touched = new Set()
    return out
  }
}

export function copyPlacement(p: Placement): Placement {
  return { parent: p.parent.slice(), children: p.children.map((c) => c.slice()) }
}

function emptyPlacement(f: number): Placement {
  return {
    parent: new Array<NodeId | undefined>(f).fill(undefined),
    children: Array.from({ length: f }, () => [] as NodeId[]),
  }
}
