import { LocalProtocolError } from '../core/errors.ts'

/** What the source streams: its rate and how it is cut into chunks. */
export interface StreamSpec {
  streamId: string
  kbps: number
  /** Chunks per second (the data granularity; quote it with every speed). */
  chunkRateHz: number
  /** Every k-th chunk (seq % k === 0) starts a decodable group. */
  keyframeEveryChunks: number
}

/** Bytes per chunk at the stream's rate: round(kbps * 1000 / 8 / chunkRateHz). */
export function chunkBytes(spec: StreamSpec): number {
  return Math.round((spec.kbps * 1000) / 8 / spec.chunkRateHz)
}

/** Time between two chunks in ms. */
export function chunkPeriodMs(spec: Pick<StreamSpec, 'chunkRateHz'>): number {
  return 1000 / spec.chunkRateHz
}

/** Throws LocalProtocolError naming the bad field; returns the spec unchanged when it is sound. */
export function validateStreamSpec(spec: StreamSpec): StreamSpec {
  if (spec.streamId.length === 0) throw new LocalProtocolError('StreamSpec.streamId is empty')
  if (!(Number.isFinite(spec.kbps) && spec.kbps > 0)) {
    throw new LocalProtocolError(`StreamSpec.kbps must be a positive number, got ${spec.kbps}`)
  }
  if (!(Number.isFinite(spec.chunkRateHz) && spec.chunkRateHz > 0)) {
    throw new LocalProtocolError(`StreamSpec.chunkRateHz must be a positive number, got ${spec.chunkRateHz}`)
  }
  if (!(Number.isInteger(spec.keyframeEveryChunks) && spec.keyframeEveryChunks >= 1)) {
    throw new LocalProtocolError(
      `StreamSpec.keyframeEveryChunks must be an integer >= 1, got ${spec.keyframeEveryChunks}`,
    )
  }
  if (chunkBytes(spec) < 1) {
    throw new LocalProtocolError(
      `StreamSpec gives empty chunks (${spec.kbps} kbit/s at ${spec.chunkRateHz} chunks/s): lower chunkRateHz`,
    )
  }
  return spec
}
