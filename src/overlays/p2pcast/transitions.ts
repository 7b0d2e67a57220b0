import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Rng } from '../../core/rng.ts'
import { peerCount, rebuildLargeForest, rebuildSmallForest, rebuiltWhole } from './bootstrap.ts'
import type { Forest } from './forest.ts'

/**
 * Node roles and every legal forest transition of P2PCast, in one place (h11 style), to be read
 * next to the paper's case lists (§3 roles, §4.2 insertion, §5 deletion). Each function below
 * names the paper case it implements; "ours" marks what the paper leaves open (see
 * docs/architecture/p2pcast.md for the generalization to f > 2 and the repair fallbacks).
 *
 * Roles (§3), derived from the forest, never stored:
 *   special     the one node that is a leaf in every tree (kept by the source)
 *   complete    exactly f children, all in one tree (its proper tree); a leaf everywhere else
 *   incomplete  f children spread over several trees, all of them leaves ("next-to-last level")
 *   only-child  a node one of whose parents is incomplete (orthogonal to the above)
 *
 * Insertion (§4.2), contact A chosen at random by the registry:
 *   A only-child           -> redirect to A's incomplete parent, which handles the join
 *   A incomplete           -> incompleteJoin   (Fig. 2a)
 *   A special              -> specialJoin      (adopt the special node in every tree)
 *   A complete in tree p   -> completeJoin     (Fig. 3, 4a, 4b; root case: footnote 3)
 * Deletion (§5): incomplete node -> each child takes its place; complete node -> bubble filled by a
 * random child, shed-child ripple, final adoption by the parent in the other stripe.
 */

export type Role = 'source' | 'special' | 'complete' | 'incomplete'

/** Tree in which the node has all f children, or -1. */
export function completeTree(forest: Forest, id: NodeId): number {
  for (let t = 0; t < forest.f; t++) if (forest.childrenOf(id, t).length === forest.f) return t
  return -1
}

export function roleOf(forest: Forest, id: NodeId): Role {
  if (id === forest.source) return 'source'
  if (id === forest.special) return 'special'
  return completeTree(forest, id) >= 0 ? 'complete' : 'incomplete'
}

/** The incomplete parent that makes `id` an only-child, if any (§3 "Only-Child nodes"). */
export function incompleteParent(forest: Forest, id: NodeId): NodeId | undefined {
  for (let t = 0; t < forest.f; t++) {
    const p = forest.parentOf(id, t)
    if (p !== undefined && p !== forest.source && roleOf(forest, p) === 'incomplete') return p
  }
  return undefined
}

/** The tree a node serves as an internal node in: its complete tree, else where it has most children. */
export function properTree(forest: Forest, id: NodeId): number {
  let best = 0
  for (let t = 1; t < forest.f; t++) {
    if (forest.childrenOf(id, t).length > forest.childrenOf(id, best).length) best = t
  }
  return best
}

/** Control work of one operation: walk hops and RPCs, for the messages-per-join/leave figures. */
export interface OpCost {
  walkHops: number
  rpcs: number
  /** Repairs the paper does not describe that we had to use (see docs: repair fallbacks). */
  fallbacks: number
  /** f > 2: operations done by rebuilding the whole forest after every local try dead-ended. */
  rebuilds: number
}

const MAX_ATTEMPTS = 16

function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new LocalProtocolError('p2pcast: pick from an empty list')
  return items[rng.int(items.length)]!
}

// ---- insertion (§4.2) ---------------------------------------------------------------------------

