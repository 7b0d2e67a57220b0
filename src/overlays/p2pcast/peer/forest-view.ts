import type { NodeId } from '../../../core/ids.ts'
import type { ForestView } from '../invariants.ts'
import type { P2PCastPeerNode } from '../peer-node.ts'
import { SPECIAL } from '../registry.ts'

/**
 * The forest as the peers themselves hold it in peer mode (each member's own place; the special
 * node's at the source), for `checkForest` and `treeHeights` in tests and benches.
 */
export function peerForestView(
  f: number,
  source: NodeId,
  live: readonly NodeId[],
  nodeOf: (id: NodeId) => P2PCastPeerNode,
): ForestView {
  const alive = new Set(live)
  const place = (id: NodeId) => {
    if (id === SPECIAL || id === source) return nodeOf(source).placeOf(id)
    return alive.has(id) ? nodeOf(id).placeOf(id) : undefined
  }
  return {
    f,
    source,
    special: SPECIAL,
    peers: () => [SPECIAL, ...live.filter((id) => nodeOf(id).isMember)],
    parentOf: (id, t) => place(id)?.parent[t],
    childrenOf: (id, t) => place(id)?.children[t] ?? [],
  }
}
