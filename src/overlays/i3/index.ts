import type { Overlay } from '../../core/protocol.ts'
import { I3HostNode } from './host/host-node.ts'
import { type I3Message, i3Codec } from './messages.ts'
import { type I3Params, parseParams } from './params.ts'
import { I3ServerNode } from './server/server-node.ts'

export type { I3HostStats } from './host/host-node.ts'
export { CONNECTED_WINDOW_MS, I3HostNode, virtualRootId } from './host/host-node.ts'
export { I3_METRIC } from './host/metrics.ts'
export * from './ids.ts'
export type { I3Message } from './messages.ts'
export { i3Codec, MAX_TTL } from './messages.ts'
export type { I3Params } from './params.ts'
export { InvalidParamsError, parseParams } from './params.ts'
export type { I3DropCounts, I3ServerCounters, RefreshStats } from './server/server-node.ts'
export { I3ServerNode } from './server/server-node.ts'

/**
 * i3 hybrid multicast (Lakshminarayanan, Rao, Stoica, Shenker): rendezvous servers forward and
 * replicate; end hosts build the tree of triggers, refresh it and recover losses. Needs
 * infrastructure: run it with servers (SimConfig.servers; NodeContext.servers on every node).
 */
export const i3: Overlay<I3Message, I3Params> = {
  name: 'i3',
  codec: i3Codec,
  parseParams,
  createNode: (env, ctx, params) =>
    ctx.role === 'server' ? new I3ServerNode(env, ctx, params) : new I3HostNode(env, ctx, params),
}
