import type { NodeId } from '../core/ids.ts'
import type { TopologyView } from '../core/protocol.ts'

export interface DepthStats {
  /** Live viewers with a parent chain that reaches the source. */
  inTree: number
  maxDepth: number
  meanDepth: number
}

/**
 * Overlay depth of every live viewer, from the parent pointers the protocols report (the source
 * is depth 0). With several parents (stripes) a node's depth is its deepest feed, because the
 * worst stripe sets when a chunk group can be rebuilt. Chains that dead-end (a parent that has
 * gone, a node still joining) or loop are not counted as in the tree.
 */
export function treeDepths(
  source: NodeId,
  viewers: readonly NodeId[],
  isAlive: (id: NodeId) => boolean,
  topology: (id: NodeId) => TopologyView,
): DepthStats {
  const depth = new Map<NodeId, number>([[source, 0]])
  const onPath = new Set<NodeId>()
  const NOT_IN_TREE = -1

  // Iterative walk (a 10^4-deep chain would overflow the stack if done recursively).
  const resolve = (start: NodeId): number => {
    const stack: NodeId[] = [start]
    while (stack.length > 0) {
      const id = stack[stack.length - 1]!
      if (depth.has(id)) {
        stack.pop()
        continue
      }
      const parents = isAlive(id) ? topology(id).parents : []
      if (parents.length === 0) {
        depth.set(id, NOT_IN_TREE)
        onPath.delete(id)
        stack.pop()
        continue
      }
      const pending = parents.filter((p) => !depth.has(p))
      if (pending.length === 0 || onPath.has(id)) {
        let deepest = 0
        for (const p of parents) {
          const d = depth.get(p) ?? NOT_IN_TREE
          if (d === NOT_IN_TREE) {
            deepest = NOT_IN_TREE
            break
          }
          deepest = Math.max(deepest, d + 1)
        }
        depth.set(id, deepest)
        onPath.delete(id)
        stack.pop()
        continue
      }
      onPath.add(id)
      for (const p of pending) {
        // A parent already on the current path closes a loop: nobody on it reaches the source.
        if (onPath.has(p)) depth.set(p, NOT_IN_TREE)
        else stack.push(p)
      }
    }
    return depth.get(start)!
  }

  let inTree = 0
  let maxDepth = 0
  let sum = 0
  for (const v of viewers) {
    const d = resolve(v)
    if (d === NOT_IN_TREE) continue
    inTree++
    sum += d
    if (d > maxDepth) maxDepth = d
  }
  return { inTree, maxDepth, meanDepth: inTree === 0 ? 0 : sum / inTree }
}