/** Insert `n` into the forest, starting from the random contact the registry returned. */
export function join(forest: Forest, n: NodeId, contact: NodeId, rng: Rng): OpCost {
  if (forest.f > 2 && peerCount(forest) >= 1 && rebuiltWhole(forest.f, peerCount(forest) + 1)) {
    // Forests of 2..f peers (f > 2) are built whole (bootstrap.ts): the contact is not needed.
    return withRetries(forest, `join of ${n}`, (cost) => {
      forest.addNode(n)
      cost.rpcs += rebuildSmallForest(forest)
    })
  }
  let tries = 0
  return withRetries(
    forest,
    `join of ${n}`,
    (cost) => {
      // f > 2 (ours): a contact whose trees are saturated around it (every slot under a complete
      // node taken by an incomplete one) dead-ends whatever the draws; after a few tries the
      // joiner asks a node a short random walk away, as it would ask the registry again.
      const from =
        forest.f > 2 && tries >= CONTACT_TRIES ? wander(forest, contact, tries, rng, cost) : contact
      tries++
      joinOnce(forest, n, from, rng, cost)
    },
    () => {
      forest.addNode(n)
      rebuildLargeForest(forest)
    },
    // f > 2: a try from a walked-to contact is a short walk; a rebuild moves the whole forest.
    forest.f > 2 ? JOIN_TRIES_WIDE : MAX_OPERATION_TRIES,
  )
}

/** f > 2: joins tried from the registry's contact before trying one a random walk away. */
const CONTACT_TRIES = 4
/** f > 2: join tries (most from walked-to contacts) before the join rebuilds the forest. */
const JOIN_TRIES_WIDE = 64

/** A random walk of `steps` hops over parent and child links (the source excluded). */
function wander(forest: Forest, from: NodeId, steps: number, rng: Rng, cost: OpCost): NodeId {
  let at = from === forest.source ? forest.special : from
  for (let i = 0; i < steps; i++) {
    const next: NodeId[] = []
    for (let t = 0; t < forest.f; t++) {
      const p = forest.parentOf(at, t)
      if (p !== undefined && p !== forest.source) next.push(p)
      next.push(...forest.childrenOf(at, t))
    }
    if (next.length === 0) break
    at = pick(rng, next)
    cost.walkHops++
  }
  return at
}

/** Operations retried with fresh random draws before giving up (ours; see docs). */
const MAX_OPERATION_TRIES = 16

/**
 * Run one operation atomically: a random choice that dead-ends (no legal adopter, no legal spot)
 * is undone and the operation is tried again with new draws; the tries count as fallbacks. With
 * f > 2, when every try dead-ends, `rebuild` does the operation by building the whole forest anew
 * (bootstrap.ts, ours); counted in `rebuilds`. With f = 2 the tries have never all failed.
 */
function withRetries(
  forest: Forest,
  what: string,
  op: (cost: OpCost) => void,
  rebuild?: () => void,
  tries = MAX_OPERATION_TRIES,
): OpCost {
  let last: unknown
  const cost: OpCost = { walkHops: 0, rpcs: 0, fallbacks: 0, rebuilds: 0 }
  for (let i = 0; i < tries; i++) {
    forest.begin()
    try {
      op(cost)
      forest.commit()
      return cost
    } catch (err) {
      if (!(err instanceof DeadEnd)) {
        // Not a dead end (e.g. a peer's placement must be fetched first): undo and let it through.
        forest.rollback()
        throw err
      }
      forest.rollback()
      cost.fallbacks++
      last = err
    }
  }
  if (rebuild && forest.f > 2 && !forest.isPartial) {
    forest.begin()
    try {
      rebuild()
    } catch (err) {
      forest.rollback()
      throw err
    }
    forest.commit()
    cost.rebuilds++
    cost.rpcs += forest.size
    return cost
  }
  throw new LocalProtocolError(`p2pcast: ${what} failed ${tries} times: ${(last as Error).message}`)
}

/** A random choice led nowhere: the operation is rolled back and retried. */
class DeadEnd extends Error {
  override readonly name = 'DeadEnd'
}

function joinOnce(forest: Forest, n: NodeId, contact: NodeId, rng: Rng, cost: OpCost): void {
  cost.rpcs++
  forest.addNode(n)
  let a = contact === forest.source ? forest.special : contact
  const parent = incompleteParent(forest, a)
  if (parent !== undefined) {
    // Only-child: "the incoming user can simply be redirected to the parent".
    a = parent
    cost.rpcs++
  }
  const role = roleOf(forest, a)
  if (role === 'incomplete') incompleteJoin(forest, n, a, rng, cost)
  else if (role === 'special') specialJoin(forest, n)
  else completeJoin(forest, n, a, rng, cost)
}

