// A recording Env for driving one SpreadIt node by hand: every effect lands in a list.
import type { NodeId } from '../../src/core/ids.ts'
import type { Env, NodeContext } from '../../src/core/protocol.ts'
import { createRng } from '../../src/core/rng.ts'
import { parseParams, type SpreadItMessage, SpreadItNode } from '../../src/overlays/spreadit/index.ts'
import type { Chunk } from '../../src/stream/chunk.ts'

export interface Recorded {
  sent: { to: NodeId; msg: SpreadItMessage }[]
  delivered: { chunk: Chunk; hops: number }[]
  metrics: { name: string; value: number }[]
  timers: Map<number, { kind: number; delayMs: number }>
}

export function soloNode(
  self: NodeId,
  ctx: Partial<NodeContext> = {},
  params: Record<string, unknown> = {},
): { node: SpreadItNode; rec: Recorded } {
  const rec: Recorded = { sent: [], delivered: [], metrics: [], timers: new Map() }
  let nextTimer = 1
  const env: Env<SpreadItMessage> = {
    self,
    rng: createRng(5),
    send: (to, msg) => rec.sent.push({ to, msg }),
    setTimer: (delayMs, kind) => {
      rec.timers.set(nextTimer, { kind, delayMs })
      return nextTimer++
    },
    cancelTimer: (id) => rec.timers.delete(id),
    deliver: (chunk, hops) => rec.delivered.push({ chunk, hops }),
    locate: () => [0, 0],
    distance: () => 1,
    metric: (name, value) => rec.metrics.push({ name, value }),
    disconnect: () => {},
  }
  const fullCtx: NodeContext = { source: 0, streamKbps: 400, uploadKbps: 1601, role: 'viewer', ...ctx }
  const node = new SpreadItNode(env, fullCtx, parseParams(params))
  return { node, rec }
}

export const chunk = (seq: number): Chunk => ({
  stream: 's',
  seq,
  sourceTime: seq * 100,
  stripe: -1,
  size: 5000,
  payload: null,
  keyframe: false,
  auth: null,
})

export const subscribe = (uploadKbps = 0): SpreadItMessage => ({
  type: 'subscribe',
  locator: [0, 0],
  uploadKbps,
  avoid: [],
})
