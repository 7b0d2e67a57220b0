import type { Overlay } from '../../core/protocol.ts'
import { type P2PCastMessage, p2pcastCodec } from './messages.ts'
import { P2PCastNode } from './node.ts'
import { type P2PCastParams, parseParams } from './params.ts'
import { P2PCastPeerNode } from './peer-node.ts'

export { Forest } from './forest.ts'
export { checkForest, type ForestView, treeHeights } from './invariants.ts'
export type { P2PCastMessage } from './messages.ts'
export { p2pcastCodec } from './messages.ts'
export { METRIC as P2PCAST_METRICS, P2PCastNode } from './node.ts'
export type { P2PCastParams } from './params.ts'
export { InvalidParamsError, parseParams, stripeKbps } from './params.ts'
export { peerForestView } from './peer/forest-view.ts'
export { P2PCastPeerNode, PEER_METRIC } from './peer-node.ts'
export { Registry, SPECIAL } from './registry.ts'
export { completeTree, incompleteParent, join, remove, roleOf } from './transitions.ts'

/** P2PCast: the stream in f stripes (f-1 data + XOR parity) over a forest of f-ary trees. */
export const p2pcast: Overlay<P2PCastMessage, P2PCastParams> = {
  name: 'p2pcast',
  codec: p2pcastCodec,
  parseParams,
  createNode: (env, ctx, params) =>
    params.mode === 'peer' ? new P2PCastPeerNode(env, ctx, params) : new P2PCastNode(env, ctx, params),
}
