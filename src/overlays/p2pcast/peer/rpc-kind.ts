import type { NodeId } from '../../../core/ids.ts'
import type { Placement } from '../forest.ts'
import type { RpcType } from '../messages.ts'

/**
 * Which of the paper's RPCs (§7) a node's change within one operation is. The operation itself runs
 * the §4.2/§5 transitions on a partial forest; this names each resulting change the way the paper's
 * message sequence carries it:
 * - join (§7: "N sends TAKEON to A ... it sends SUBSTITUTE to Z"): a node that gets the joiner as a
 *   child, in place of a child it had (Z, an incomplete contact, the parent of the node N replaces,
 *   the special node's parents), gets SUBSTITUTE; a node the joiner takes on as its child (A in
 *   Fig. 3, C in Fig. 2a/4a, the leaf B in Fig. 4b) gets TAKEON.
 * - deletion (§7: "A sends a REPLACE to the grandparent ... the grandparent sends a DIRECT to B"): a
 *   node whose children change takes a node and sheds one (REPLACE); a node that only changes
 *   parent was directed to its would-be parent (DIRECT).
 */
export function rpcOfChange(
  kind: 'join' | 'delete',
  joiner: NodeId,
  before: Placement,
  after: Placement,
): RpcType {
  const f = after.parent.length
  if (kind === 'join') {
    for (let t = 0; t < f; t++) if (gained(before, after, t).includes(joiner)) return 'substitute'
    for (let t = 0; t < f; t++) if (after.parent[t] === joiner && before.parent[t] !== joiner) return 'takeon'
    return 'substitute'
  }
  for (let t = 0; t < f; t++) {
    if (
      gained(before, after, t).length > 0 ||
      (before.children[t]?.length ?? 0) !== after.children[t]!.length
    )
      return 'replace'
  }
  return 'direct'
}

function gained(before: Placement, after: Placement, t: number): NodeId[] {
  const old = before.children[t] ?? []
  return after.children[t]!.filter((c) => !old.includes(c))
}