/** "N takes the place of L, adopting it at the same time" (SUBSTITUTE). */
function takeLeafPlace(forest: Forest, n: NodeId, leaf: NodeId, t: number): void {
  forest.takePlace(leaf, n, t)
  forest.attach(n, leaf, t)
}

/** Special node: "the new peer can then simply join by adopting the special node in both trees". */
function specialJoin(forest: Forest, n: NodeId): void {
  for (let t = 0; t < forest.f; t++) takeLeafPlace(forest, n, forest.special, t)
}

/**
 * Incomplete contact A (Fig. 2a): A picks the tree it serves in (p: where it has most children;
 * for f = 2 arbitrary) and adopts N there; it drops a child C in another tree q; N takes A's place
 * in q (A is now a leaf there) adopting A, and takes C on. With f > 2, A may still have children
 * in q: then N takes a leaf's place in q instead (ours), and N finds a place in the remaining
 * trees like any joiner (placeInOtherTree).
 */
function incompleteJoin(forest: Forest, n: NodeId, a: NodeId, rng: Rng, cost: OpCost): void {
  const f = forest.f
  const counts = Array.from({ length: f }, (_, t) => forest.childrenOf(a, t).length)
  const most = Math.max(...counts)
  const p = pick(
    rng,
    counts.flatMap((c, t) => (c === most ? [t] : [])),
  )
  const others = counts.flatMap((c, t) => (t !== p && c > 0 ? [t] : []))
  const fewest = Math.min(...others.map((t) => counts[t]!))
  const q = pick(
    rng,
    others.filter((t) => counts[t] === fewest),
  )
  forest.attach(a, n, p)
  const c = pick(rng, forest.childrenOf(a, q))
  forest.detach(c, q)
  cost.rpcs += 2 // TAKEON to A, SUBSTITUTE from C
  if (forest.isLeaf(a, q)) takeLeafPlace(forest, n, a, q)
  else placeByLeaf(forest, n, q, forest.rootOf(q), rng, cost)
  forest.attach(n, c, q)
  for (let t = 0; t < f; t++) if (t !== p && t !== q) placeInOtherTree(forest, n, t, rng, cost)
}

/**
 * Complete contact A, internal in tree p (Fig. 3, 4): N takes A's place in another tree q,
 * adopting it (TAKEON); then N walks down the subtree of A's sibling in p (SEARCH) until an
 * incomplete node Z (Fig. 4a: Z adopts N, drops its child C in q, N takes C on) or a leaf B
 * (Fig. 4b: N takes B's place, adopting it; N ends up incomplete). Footnote 3: when A is the
 * root of p the walk starts at A itself.
 */
function completeJoin(forest: Forest, n: NodeId, a: NodeId, rng: Rng, cost: OpCost): void {
  const f = forest.f
  const p = completeTree(forest, a)
  const q = pick(
    rng,
    Array.from({ length: f }, (_, t) => t).filter((t) => t !== p),
  )
  takeLeafPlace(forest, n, a, q)
  cost.rpcs++
  for (let t = 0; t < f; t++) if (t !== p && t !== q) placeInOtherTree(forest, n, t, rng, cost)
  const parentOfA = forest.parentOf(a, p)!
  const start =
    parentOfA === forest.source
      ? a
      : pick(
          rng,
          forest.childrenOf(parentOfA, p).filter((s) => s !== a),
        )
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const from = attempt === 0 ? start : forest.rootOf(p)
    if (attempt > 0) cost.fallbacks++
    const end = walkDown(forest, from, p, rng, cost)
    if (placeAtWalkEnd(forest, n, end, p, cost)) return
  }
  throw new DeadEnd(`p2pcast: no place for ${n} in tree ${p}`)
}

/** f > 2 only (ours): N needs a place in each tree beyond the paper's two; same walk, from the root. */
function placeInOtherTree(forest: Forest, n: NodeId, t: number, rng: Rng, cost: OpCost): void {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const end = walkDown(forest, forest.rootOf(t), t, rng, cost)
    if (placeAtWalkEnd(forest, n, end, t, cost)) return
    const sibling = leafSibling(forest, n, end, t, rng)
    if (sibling !== undefined) {
      takeLeafPlace(forest, n, sibling, t)
      cost.rpcs++
      return
    }
  }
  throw new DeadEnd(`p2pcast: no place for ${n} in tree ${t}`)
}

