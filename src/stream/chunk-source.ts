import { LocalProtocolError } from '../core/errors.ts'
import type { Chunk } from './chunk.ts'
import { chunkBytes, chunkPeriodMs, type StreamSpec, validateStreamSpec } from './stream-spec.ts'

/**
 * The simulated source's chunk cutter: virtual payloads of the stream's chunk size, seq 0, 1, 2, ...
 * The simulator calls `next(now)` once per period (ideally at `nextDueMs()`); the chunk's
 * sourceTime is the `now` it was cut at, so playout lag is exact in the simulator.
 */
export class ChunkSource {
  /** Period between chunks in ms. */
  readonly periodMs: number
  private readonly size: number
  private nextSeq = 0
  private lastCutMs = Number.NEGATIVE_INFINITY

  constructor(
    private readonly spec: StreamSpec,
    private readonly startTimeMs: number,
  ) {
    validateStreamSpec(spec)
    this.periodMs = chunkPeriodMs(spec)
    this.size = chunkBytes(spec)
  }

  /** Seq of the chunk the next call to `next` will cut. */
  get seq(): number {
    return this.nextSeq
  }

  /**
   * When the next chunk is due on a constant-rate schedule. Computed as start + seq * 1000 / rate
   * (not by adding periods) so the schedule does not drift: at 30 chunks/s it is exact to the ms
   * every second.
   */
  nextDueMs(): number {
    return this.startTimeMs + (this.nextSeq * 1000) / this.spec.chunkRateHz
  }

  /** Cut the next chunk (sourceTime = now, payload null, keyframe every k chunks). */
  next(now: number): Chunk {
    if (now < this.lastCutMs) {
      throw new LocalProtocolError(`ChunkSource.next: time went backwards (${now} < ${this.lastCutMs})`)
    }
    this.lastCutMs = now
    const seq = this.nextSeq++
    return {
      stream: this.spec.streamId,
      seq,
      sourceTime: now,
      stripe: -1,
      size: this.size,
      payload: null,
      keyframe: seq % this.spec.keyframeEveryChunks === 0,
      auth: null,
    }
  }
}
