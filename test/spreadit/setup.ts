import type { NodeId } from '../../src/core/ids.ts'
import {
  parseParams,
  type SpreadItMessage,
  type SpreadItNode,
  type SpreadItParams,
  spreadit,
} from '../../src/overlays/spreadit/index.ts'
import { Harness, type HarnessOptions } from './harness.ts'

export const STREAM_KBPS = 400
/** Upload capacity that gives a node exactly `n` children. */
export const cap = (n: number) => n * STREAM_KBPS + 1

export function spreaditHarness(
  params: Record<string, unknown>,
  opts: Partial<HarnessOptions<SpreadItMessage, SpreadItParams>> = {},
): Harness<SpreadItMessage, SpreadItParams> {
  return new Harness({
    overlay: spreadit,
    // The harness has no access links, so a node may budget its whole upload: child counts stay exact
    // multiples of upload / stream rate, which the tree-shape tests rely on.
    params: parseParams({
      uploadHeadroom: 1,
      heartbeatMs: 500,
      heartbeatMissLimit: 3,
      subscribeTimeoutMs: 1000,
      ...params,
    }),
    seed: 1,
    streamKbps: STREAM_KBPS,
    chunkPeriodMs: 100,
    latencyMs: 10,
    encode: true,
    ...opts,
  })
}

export function node(h: Harness<SpreadItMessage, SpreadItParams>, id: NodeId): SpreadItNode {
  return h.protocol(id) as SpreadItNode
}