/** N takes a leaf's place in tree t (walking from `from`), for when A keeps children in q. */
function placeByLeaf(forest: Forest, n: NodeId, t: number, from: NodeId, rng: Rng, cost: OpCost): void {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const end = walkDown(forest, attempt === 0 ? from : forest.rootOf(t), t, rng, cost)
    if (forest.isLeaf(end, t) && leafPlaceAllowed(forest, n, end, t)) {
      takeLeafPlace(forest, n, end, t)
      return
    }
    const sibling = forest.f > 2 ? leafSibling(forest, n, end, t, rng) : undefined
    if (sibling !== undefined) {
      takeLeafPlace(forest, n, sibling, t)
      return
    }
  }
  throw new DeadEnd(`p2pcast: no leaf place for ${n} in tree ${t}`)
}

/**
 * SEARCH: walk down tree t through complete nodes (random child each step) until an incomplete
 * node or a leaf. Every node the walk passes has f children in t, so the end's parent is complete.
 */
export function walkDown(forest: Forest, from: NodeId, t: number, rng: Rng, cost: OpCost): NodeId {
  let at = from
  while (forest.childrenOf(at, t).length === forest.f) {
    at = pick(rng, forest.childrenOf(at, t))
    cost.walkHops++
  }
  return at
}

/**
 * f > 2 only (ours): the walk ended at a spot N cannot use (an incomplete node with no child in a
 * tree where N has children, or a leaf N may not sit above): a leaf beside it under the same
 * complete parent will do. With many trees most walks end at an incomplete node, and a retry
 * from the root ends at one again; the siblings are what makes joins at f = 8..16 succeed.
 */
function leafSibling(forest: Forest, n: NodeId, end: NodeId, t: number, rng: Rng): NodeId | undefined {
  const parent = forest.parentOf(end, t)
  if (parent === undefined || parent === forest.source) return undefined
  const leaves = forest
    .childrenOf(parent, t)
    .filter((c) => c !== end && c !== n && forest.isLeaf(c, t) && leafPlaceAllowed(forest, n, c, t))
  return leaves.length === 0 ? undefined : pick(rng, leaves)
}

/** Finish a walk: Fig. 4b (leaf) or Fig. 4a (incomplete node). False if the spot breaks a rule. */
function placeAtWalkEnd(forest: Forest, n: NodeId, end: NodeId, t: number, cost: OpCost): boolean {
  if (forest.isLeaf(end, t)) {
    if (!leafPlaceAllowed(forest, n, end, t)) return false
    takeLeafPlace(forest, n, end, t)
    cost.rpcs++
    return true
  }
  // Incomplete Z: it adopts N in t and drops a child C in a tree where N is internal; N takes C on.
  const z = end
  if (sharesParentOrChild(forest, n, z)) return false
  for (let u = 0; u < forest.f; u++) {
    if (u === t || forest.childrenOf(n, u).length === 0) continue
    const candidates = forest.childrenOf(z, u).filter((c) => c !== forest.special && !isChildOf(forest, c, n))
    if (candidates.length === 0) continue
    const c = candidates[0]!
    forest.attach(z, n, t)
    forest.detach(c, u)
    forest.attach(n, c, u)
    cost.rpcs += 2
    return true
  }
  return false
}

/** N may sit above leaf L in tree t: no second stripe from L's parent, no second stripe to L. */
function leafPlaceAllowed(forest: Forest, n: NodeId, leaf: NodeId, t: number): boolean {
  const parent = forest.parentOf(leaf, t)!
  if (parent !== forest.source && isParentOf(forest, parent, n)) return false
  return leaf === forest.special || !isChildOf(forest, leaf, n)
}

function sharesParentOrChild(forest: Forest, n: NodeId, z: NodeId): boolean {
  return isParentOf(forest, z, n) || isChildOf(forest, z, n)
}

