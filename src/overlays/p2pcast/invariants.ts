import type { NodeId } from '../../core/ids.ts'
import { inBootstrapRegime } from './bootstrap.ts'

/** What the checker reads: the whole forest (the model, or a snapshot assembled from live nodes). */
export interface ForestView {
  readonly f: number
  readonly source: NodeId
  readonly special: NodeId
  /** Every peer, the special node included, the source excluded. */
  peers(): readonly NodeId[]
  parentOf(id: NodeId, t: number): NodeId | undefined
  childrenOf(id: NodeId, t: number): readonly NodeId[]
}

/**
 * Every structural rule of P2PCast (§3), as messages naming the node and the rule; [] when all
 * hold. O(n * f).
 *  - each tree is a tree: one parent per node, parent and child agree, the source on top of one root
 *  - every non-special peer has exactly f children (it uploads f stripes, as many as it receives)
 *  - the special node has no children
 *  - a complete node's f children are all in one tree (internal in exactly one tree)
 *  - an incomplete node's children are all leaves ("incomplete nodes only at the next-to-last level")
 *  - no peer receives two stripes from the same parent (the special node and the source excepted)
 * With f > 2 and 2 <= N < f peers no forest satisfies them all; there (the bootstrap regime,
 * bootstrap.ts) the child counts and the incomplete-node rule give way to the exact bootstrap shape,
 * checked by `checkBootstrapShape`; every other rule still holds.
 */
export function checkForest(v: ForestView): string[] {
  const out: string[] = []
  const f = v.f
  const peers = v.peers()
  const live = new Set(peers)
  const bootstrap = inBootstrapRegime(f, live.has(v.special) ? peers.length - 1 : peers.length)
  if (bootstrap) out.push(...checkBootstrapShape(v))
  for (let t = 0; t < f; t++) {
    const roots = v.childrenOf(v.source, t)
    if (roots.length !== 1) out.push(`tree ${t}: the source has ${roots.length} roots`)
  }
  const isLeaf = (id: NodeId, t: number) => v.childrenOf(id, t).length === 0
  for (const x of peers) {
    let count = 0
    const parents = new Set<NodeId>()
    for (let t = 0; t < f; t++) {
      const p = v.parentOf(x, t)
      if (p === undefined) out.push(`${x}: no parent in tree ${t}`)
      else if (p !== v.source && !live.has(p)) out.push(`${x}: parent ${p} in tree ${t} is not in the forest`)
      else if (!v.childrenOf(p, t).includes(x)) out.push(`${x}: parent ${p} in tree ${t} does not list it`)
      else if (p !== v.source && p !== v.special && x !== v.special) {
        if (parents.has(p)) out.push(`${x}: receives two stripes from ${p}`)
        parents.add(p)
      }
      const kids = v.childrenOf(x, t)
      count += kids.length
      if (new Set(kids).size !== kids.length) out.push(`${x}: a child listed twice in tree ${t}`)
      for (const c of kids) {
        if (!live.has(c)) out.push(`${x}: child ${c} in tree ${t} is not in the forest`)
        else if (v.parentOf(c, t) !== x) out.push(`${x}: child ${c} in tree ${t} names another parent`)
      }
    }
    if (bootstrap) continue
    if (x === v.special) {
      if (count !== 0) out.push(`special node ${x} has ${count} children`)
      continue
    }
    if (count !== f) out.push(`${x}: ${count} children, expected f = ${f}`)
    let full = -1
    for (let t = 0; t < f; t++) if (v.childrenOf(x, t).length === f) full = t
    if (full < 0) {
      for (let t = 0; t < f; t++) {
        for (const c of v.childrenOf(x, t)) {
          if (!isLeaf(c, t)) out.push(`incomplete ${x}: child ${c} is internal in tree ${t}`)
        }
      }
    }
  }
  out.push(...checkTreesAcyclic(v))
  return out
}

/**
 * The bootstrap shape (2 <= N < f, bootstrap.ts): each peer roots exactly one tree, with every
 * other peer and the special node as its children; the special node roots the other f - N trees,
 * every peer its child there; everyone below a root is a leaf.
 */
function checkBootstrapShape(v: ForestView): string[] {
  const out: string[] = []
  const peers = v.peers().filter((id) => id !== v.special)
  const rooted = new Set<NodeId>()
  for (let t = 0; t < v.f; t++) {
    const root = v.childrenOf(v.source, t)[0]
    if (root === undefined) continue
    if (root !== v.special) {
      if (rooted.has(root)) out.push(`bootstrap: ${root} roots two trees (${t})`)
      rooted.add(root)
    }
    const expected = new Set(root === v.special ? peers : [...peers.filter((id) => id !== root), v.special])
    const kids = v.childrenOf(root, t)
    if (kids.length !== expected.size || kids.some((c) => !expected.has(c)))
      out.push(
        `bootstrap: root ${root} of tree ${t} has children [${kids.join(',')}], expected every other node`,
      )
    for (const c of kids)
      if (v.childrenOf(c, t).length > 0) out.push(`bootstrap: ${c} is internal in tree ${t}`)
  }
  for (const id of peers) if (!rooted.has(id)) out.push(`bootstrap: ${id} roots no tree`)
  return out
}

/** Every node reaches the source in every tree (no cycles, no detached pieces). */
function checkTreesAcyclic(v: ForestView): string[] {
  const out: string[] = []
  const peers = v.peers()
  for (let t = 0; t < v.f; t++) {
    const reaches = new Map<NodeId, boolean>()
    for (const start of peers) {
      const walk: NodeId[] = []
      let at: NodeId | undefined = start
      let ok = false
      for (let steps = 0; steps <= peers.length + 1; steps++) {
        if (at === undefined) break
        if (at === v.source) {
          ok = true
          break
        }
        const known = reaches.get(at)
        if (known !== undefined) {
          ok = known
          break
        }
        walk.push(at)
        at = v.parentOf(at, t)
      }
      for (const w of walk) reaches.set(w, ok)
      if (!ok) out.push(`${start}: does not reach the source in tree ${t}`)
    }
  }
  return out
}

/** Height of each tree (root = 1), for the scale figures. */
export function treeHeights(v: ForestView): number[] {
  const heights: number[] = []
  for (let t = 0; t < v.f; t++) {
    let best = 0
    const depth = new Map<NodeId, number>()
    const depthOf = (id: NodeId): number => {
      const path: NodeId[] = []
      let at: NodeId | undefined = id
      let d = 0
      while (at !== undefined && at !== v.source) {
        const known = depth.get(at)
        if (known !== undefined) {
          d = known
          break
        }
        path.push(at)
        at = v.parentOf(at, t)
      }
      for (let i = path.length - 1; i >= 0; i--) depth.set(path[i]!, ++d)
      return depth.get(id)!
    }
    for (const x of v.peers()) best = Math.max(best, depthOf(x))
    heights.push(best)
  }
  return heights
}
