// How a deletion sees dead nodes: their copies of places can be older than what their live
// neighbours say (they voted for a change and died before it reached them, or another operation
// already removed them), and several neighbours can be dead at once.
import type { NodeId } from '../../../core/ids.ts'
import type { Forest, Placement } from '../forest.ts'
import type { Versioned } from './placement.ts'

/**
 * Is `x` still in the forest, as far as freshly read neighbours say? Each parent must list it and
 * each child must name it; 'gone' when none does (another peer already deleted it).
 */
export function linkState(
  forest: Forest,
  x: NodeId,
  dead: ReadonlySet<NodeId>,
): 'linked' | 'gone' | 'inconsistent' {
  let yes = 0
  let no = 0
  for (let t = 0; t < forest.f; t++) {
    const p = forest.parentOf(x, t)
    if (p === undefined) return 'inconsistent'
    if (!dead.has(p)) {
      if (forest.childrenOf(p, t).includes(x)) yes++
      else no++
    }
    for (const c of forest.childrenOf(x, t)) {
      if (dead.has(c)) continue
      if (forest.parentOf(c, t) === x) yes++
      else no++
    }
  }
  if (yes === 0) return 'gone'
  return no === 0 ? 'linked' : 'inconsistent'
}

/**
 * A dead node's place as its freshly read neighbours say it is: in each tree the parent is the node
 * that lists it as a child, the children the nodes that name it as parent. Null when a tree has no
 * such parent among the nodes read, or when nothing changes (no progress to be had).
 */
export function reconcileDeadPlace(
  forest: Forest,
  x: NodeId,
  reads: ReadonlyMap<NodeId, Versioned>,
  dead: ReadonlySet<NodeId>,
): Placement | null {
  const parent: NodeId[] = []
  const children: NodeId[][] = []
  let changed = false
  for (let t = 0; t < forest.f; t++) {
    let p = forest.parentOf(x, t)
    if (p === undefined || (!dead.has(p) && !forest.childrenOf(p, t).includes(x))) {
      p = undefined
      for (const [id, v] of reads) if (!dead.has(id) && v.placement.children[t]?.includes(x)) p = id
      if (p === undefined) return null
      changed = true
    }
    parent.push(p)
    const kept = new Set(forest.childrenOf(x, t).filter((c) => dead.has(c) || forest.parentOf(c, t) === x))
    for (const [id, v] of reads) if (!dead.has(id) && v.placement.parent[t] === x) kept.add(id)
    // Same count is not same children: a join may have put itself between x and a child.
    const before = forest.childrenOf(x, t)
    changed ||= kept.size !== before.length || before.some((c) => !kept.has(c))
    children.push([...kept])
  }
  return changed ? { parent, children } : null
}

/**
 * Nodes not read yet that can tell where a dead node's place went: the new parent of a child that
 * no longer names the dead node (a join put itself between them, so it is the dead node's child
 * now), and the children of a parent that no longer lists it (one of them took its place there and
 * is its parent now). Reading them before `reconcileDeadPlace` keeps it from deciding on a partial
 * view (seen: the dead node's deletion rebuilt its place without that child, failed, and retried for
 * ever; and, for the parent, `peer-random` seed 112 with two departures a burst).
 */
export function deadPlaceWitnesses(
  forest: Forest,
  x: NodeId,
  reads: ReadonlyMap<NodeId, Versioned>,
  dead: ReadonlySet<NodeId>,
): NodeId[] {
  const out = new Set<NodeId>()
  for (let t = 0; t < forest.f; t++) {
    // The parent we hold no longer lists x: an operation moved x or put a node between them (a
    // join's SUBSTITUTE), and x's parent now is usually one of that parent's neighbours.
    const p = forest.parentOf(x, t)
    const parentPlace = p === undefined ? undefined : reads.get(p)?.placement
    if (p !== undefined && !dead.has(p) && parentPlace && !parentPlace.children[t]?.includes(x)) {
      for (const n of [...parentPlace.parent, ...parentPlace.children.flat()]) {
        if (n !== undefined && n !== x && !dead.has(n) && !reads.has(n)) out.add(n)
      }
    }
    for (const c of forest.childrenOf(x, t)) {
      if (dead.has(c)) continue
      const other = reads.get(c)?.placement.parent[t]
      if (other !== undefined && other !== x && !dead.has(other) && !reads.has(other)) out.add(other)
    }
  }
  return [...out]
}

/**
 * A dead node's place without `gone` (silent nodes no live node we read links to: only stale copies
 * of dead places still name them, so another operation already removed them): a gone parent is
 * replaced by the live node read that lists `x` as a child in that tree, and children are completed
 * with the live nodes read that name `x` as parent. Null when a tree's parent cannot be found.
 */
export function withoutGone(
  place: Placement,
  x: NodeId,
  gone: ReadonlySet<NodeId>,
  reads: ReadonlyMap<NodeId, Versioned>,
  dead: ReadonlySet<NodeId>,
): Placement | null {
  const live = [...reads].filter(([id]) => !dead.has(id) && !gone.has(id))
  const parent: NodeId[] = []
  const children: NodeId[][] = []
  for (let t = 0; t < place.parent.length; t++) {
    let p = place.parent[t]
    if (p === undefined || gone.has(p)) p = live.find(([, v]) => v.placement.children[t]?.includes(x))?.[0]
    if (p === undefined) return null
    parent.push(p)
    const kept = new Set((place.children[t] ?? []).filter((c) => !gone.has(c)))
    for (const [id, v] of live) if (v.placement.parent[t] === x) kept.add(id)
    children.push([...kept])
  }
  return { parent, children }
}

/** Some live node read links to `z` (as parent or child). */
export function linkedByLive(
  z: NodeId,
  reads: ReadonlyMap<NodeId, Versioned>,
  dead: ReadonlySet<NodeId>,
): boolean {
  for (const [id, v] of reads) {
    if (id === z || dead.has(id)) continue
    if (v.placement.parent.includes(z) || v.placement.children.some((list) => list.includes(z))) return true
  }
  return false
}

/**
 * A dead node's place put together from what links to it, when nobody could tell it (its children
 * are dead or never learned it): in each tree the parent is the node read (or a dead node whose
 * place we hold) listing it as a child, the children the nodes naming it as parent. Null when some
 * tree has no parent: then it cannot be removed consistently.
 */
export function assembleDeadPlace(
  f: number,
  z: NodeId,
  reads: ReadonlyMap<NodeId, Versioned>,
  dead: ReadonlySet<NodeId>,
  deadPlaceOf: (id: NodeId) => Placement | undefined,
): Placement | null {
  const places: [NodeId, Placement][] = []
  for (const [id, v] of reads) if (id !== z && !dead.has(id)) places.push([id, v.placement])
  for (const d of dead) {
    const p = d === z ? undefined : deadPlaceOf(d)
    if (p) places.push([d, p])
  }
  const parent: NodeId[] = []
  const children: NodeId[][] = []
  for (let t = 0; t < f; t++) {
    const p = places.find(([, place]) => place.children[t]?.includes(z))?.[0]
    if (p === undefined) return null
    parent.push(p)
    children.push(places.filter(([, place]) => place.parent[t] === z).map(([id]) => id))
  }
  return { parent, children }
}