/** `p` is a parent of `id` in some tree. */
function isParentOf(forest: Forest, p: NodeId, id: NodeId): boolean {
  for (let t = 0; t < forest.f; t++) if (forest.parentOf(id, t) === p) return true
  return false
}

/** `c` is a child of `p` in some tree. */
function isChildOf(forest: Forest, c: NodeId, p: NodeId): boolean {
  return isParentOf(forest, p, c)
}

// ---- deletion (§5) ------------------------------------------------------------------------------

interface Hole {
  readonly node: NodeId
  readonly tree: number
}

/** Remove `x` (left or crashed) and repair every tree. */
export function remove(forest: Forest, x: NodeId, rng: Rng): OpCost {
  if (x === forest.source || x === forest.special) {
    throw new LocalProtocolError('p2pcast: the source and the special node are never deleted')
  }
  if (forest.f > 2 && rebuiltWhole(forest.f, peerCount(forest) - 1)) {
    // Back to 1..f peers (f > 2): the forest is rebuilt whole (bootstrap.ts).
    return withRetries(forest, `deletion of ${x}`, (cost) => {
      cost.rpcs += rebuildSmallForest(forest, x)
    })
  }
  return withRetries(
    forest,
    `deletion of ${x}`,
    (cost) => removeOnce(forest, x, rng, cost, 0),
    () => rebuildLargeForest(forest, x),
  )
}

/** A node left with fewer than f children by a deletion (see `removeDead`). */
export interface FreeSlot {
  readonly node: NodeId
  readonly tree: number
}

/**
 * Peer mode (ours): remove a dead node whose place, as its live neighbours tell it, has fewer than
 * f children (a repair changed it while it was dead, and the write to a dead node is lost). Its
 * deletion then frees more slots than it orphans; instead of dead-ending on every try ("free slots
 * after a repair", which kept the dead node in the forest for ever), at most f minus its child count
 * slots are left over and returned: their owners upload one stripe less until a later repair.
 * f = 2 only (peer mode); with f children this is `remove` exactly.
 */
export function removeDead(forest: Forest, x: NodeId, rng: Rng): { cost: OpCost; freeSlots: FreeSlot[] } {
  if (x === forest.source || x === forest.special) {
    throw new LocalProtocolError('p2pcast: the source and the special node are never deleted')
  }
  const short = Math.max(0, forest.f - forest.childCount(x))
  let freeSlots: FreeSlot[] = []
  const cost = withRetries(forest, `deletion of ${x}`, (c) => {
    freeSlots = removeOnce(forest, x, rng, c, short)
  })
  return { cost, freeSlots }
}

function removeOnce(forest: Forest, x: NodeId, rng: Rng, cost: OpCost, leftoverAllowed: number): Hole[] {
  const orphans: Hole[] = []
  const slots: Hole[] = []
  const p = completeTree(forest, x)
  // A child that is also one of x's parents would end up both owing a child and needing a parent,
  // which no adoption can fix: such a child is preferred to take x's place.
  const parentsOfX = new Set<NodeId>()
  for (let t = 0; t < forest.f; t++) parentsOfX.add(forest.parentOf(x, t)!)
  const preferParents = (kids: NodeId[]) => {
    const both = kids.filter((k) => parentsOfX.has(k))
    return both.length > 0 ? both : kids
  }
  // First every place where x is a leaf: its parent there is left with a free slot (the child
  // that noticed sends DELETE to the registry; the parent learns it by UPDATE or heartbeat).
  for (let t = 0; t < forest.f; t++) {
    if (forest.isLeaf(x, t)) slots.push({ node: forest.detach(x, t), tree: t })
  }
  for (let t = 0; t < forest.f; t++) {
    const kids = forest.childrenOf(x, t).slice()
    if (kids.length === 0) continue
    for (const k of kids) forest.detach(k, t)
    if (t === p) {
      fillBubble(forest, x, kids, t, rng, orphans, slots, cost, preferParents)
    } else {
      // Incomplete node: "replace the node with the corresponding child in each stripe tree".
      const c = pick(rng, preferParents(kids))
      forest.takePlace(x, c, t)
      cost.rpcs++
      for (const k of kids) if (k !== c) orphans.push({ node: k, tree: t })
    }
  }
  forest.removeNode(x)
  return resolve(forest, orphans, slots, rng, cost, leftoverAllowed)
}

