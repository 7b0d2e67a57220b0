import type { NodeId } from '../core/ids.ts'
import type { TopologyView } from '../core/protocol.ts'

export interface StripeDepth {
  /** Live viewers whose chain of parents in this stripe reaches the source. */
  inTree: number
  maxDepth: number
  meanDepth: number
}

export interface DepthStats extends StripeDepth {
  /** The same per stripe (TopologyView.parents[s]); one entry for single-tree overlays. */
  perStripe: StripeDepth[]
}

const NOT_IN_TREE = -1

/**
 * Overlay depth of every live viewer, from the parent pointers the protocols report (the source
 * is depth 0). `parents[s]` is the parent in stripe s (one per stripe in P2PCast, a single entry
 * in one-tree overlays), so stripe s is followed through every ancestor's own `parents[s]`:
 * P2PCast's trees feed each other (A feeds B in one tree, B feeds A in the other) without that
 * being a loop. A node's depth is its deepest stripe, because the worst stripe sets when a chunk
 * group can be rebuilt; it is in the tree when each of its stripes reaches the source. Chains that
 * dead-end (a parent that has gone, a node still joining) or loop within a stripe do not.
 */
export function treeDepths(
  source: NodeId,
  viewers: readonly NodeId[],
  isAlive: (id: NodeId) => boolean,
  topology: (id: NodeId) => TopologyView,
): DepthStats {
  const parentsCache = new Map<NodeId, readonly NodeId[]>()
  const parentsOf = (id: NodeId): readonly NodeId[] => {
    let p = parentsCache.get(id)
    if (p === undefined) {
      p = isAlive(id) ? topology(id).parents : []
      parentsCache.set(id, p)
    }
    return p
  }
  let stripes = 0
  for (const v of viewers) stripes = Math.max(stripes, parentsOf(v).length)
  const depthIn = Array.from({ length: stripes }, (_, s) => stripeDepths(source, s, parentsOf))

  const overall = new Tally()
  const perStripe = Array.from({ length: stripes }, () => new Tally())
  for (const v of viewers) {
    const n = parentsOf(v).length
    let deepest = n === 0 ? NOT_IN_TREE : 0
    for (let s = 0; s < n; s++) {
      const d = depthIn[s]!(v)
      perStripe[s]!.add(d)
      if (d === NOT_IN_TREE) deepest = NOT_IN_TREE
      else if (deepest !== NOT_IN_TREE) deepest = Math.max(deepest, d)
    }
    overall.add(deepest)
  }
  return { ...overall.stats(), perStripe: perStripe.map((t) => t.stats()) }
}

/** Depth of a node in stripe s, memoized; an iterative walk (a 10^4-deep chain would overflow the stack). */
function stripeDepths(
  source: NodeId,
  s: number,
  parentsOf: (id: NodeId) => readonly NodeId[],
): (id: NodeId) => number {
  const depth = new Map<NodeId, number>([[source, 0]])
  return (start) => {
    const path: NodeId[] = []
    const onPath = new Set<NodeId>()
    let at: NodeId | undefined = start
    let base = NOT_IN_TREE
    while (at !== undefined) {
      const known = depth.get(at)
      if (known !== undefined) {
        base = known
        break
      }
      // Back on the current path: a loop, so nobody on this path reaches the source.
      if (onPath.has(at)) break
      onPath.add(at)
      path.push(at)
      at = parentsOf(at)[s]
    }
    for (let i = path.length - 1; i >= 0; i--)
      depth.set(path[i]!, base === NOT_IN_TREE ? NOT_IN_TREE : base + (path.length - i))
    return depth.get(start)!
  }
}

class Tally {
  private inTree = 0
  private max = 0
  private sum = 0

  add(d: number): void {
    if (d === NOT_IN_TREE) return
    this.inTree++
    this.sum += d
    if (d > this.max) this.max = d
  }

  stats(): StripeDepth {
    return {
      inTree: this.inTree,
      maxDepth: this.max,
      meanDepth: this.inTree === 0 ? 0 : this.sum / this.inTree,
    }
  }
}
