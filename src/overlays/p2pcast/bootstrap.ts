import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Forest } from './forest.ts'
import { completeTree } from './transitions.ts'

/**
 * Forests too small for the rules (ours; f > 2 only). With N peers, 2 <= N < f, no legal forest
 * exists (proof in docs/architecture/p2pcast.md: a peer has at most N - 1 peer parents, so it is a
 * root in at least f - N + 1 trees, and f trees have only f roots). The rule we relax is "the
 * special node is a leaf in every tree" (the source feeds one node per tree): the special node (the
 * source) roots the f - N trees no peer can and feeds every peer directly in them; each peer roots
 * one tree with every other peer and the special node as its children, so it uploads N stripes of
 * its f (the source carries the rest). Nobody takes two stripes from one peer, so one crash still
 * costs at most one stripe.
 *
 * The shape is built whole after every join and deletion while the forest is that small. At N = 1
 * it is the paper's own forest (the peer roots every tree above the special node); at N = f it is
 * the only legal forest (each peer roots one tree, all others its children), from which the
 * paper's transitions take over; a deletion back to N < f rebuilds it. With f = 2 the regime is
 * empty and nothing here runs.
 */

/**
 * The most stripes the source feeds at any forest size: f roots, or N(f - N + 1) while 2 <= N < f
 * (the proven minimum for N peers; the bootstrap shape sends exactly that), which peaks near
 * N = (f + 1)/2. What a P2PCast source's upload must cover.
 */
export function peakSourceStripes(f: number): number {
  let stripes = f
  for (let n = 2; n < f; n++) stripes = Math.max(stripes, n * (f - n + 1))
  return stripes
}

/** Whether a forest of `peers` non-special peers is in the bootstrap regime (2 <= N < f). */
export function inBootstrapRegime(f: number, peers: number): boolean {
  return peers >= 2 && peers < f
}

/**
 * Whether an operation that leaves `peersAfter` peers is done by the bootstrap construction rather
 * than by the paper's transitions (f > 2): any result from 1 to f peers is rebuilt whole. (A join
 * into an empty forest stays the paper's special-node case.)
 */
export function rebuiltWhole(f: number, peersAfter: number): boolean {
  return f > 2 && peersAfter >= 1 && peersAfter <= f
}

/** Non-special peers of a whole forest (the source and the special node are not counted). */
export function peerCount(forest: Forest): number {
  if (forest.isPartial) {
    throw new LocalProtocolError(
      'p2pcast: f > 2 needs the whole forest (mode registry): a partial view cannot tell its size',
    )
  }
  return forest.size - 2
}

/**
 * Rebuild a forest of 1..f peers into the bootstrap shape, removing `gone` first if given. Each
 * tree keeps its root when that root is a peer rooting no earlier tree, so a join or deletion moves
 * every other peer in one tree only (the joiner's or the deleted peer's tree): one stripe.
 */
export function rebuildSmallForest(forest: Forest, gone?: NodeId): number {
  const f = forest.f
  const special = forest.special
  const owner: (NodeId | undefined)[] = []
  const owns = new Set<NodeId>()
  for (let t = 0; t < f; t++) {
    const root = forest.rootOf(t)
    if (root !== special && root !== gone && !owns.has(root)) {
      owner.push(root)
      owns.add(root)
    } else owner.push(undefined)
  }
  const everyone = forest.peers()
  unlinkAll(forest, everyone, gone)
  const peers = everyone.filter((id) => id !== special && id !== gone)
  if (peers.length === 1) {
    // The paper's forest for one peer: it roots every tree, the special node below it in each.
    owner.fill(peers[0])
  } else {
    let t = 0
    for (const id of peers) {
      if (owns.has(id)) continue
      while (owner[t] !== undefined) t++
      owner[t] = id
    }
  }
  for (let t = 0; t < f; t++) {
    const root = owner[t] ?? special
    forest.attach(forest.source, root, t)
    for (const id of peers) if (id !== root) forest.attach(root, id, t)
    if (root !== special) forest.attach(root, special, t)
  }
  return peers.length
}

/**
 * A legal forest for any N >= f, built whole (ours): the last resort when the paper's local
 * transitions dead-end on a forest with f > 2 (every random try failed), and the proof that a legal
 * forest exists for every N >= f. With c = floor(N/f), r = N mod f: each tree t has c complete
 * nodes C_t (disjoint across trees) laid out as an f-ary heap, r incomplete nodes J that sit
 * below complete nodes in every tree with exactly one leaf child each, and everyone else as leaves.
 * Incomplete node j adopts, in tree t, the first complete node of tree (t + j + 1) mod f: a
 * different peer in each tree, so nobody takes two stripes from j. Current roles are kept where
 * they fit, so a node complete in tree u stays complete there.
 */
export function rebuildLargeForest(forest: Forest, gone?: NodeId): void {
  const f = forest.f
  const special = forest.special
  const everyone = forest.peers()
  const peers = everyone.filter((id) => id !== special && id !== gone)
  const n = peers.length
  if (n < f)
    throw new LocalProtocolError(`p2pcast: rebuildLargeForest needs at least f = ${f} peers, got ${n}`)
  const c = Math.floor(n / f)
  const r = n % f
  const complete: NodeId[][] = Array.from({ length: f }, () => [])
  const incomplete: NodeId[] = []
  const placed = new Set<NodeId>()
  const depthIn = new Map<NodeId, number>()
  // Keep current roles: complete nodes by depth in their tree (the root stays the root).
  for (const id of peers) {
    const u = completeTree(forest, id)
    if (u >= 0) depthIn.set(id, forest.depth(id, u))
  }
  const byDepth = peers.filter((id) => depthIn.has(id)).sort((a, b) => depthIn.get(a)! - depthIn.get(b)!)
  for (const id of byDepth) {
    const u = completeTree(forest, id)
    if (complete[u]!.length < c) {
      complete[u]!.push(id)
      placed.add(id)
    }
  }
  for (const id of peers) {
    if (placed.has(id) || depthIn.has(id) || incomplete.length >= r) continue
    incomplete.push(id)
    placed.add(id)
  }
  let u = 0
  for (const id of peers) {
    if (placed.has(id)) continue
    while (u < f && complete[u]!.length >= c) u++
    if (u < f) complete[u]!.push(id)
    else incomplete.push(id)
  }
  unlinkAll(forest, everyone, gone)
  const internal = new Set(incomplete)
  for (let t = 0; t < f; t++) {
    const designated = incomplete.map((_, j) => complete[(t + j + 1) % f]![0]!)
    const skip = new Set([...complete[t]!, ...internal, ...designated])
    const leaves = peers.filter((id) => !skip.has(id))
    leaves.push(special)
    const order = [...complete[t]!.slice(1), ...incomplete, ...leaves]
    const root = complete[t]![0]!
    forest.attach(forest.source, root, t)
    const heads: NodeId[] = [root]
    let head = 0
    const own = new Set(complete[t])
    for (const id of order) {
      const parent = heads[head]!
      forest.attach(parent, id, t)
      if (own.has(id)) heads.push(id)
      if (forest.childrenOf(parent, t).length === f) head++
    }
    for (const [i, j] of incomplete.entries()) forest.attach(j, designated[i]!, t)
  }
}

/** Detach every edge of `everyone` (the whole forest below the source) and drop `gone`. */
function unlinkAll(forest: Forest, everyone: readonly NodeId[], gone: NodeId | undefined): void {
  for (const id of everyone) {
    for (let t = 0; t < forest.f; t++) if (forest.parentOf(id, t) !== undefined) forest.detach(id, t)
  }
  if (gone !== undefined) forest.removeNode(gone)
}