/**
 * Complete node (Fig. 5): the bubble is filled by a random child A (REPLACE to the grandparent);
 * each other child is DIRECTed to A and the shed-child ripple runs down to the next-to-last level.
 * We pick A among the children that are internal in t, so it can take children; when all are
 * leaves, A simply takes the place and the others need new parents.
 */
function fillBubble(
  forest: Forest,
  x: NodeId,
  kids: NodeId[],
  t: number,
  rng: Rng,
  orphans: Hole[],
  slots: Hole[],
  cost: OpCost,
  prefer: (kids: NodeId[]) => NodeId[],
): void {
  const internal = kids.filter((k) => !forest.isLeaf(k, t))
  const a = pick(rng, prefer(internal.length > 0 ? internal : kids))
  forest.takePlace(x, a, t)
  cost.rpcs++
  for (const d of kids) {
    if (d === a) continue
    if (forest.isLeaf(a, t)) orphans.push({ node: d, tree: t })
    else ripple(forest, a, d, t, rng, orphans, slots, cost)
  }
}

/**
 * Y takes the DIRECTed node D in tree t (REPLACE to Y). A Y that had a free slot (x was its child
 * elsewhere) is done. Otherwise Y sheds a random child: a leaf becomes an orphan for the final
 * adoption, an internal child is DIRECTed to one of Y's other internal children, so the ripple goes
 * one level down per step. An incomplete Y instead sheds its child in another tree ("C sheds off
 * its child in the other stripe").
 */
function ripple(
  forest: Forest,
  y: NodeId,
  d: NodeId,
  t: number,
  rng: Rng,
  orphans: Hole[],
  slots: Hole[],
  cost: OpCost,
): void {
  const wasComplete = forest.childrenOf(y, t).length === forest.f
  const own = forest.childrenOf(y, t).slice()
  forest.attach(y, d, t)
  cost.rpcs++
  if (forest.childCount(y) <= forest.f) {
    const i = slots.findIndex((s) => s.node === y)
    if (i < 0) throw new LocalProtocolError(`p2pcast: ${y} had fewer than f children and no free slot`)
    slots.splice(i, 1)
    settleInTree(forest, y, t, orphans, slots)
    return
  }
  if (wasComplete) {
    let e = forest.f > 2 ? shallowestShed(forest, own, t, rng) : pick(rng, own)
    let targets = forest.childrenOf(y, t).filter((c) => c !== e && !forest.isLeaf(c, t))
    if (!forest.isLeaf(e, t) && targets.length === 0) {
      e = pick(
        rng,
        own.filter((c) => forest.isLeaf(c, t)),
      )
      targets = []
    }
    forest.detach(e, t)
    if (forest.isLeaf(e, t)) orphans.push({ node: e, tree: t })
    else ripple(forest, pick(rng, targets), e, t, rng, orphans, slots, cost)
    return
  }
  if (forest.isLeaf(d, t)) {
    const otherTrees = treesWithChildren(forest, y).filter((u) => u !== t)
    const u = otherTrees.length > 0 ? pick(rng, otherTrees) : t
    const e = pick(
      rng,
      forest.childrenOf(y, u).filter((c) => u !== t || c !== d),
    )
    forest.detach(e, u)
    orphans.push({ node: e, tree: u })
    return
  }
  settleInTree(forest, y, t, orphans, slots)
}

/**
 * f > 2 only (ours): the paper sheds a random child and DIRECTs it to a random sibling; each
 * internal child shed pushes its whole subtree one level down, and with f = 16 those pushes were
 * what deepened the trees under churn. Among the legal choices we shed a leaf when Y has one (the
 * ripple ends there, nothing moves down), else a child whose subtree is shallowest.
 */
