import type { NodeId } from '../../core/ids.ts'
import type { Locator } from '../../core/protocol.ts'
import type { Rng } from '../../core/rng.ts'
import type { ChildTable } from './children.ts'
import type { AddPolicy, BaseAddPolicy } from './params.ts'

/** What a node does with a subscribe request (§V.A). */
export type AddDecision =
  | { readonly kind: 'accept' }
  /** `deadEnd`: nothing below us is worth trying, the newcomer is sent back up. */
  | { readonly kind: 'redirect'; readonly target: NodeId; readonly deadEnd: boolean }
  /** Knock-Downs: accept the newcomer and push `victim` (the farthest child) down under it. */
  | { readonly kind: 'knock-down'; readonly victim: NodeId }
  /** Smart-Bandwidth: the stronger newcomer takes this node's place; this node goes under it. */
  | { readonly kind: 'step-aside' }

/** The requesting node, as its subscribe describes it. */
export interface Newcomer {
  readonly id: NodeId
  readonly locator: Locator
  readonly uploadKbps: number
  /** Children the newcomer could feed (child limit derived from uploadKbps). */
  readonly capacity: number
  /** Dead ends this walk already met. */
  readonly avoid: readonly NodeId[]
}

/** The deciding node's local view: itself, its parent, its children (all the paper allows). */
export interface LocalView {
  readonly isSource: boolean
  readonly source: NodeId
  /** null when the node is the source or is transient. */
  readonly parent: NodeId | null
  readonly childLimit: number
  /** The node is so deep that any child would break the depth bound. */
  readonly depthFull: boolean
  readonly locator: Locator
  readonly children: ChildTable
  readonly rng: Rng
  distance(a: Locator, b: Locator): number
}

export function decideAdd(policy: AddPolicy, base: BaseAddPolicy, view: LocalView, x: Newcomer): AddDecision {
  if (view.depthFull) return deadEnd(view)
  // "A node which is unsaturated always accepts a data-transfer session setup request."
  if (view.children.size < view.childLimit) return { kind: 'accept' }
  if (policy === 'smart-bandwidth') {
    // The source is never displaced, and a transient node has no parent to hand the newcomer.
    // Capacities are compared as child limits: a swap only pays when X can feed more children.
    if (!view.isSource && view.parent !== null && x.capacity > view.childLimit) return { kind: 'step-aside' }
    return decideSaturated(base, view, x)
  }
  return decideSaturated(policy, view, x)
}

function decideSaturated(policy: BaseAddPolicy, view: LocalView, x: Newcomer): AddDecision {
  // Children that cannot feed anyone, or already sent this walk back up, are dead ends: a
  // redirect there only bounces back. (Without this a deterministic policy such as
  // Smart-Placement sends a walk into the same full subtree until its redirect budget runs out.)
  const candidates = view.children.ids.filter(
    (id) => id !== x.id && view.children.get(id)!.capacity > 0 && !x.avoid.includes(id),
  )
  switch (policy) {
    case 'random': {
      if (candidates.length === 0) return deadEnd(view)
      return { kind: 'redirect', target: candidates[view.rng.int(candidates.length)]!, deadEnd: false }
    }
    case 'round-robin': {
      // The head of the list is the least recently used child (ChildTable.rotate moves it back).
      const head = candidates[0]
      if (head === undefined) return deadEnd(view)
      view.children.rotate(head)
      return { kind: 'redirect', target: head, deadEnd: false }
    }
    case 'smart-placement':
      return closestTo(view, x, candidates)
    case 'knock-downs': {
      const dx = view.distance(x.locator, view.locator)
      let farthest: NodeId | null = null
      let farthestDistance = -1
      let closestChildDistance = Number.POSITIVE_INFINITY
      for (const [id, child] of view.children.entries()) {
        const d = view.distance(child.locator, view.locator)
        if (d < closestChildDistance) closestChildDistance = d
        if (d > farthestDistance) {
          farthestDistance = d
          farthest = id
        }
      }
      // Knocking a child down under a newcomer that cannot feed it would only bounce it back up.
      if (farthest !== null && dx < closestChildDistance && x.capacity > 0) {
        return { kind: 'knock-down', victim: farthest }
      }
      return closestTo(view, x, candidates)
    }
  }
}

function closestTo(view: LocalView, x: Newcomer, candidates: readonly NodeId[]): AddDecision {
  let best: NodeId | null = null
  let bestDistance = Number.POSITIVE_INFINITY
  for (const id of candidates) {
    const d = view.distance(view.children.get(id)!.locator, x.locator)
    if (d < bestDistance) {
      bestDistance = d
      best = id
    }
  }
  return best === null ? deadEnd(view) : { kind: 'redirect', target: best, deadEnd: false }
}

/**
 * A saturated node with no child worth trying sends the newcomer back up (the paper allows the
 * parent as a target) and marks itself a dead end. The source has nowhere up to go: it names a
 * random child (or itself) and lets the newcomer's redirect budget run out into "resource
 * unavailable"; the retry starts with a clean slate.
 */
function deadEnd(view: LocalView): AddDecision {
  if (view.parent !== null) return { kind: 'redirect', target: view.parent, deadEnd: true }
  if (!view.isSource) return { kind: 'redirect', target: view.source, deadEnd: true }
  const ids = view.children.ids
  return {
    kind: 'redirect',
    target: ids.length > 0 ? ids[view.rng.int(ids.length)]! : view.source,
    deadEnd: false,
  }
}
