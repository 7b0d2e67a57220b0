// The registry's memory of dead nodes' places in peer mode (ours). §7: "the child of a dead parent"
// reports it to the registry with DELETE; here that report also carries the place the child holds
// (or, when it holds none, the child's own place, which names the dead parent), so that a peer whose
// operation meets the dead node and finds nobody around who knows its place (its children dead too,
// or never told) can ask the registry (the source) instead of giving up.
import type { NodeId } from '../../../core/ids.ts'
import type { Versioned } from './placement.ts'

/** Places kept (oldest dropped first): a burst of departures, not the whole forest. */
const MAX_DEAD_PLACES = 64

export class DeadDirectory {
  private readonly places = new Map<NodeId, Versioned>()

  get size(): number {
    return this.places.size
  }

  /** A child's copy of its dead parent's place; the newest version wins. */
  report(node: NodeId, place: Versioned): void {
    const known = this.places.get(node)
    if (known && known.version > place.version) return
    this.places.delete(node)
    this.places.set(node, place)
    if (this.places.size > MAX_DEAD_PLACES) this.places.delete(this.places.keys().next().value!)
  }

  /**
   * The node's place as reported, completed with the reported places that name it as parent (its
   * children that never learned its place) or list it as a child. Undefined when some tree has no
   * parent.
   */
  lookup(node: NodeId, f: number): Versioned | undefined {
    const copy = this.places.get(node)
    const parent: NodeId[] = []
    const children: NodeId[][] = []
    for (let t = 0; t < f; t++) {
      let p = copy?.placement.parent[t]
      const kids = new Set(copy?.placement.children[t] ?? [])
      for (const [id, v] of this.places) {
        if (id === node) continue
        if (v.placement.parent[t] === node) kids.add(id)
        if (p === undefined && v.placement.children[t]?.includes(node)) p = id
      }
      if (p === undefined) return undefined
      parent.push(p)
      children.push([...kids])
    }
    return { version: copy?.version ?? 0, placement: { parent, children } }
  }

  /** The node was deleted (or is alive after all). */
  forget(node: NodeId): void {
    this.places.delete(node)
  }
}