function shallowestShed(forest: Forest, own: NodeId[], t: number, rng: Rng): NodeId {
  // Iterative deepening: each test stops at the first path deeper than h, so it is cheap.
  for (let h = 0; ; h++) {
    const fit = own.filter((id) => heightAtMost(forest, id, t, h))
    if (fit.length > 0) return pick(rng, fit)
  }
}

/** Whether the subtree of `id` in tree t is at most h levels deep; stops at the first deeper path. */
function heightAtMost(forest: Forest, id: NodeId, t: number, h: number): boolean {
  const kids = forest.childrenOf(id, t)
  if (kids.length === 0) return true
  if (h === 0) return false
  for (const c of kids) if (!heightAtMost(forest, c, t, h - 1)) return false
  return true
}

function treesWithChildren(forest: Forest, y: NodeId): number[] {
  return Array.from({ length: forest.f }, (_, u) => u).filter((u) => forest.childrenOf(y, u).length > 0)
}

/**
 * Y holds an internal child in tree t, so it must become complete there (ours; with f = 2 this is
 * at most one child to shed and nothing owed): it sheds its children in other trees as orphans
 * and owes the difference in t, which the final adoption fills from below.
 */
function settleInTree(forest: Forest, y: NodeId, t: number, orphans: Hole[], slots: Hole[]): void {
  let allLeaves = true
  for (let u = 0; u < forest.f; u++) {
    for (const c of forest.childrenOf(y, u)) if (!forest.isLeaf(c, u)) allLeaves = false
  }
  if (allLeaves || forest.childCount(y) === forest.childrenOf(y, t).length) return
  for (let u = 0; u < forest.f; u++) {
    if (u === t) continue
    for (const e of forest.childrenOf(y, u).slice()) {
      forest.detach(e, u)
      orphans.push({ node: e, tree: u })
    }
  }
  for (let i = slots.length - 1; i >= 0; i--) if (slots[i]!.node === y) slots.splice(i, 1)
  for (let i = forest.childrenOf(y, t).length; i < forest.f; i++) slots.push({ node: y, tree: t })
}

/**
 * Final adoption: each orphan (a leaf without a parent in its tree) goes to a node with a free
 * slot — "this node F is then taken as a child by the parent of the deleted node in the other
 * stripe". When that adoption would break a rule (the adopter would become incomplete above an
 * internal child, or feed the orphan twice) the slot is first moved down (ours): a node at the
 * bottom of the slot's tree hands one of its leaves up to the slot's owner and adopts the orphan.
 */
function resolve(
  forest: Forest,
  orphans: Hole[],
  slots: Hole[],
  rng: Rng,
  cost: OpCost,
  leftoverAllowed: number,
): Hole[] {
  while (orphans.length > 0) {
    const o = orphans.pop()!
    const direct = slots.findIndex((s) => canAdopt(forest, s.node, o.node, o.tree))
    if (direct >= 0) {
      forest.attach(slots[direct]!.node, o.node, o.tree)
      slots.splice(direct, 1)
      cost.rpcs++
      continue
    }
    const own = slots.findIndex((s) => s.node === o.node)
    if (own >= 0 && orphanTakesLeafPlace(forest, o, rng, cost)) {
      slots.splice(own, 1)
      continue
    }
    if (!moveSlotDown(forest, o, slots, rng, cost)) {
      throw new DeadEnd(`p2pcast: no adopter for ${o.node} in tree ${o.tree}`)
    }
  }
  // A slot left over would leave a node with fewer than f children: the counts must match, unless
  // the deleted node was short of children itself (removeDead).
  if (slots.length > leftoverAllowed) throw new DeadEnd(`p2pcast: ${slots.length} free slots after a repair`)
  return slots
}

