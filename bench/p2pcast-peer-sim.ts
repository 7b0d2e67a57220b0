// The simulated swarm both peer-mode benches replay: the conformance suite's set-up (delay space
// within 60 ms of the source, 400 kbit/s at 10 chunks/s, 3 s of playout buffer, a source uplink of
// 4.5x the stream, viewers with 2.5x up and 20x down).
import type { P2PCastMessage, P2PCastParams } from '../src/overlays/p2pcast/index.ts'
import { p2pcast } from '../src/overlays/p2pcast/index.ts'
import { Simulation } from '../src/sim/simulation.ts'
import { createDelaySpace } from '../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../src/stream/playout.ts'

export const PEER_BENCH_STREAM = { kbps: 400, chunkRateHz: 10, keyframeEveryChunks: 10 }

export function peerModeSim(
  streamId: string,
  seed: number,
  params: P2PCastParams,
  lossRate = 0,
): { sim: Simulation<P2PCastMessage, P2PCastParams>; link: { uploadKbps: number; downloadKbps: number } } {
  const stream = { streamId, ...PEER_BENCH_STREAM }
  const sim = new Simulation<P2PCastMessage, P2PCastParams>({
    seed,
    overlay: p2pcast,
    params,
    underlay: createDelaySpace({ maxDelayFromSourceMs: 60 }),
    stream,
    playout: playoutConfig(stream.chunkRateHz, { startupChunks: 30 }),
    sourceLink: { uploadKbps: 4.5 * stream.kbps, downloadKbps: Number.POSITIVE_INFINITY },
    ...(lossRate > 0 ? { lossRate } : {}),
  })
  return { sim, link: { uploadKbps: 2.5 * stream.kbps, downloadKbps: 20 * stream.kbps } }
}
