import type { NodeId } from '../../src/core/ids.ts'
import type { Env } from '../../src/core/protocol.ts'
import { createRng } from '../../src/core/rng.ts'
import type { P2PCastMessage } from '../../src/overlays/p2pcast/index.ts'
import type { Chunk } from '../../src/stream/chunk.ts'

export interface Sent {
  readonly to: NodeId
  readonly msg: P2PCastMessage
}

export interface SetTimer {
  readonly kind: number
  readonly arg: NodeId | undefined
}

/** An Env for driving one p2pcast node by hand: records what it sends and the timers it sets. */
export function recordingEnv(
  self: NodeId,
  sent: Sent[],
  opts: { timers?: SetTimer[]; sign?: (c: Chunk) => Chunk; seed?: number } = {},
): Env<P2PCastMessage> {
  const timers = opts.timers ?? []
  return {
    self,
    rng: createRng(opts.seed ?? 7),
    send: (to, msg) => sent.push({ to, msg }),
    setTimer: (_ms, kind, arg) => timers.push({ kind, arg }),
    cancelTimer: () => {},
    deliver: () => {},
    locate: () => [],
    distance: () => 0,
    metric: () => {},
    disconnect: () => {},
    ...(opts.sign ? { sign: opts.sign } : {}),
  }
}