function moveSlotDown(forest: Forest, o: Hole, slots: Hole[], rng: Rng, cost: OpCost): boolean {
  // f > 2 (ours): a bottom node that takes the orphan must not sit below an incomplete node in the
  // orphan's tree, and with many trees most do; f = 2 keeps its 16 walks.
  // Places put together from peers can hold more orphans than free slots: nothing to move down
  // (a dead end to retry, not an index past the list).
  if (slots.length === 0) return false
  const attempts = forest.f === 2 ? MAX_ATTEMPTS : MAX_ATTEMPTS * forest.f
  for (let attempt = 0; attempt < attempts; attempt++) {
    const i = rng.int(slots.length)
    const s = slots[i]!
    const internal = forest.childrenOf(s.node, s.tree).filter((c) => !forest.isLeaf(c, s.tree))
    const from = internal.length > 0 && attempt % 2 === 0 ? pick(rng, internal) : forest.rootOf(s.tree)
    const w = walkToBottom(forest, from, s.tree, rng, cost)
    if (w === undefined || w === s.node) continue
    const leaf = pick(rng, forest.childrenOf(w, s.tree))
    forest.detach(leaf, s.tree)
    if (canAdopt(forest, s.node, leaf, s.tree)) {
      forest.attach(s.node, leaf, s.tree)
      if (w === o.node && orphanTakesLeafPlace(forest, o, rng, cost)) {
        slots.splice(i, 1)
        cost.fallbacks++
        return true
      }
      if (w !== o.node && canAdopt(forest, w, o.node, o.tree)) {
        forest.attach(w, o.node, o.tree)
        slots.splice(i, 1)
        cost.rpcs += 2
        cost.fallbacks++
        return true
      }
      forest.detach(leaf, s.tree)
    }
    forest.attach(w, leaf, s.tree)
  }
  return false
}

/**
 * An orphan that itself has a free slot (ours): like a joiner, it takes the place of a leaf in its
 * tree and adopts it (SUBSTITUTE), which fills its slot and gives it a parent at once.
 */
function orphanTakesLeafPlace(forest: Forest, o: Hole, rng: Rng, cost: OpCost): boolean {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const leaf = walkDown(forest, forest.rootOf(o.tree), o.tree, rng, cost)
    if (!forest.isLeaf(leaf, o.tree) || leaf === o.node || !leafPlaceAllowed(forest, o.node, leaf, o.tree))
      continue
    forest.takePlace(leaf, o.node, o.tree)
    if (canAdopt(forest, o.node, leaf, o.tree)) {
      forest.attach(o.node, leaf, o.tree)
      cost.rpcs += 2
      return true
    }
    forest.takePlace(o.node, leaf, o.tree)
  }
  return false
}

/** Walk down tree t through internal children to a node whose children there are all leaves. */
function walkToBottom(forest: Forest, from: NodeId, t: number, rng: Rng, cost: OpCost): NodeId | undefined {
  let at = from
  for (;;) {
    const kids = forest.childrenOf(at, t)
    if (kids.length === 0) return undefined
    const internal = kids.filter((k) => !forest.isLeaf(k, t))
    if (internal.length === 0) return at
    at = pick(rng, internal)
    cost.walkHops++
  }
}

/**
 * Whether `p` may adopt the orphan leaf `o` in tree u without breaking a rule: all of p's children
 * stay in u (p is complete, or still owed children there), or all of them are leaves (p is
 * incomplete; then p must not become internal below an incomplete node); o gets no second stripe
 * from p.
 */
function canAdopt(forest: Forest, p: NodeId, o: NodeId, u: number): boolean {
  if (p === forest.source || p === forest.special || p === o) return false
  if (forest.childCount(p) >= forest.f) return false
  // f > 2 (ours): an orphan that adopts in the tree it is orphaned in becomes an internal orphan,
  // which only a node complete there could take; it fills its own slot by a leaf's place instead.
  if (forest.f > 2 && forest.parentOf(p, u) === undefined) return false
  if (o !== forest.special && isParentOf(forest, p, o)) return false
  if (forest.childCount(p) === forest.childrenOf(p, u).length && !forest.isLeaf(p, u)) return true
  if (!forest.isLeaf(o, u)) return false
  for (let t = 0; t < forest.f; t++) {
    for (const c of forest.childrenOf(p, t)) if (!forest.isLeaf(c, t)) return false
  }
  if (!forest.isLeaf(p, u)) return true
  const above = forest.parentOf(p, u)
  return above === forest.source || above === undefined || roleOf(forest, above) !== 'incomplete'
}
