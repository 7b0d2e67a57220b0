import type { NodeId } from '../../core/ids.ts'
import type { TopologySnapshot } from './topology-snapshot.ts'

export interface Violation {
  readonly invariant: 'acyclic' | 'reachable' | 'capacity' | 'bounded'
  readonly node: NodeId
  readonly detail: string
}

/**
 * No node is its own ancestor. Each parent index k is followed as its own tree (P2PCast lists one
 * parent per stripe; a single-tree overlay has only index 0), so stripes may cross each other
 * without counting as a loop. Edges to nodes that are not live end the walk (a dead parent that
 * has not been noticed yet is not a cycle). O(nodes * trees).
 */
export function checkAcyclic(s: TopologySnapshot): Violation[] {
  const out: Violation[] = []
  let trees = 0
  for (const v of s.views.values()) trees = Math.max(trees, v.parents.length)
  for (let k = 0; k < trees; k++) {
    // 0 = unvisited, 1 = on the current walk, 2 = known to end outside a cycle.
    const mark = new Map<NodeId, number>()
    for (const start of s.nodes) {
      const walk: NodeId[] = []
      let id: NodeId | undefined = start
      while (id !== undefined && s.views.has(id) && (mark.get(id) ?? 0) === 0) {
        mark.set(id, 1)
        walk.push(id)
        id = s.views.get(id)!.parents[k]
      }
      if (id !== undefined && mark.get(id) === 1) {
        const loop = walk.slice(walk.indexOf(id))
        out.push({ invariant: 'acyclic', node: id, detail: `tree ${k}: cycle ${[...loop, id].join(' -> ')}` })
      }
      for (const w of walk) mark.set(w, 2)
    }
  }
  return out
}

/**
 * Nodes that claim a working feed (`connected`) reach the source by parent links through live
 * nodes, in every tree they have a parent in. Returns the ones that do not.
 */
export function checkReachable(s: TopologySnapshot): Violation[] {
  const out: Violation[] = []
  // Per tree: node -> whether its parent chain ends at the source (memo keeps it O(nodes)).
  const memo: Map<NodeId, boolean>[] = []
  const resolve = (start: NodeId, k: number): boolean => {
    const reaches = (memo[k] ??= new Map<NodeId, boolean>())
    const walk: NodeId[] = []
    let id: NodeId | undefined = start
    let ok = false
    for (let steps = 0; steps <= s.nodes.length; steps++) {
      if (id === undefined || !s.views.has(id)) break
      if (id === s.sourceId) {
        ok = true
        break
      }
      const known = reaches.get(id)
      if (known !== undefined) {
        ok = known
        break
      }
      walk.push(id)
      id = s.views.get(id)!.parents[k]
    }
    for (const w of walk) reaches.set(w, ok)
    return ok
  }
  for (const id of s.nodes) {
    const v = s.views.get(id)!
    if (id === s.sourceId || !v.connected) continue
    if (v.parents.length === 0)
      out.push({ invariant: 'reachable', node: id, detail: 'connected but has no parent' })
    for (let k = 0; k < v.parents.length; k++) {
      if (!resolve(id, k)) {
        out.push({
          invariant: 'reachable',
          node: id,
          detail: `claims connected but tree ${k} does not reach the source`,
        })
      }
    }
  }
  return out
}

/** Live viewers with no parent path to the source (whatever they claim). */
export function unreachableViewers(s: TopologySnapshot): NodeId[] {
  const claimsAll: TopologySnapshot = {
    ...s,
    views: new Map([...s.views].map(([id, v]) => [id, { ...v, connected: true }])),
  }
  return [...new Set(checkReachable(claimsAll).map((v) => v.node))]
}

/**
 * Nobody feeds more children than its upload pays for: children <= maxChildren, and
 * maxChildren * childRateKbps <= uploadKbps (SpreadIt §III "Managing Load").
 * `childRateKbps` is what one child edge costs the parent (the stream rate for one tree,
 * stream / (f-1) per stripe for P2PCast).
 */
export function checkCapacity(s: TopologySnapshot, childRateKbps: number): Violation[] {
  const out: Violation[] = []
  for (const id of s.nodes) {
    const v = s.views.get(id)!
    if (v.children.length > v.maxChildren) {
      out.push({
        invariant: 'capacity',
        node: id,
        detail: `${v.children.length} children, limit ${v.maxChildren}`,
      })
    }
    const upload = s.uploadKbps(id)
    // A hair of slack for floating-point in the overlay's floor(upload / rate).
    if (v.maxChildren * childRateKbps > upload * (1 + 1e-9)) {
      out.push({
        invariant: 'capacity',
        node: id,
        detail: `limit ${v.maxChildren} x ${childRateKbps} kbit/s exceeds upload ${upload} kbit/s`,
      })
    }
  }
  return out
}

/** Per-node collections stay under fixed bounds (no unbounded state). */
export function checkBounded(s: TopologySnapshot, maxParents: number, maxChildrenBound: number): Violation[] {
  const out: Violation[] = []
  for (const id of s.nodes) {
    const v = s.views.get(id)!
    if (v.parents.length > maxParents) {
      out.push({ invariant: 'bounded', node: id, detail: `${v.parents.length} parents > ${maxParents}` })
    }
    if (v.children.length > maxChildrenBound) {
      out.push({
        invariant: 'bounded',
        node: id,
        detail: `${v.children.length} children > ${maxChildrenBound}`,
      })
    }
    if (new Set(v.children).size !== v.children.length) {
      out.push({ invariant: 'bounded', node: id, detail: 'a child is listed twice' })
    }
  }
  return out
}
