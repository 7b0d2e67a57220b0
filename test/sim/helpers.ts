import type { Message } from '../../src/core/codec.ts'
import type { Overlay } from '../../src/core/protocol.ts'
import { type SimConfig, Simulation } from '../../src/sim/simulation.ts'
import type { Underlay } from '../../src/sim/underlay/underlay.ts'
import { playoutConfig } from '../../src/stream/playout.ts'
import type { StreamSpec } from '../../src/stream/stream-spec.ts'
import { MatrixUnderlay } from './fixtures/matrix-underlay.ts'

export const UNLIMITED = { uploadKbps: Number.POSITIVE_INFINITY, downloadKbps: Number.POSITIVE_INFINITY }

export function testStream(overrides: Partial<StreamSpec> = {}): StreamSpec {
  return { streamId: 'test', kbps: 400, chunkRateHz: 10, keyframeEveryChunks: 10, ...overrides }
}

/** A simulation with test defaults: constant 10 ms underlay, 400 kbit/s at 10 chunks/s. */
export function makeSim<M extends Message, P>(
  overlay: Overlay<M, P>,
  params: P,
  overrides: Partial<SimConfig<M, P>> & { underlay?: Underlay } = {},
): Simulation<M, P> {
  const stream = overrides.stream ?? testStream()
  return new Simulation<M, P>({
    seed: 1,
    overlay,
    params,
    underlay: MatrixUnderlay.constant(10),
    stream,
    playout: playoutConfig(stream.chunkRateHz),
    sourceLink: UNLIMITED,
    ...overrides,
  })
}
