import { LocalProtocolError } from '../core/errors.ts'
import type { MediaChunk } from '../media/media-chunk.ts'

/** A run of input bytes as it reached the source: a small TsIngest chunk or a raw read. */
export interface InputPiece {
  readonly payload: Uint8Array
  /** Starts a decodable group (TS: a keyframe piece carrying PAT+PMT in front). */
  readonly keyframe: boolean
}

export interface SteadyChunkerOptions {
  chunkRateHz: number
  /** Source clock (ms) of the first input; chunk j's nominal boundary is start + (j+1)·period. */
  startMs: number
  /** Upper bound on a chunk's payload; the excess is carried into the next chunk. */
  maxBytes: number
  /**
   * Raw bytes: boundaries at the nominal times only, every chunk marked keyframe (a structureless
   * byte stream can be joined anywhere). Otherwise boundaries snap to keyframe pieces.
   */
  raw: boolean
}

export interface SteadyChunkerStats {
  chunks: number
  /** Chunks whose boundary moved to a keyframe (the chunk after it starts with PAT+PMT+IDR). */
  keyframeSnaps: number
  /** Chunks cut with no input in them (an input stall): a null TS packet keeps the rate. */
  emptyChunks: number
  /** Chunks that hit maxBytes; the rest of their input went into the next chunk. */
  oversizeCarries: number
  /** TS input before the first keyframe: no viewer could decode it, so it is not sent. */
  piecesBeforeFirstKeyframe: number
}

interface TimedPiece extends InputPiece {
  readonly at: number
}

/** An MPEG-TS null packet (PID 0x1FFF): what an empty TS chunk carries, ignored by every demuxer. */
export const TS_NULL_PACKET: Uint8Array = (() => {
  const p = new Uint8Array(188).fill(0xff)
  p.set([0x47, 0x1f, 0xff, 0x10])
  return p
})()

/**
 * Cuts the source's input into exactly one chunk per period, with chunk boundaries on keyframes
 * where possible.
 *
 * Why: the playout buffer plays seq s at playStart + (s - firstSeq)·period, so the source must
 * emit chunks at the declared rate — a size- or keyframe-driven cutter drifts (more chunks per
 * second and the lag grows; fewer and viewers count chunks missing). But the player endpoint and
 * the splicer start and resume at chunks that *begin* with a keyframe, so boundaries should fall
 * on keyframes.
 *
 * Rule: boundary j is the arrival time of the first keyframe piece within ±period/2 of the nominal
 * time d_j = start + (j+1)·period, else d_j itself. Every keyframe lies within period/2 of exactly
 * one nominal time, so with a GOP of at least one period every keyframe starts a chunk. Chunk j is
 * cut at d_j + period/2, once boundary j is known: a steady rate for half a period of latency.
 */
export class SteadyChunker {
  readonly stats: SteadyChunkerStats = {
    chunks: 0,
    keyframeSnaps: 0,
    emptyChunks: 0,
    oversizeCarries: 0,
    piecesBeforeFirstKeyframe: 0,
  }
  private seenKeyframe = false
  private pending: TimedPiece[] = []
  private pendingSize = 0
  private nextSeq = 0
  private readonly periodMs: number

  constructor(private readonly opts: SteadyChunkerOptions) {
    if (!(opts.chunkRateHz > 0) || !(opts.maxBytes >= TS_NULL_PACKET.length)) {
      throw new LocalProtocolError(
        `SteadyChunker: bad chunk rate ${opts.chunkRateHz} or maxBytes ${opts.maxBytes}`,
      )
    }
    this.periodMs = 1000 / opts.chunkRateHz
  }

  /** Bytes waiting for their chunk (the caller pauses its input while this is large). */
  get pendingBytes(): number {
    return this.pendingSize
  }

  /** Source time at which cut() next has a chunk to return. */
  nextCutTime(): number {
    return this.nominal(this.nextSeq) + this.periodMs / 2
  }

  /** Input that arrived at source time `at` (non-decreasing across calls). */
  add(piece: InputPiece, at: number): void {
    if (!this.opts.raw && !this.seenKeyframe) {
      if (!piece.keyframe) {
        this.stats.piecesBeforeFirstKeyframe++
        return
      }
      this.seenKeyframe = true
    }
    const max = this.opts.maxBytes
    // Only raw reads can exceed a chunk; TS pieces are small ingest chunks.
    for (let from = 0; from < piece.payload.length; from += max) {
      const payload = piece.payload.subarray(from, from + max)
      this.pending.push({ payload, keyframe: piece.keyframe && from === 0, at })
      this.pendingSize += payload.length
    }
  }

  /** Every chunk whose cut time is <= now, in seq order; sourceTime = now (the moment it leaves). */
  cut(now: number): MediaChunk[] {
    const out: MediaChunk[] = []
    while (this.nextCutTime() <= now) out.push(this.cutOne(now))
    return out
  }

  private nominal(seq: number): number {
    // n·1000/rate is exact where n·(1000/rate) accumulates rounding (see docs/architecture/stream.md).
    return this.opts.startMs + ((seq + 1) * 1000) / this.opts.chunkRateHz
  }

  /** How many pending pieces belong to chunk `seq`: up to its keyframe boundary or nominal time. */
  private piecesBefore(seq: number): number {
    const d = this.nominal(seq)
    let untilNominal = 0
    while (untilNominal < this.pending.length && this.pending[untilNominal]!.at < d) untilNominal++
    if (this.opts.raw) return untilNominal
    const half = this.periodMs / 2
    // pending[0] arrived after the previous boundary; a keyframe there already opens this chunk.
    // Pieces are compared by index, not time: one read often yields several pieces at one instant.
    for (let i = 1; i < this.pending.length; i++) {
      const p = this.pending[i]!
      if (p.at >= d + half) break
      if (p.keyframe && p.at >= d - half) {
        this.stats.keyframeSnaps++
        return i
      }
    }
    return untilNominal
  }

  private cutOne(now: number): MediaChunk {
    const end = this.piecesBefore(this.nextSeq)
    let take = 0
    let bytes = 0
    while (take < end) {
      const size = this.pending[take]!.payload.length
      if (bytes + size > this.opts.maxBytes) {
        this.stats.oversizeCarries++
        break
      }
      bytes += size
      take++
    }
    const pieces = this.pending.splice(0, take)
    this.pendingSize -= bytes
    const keyframe = this.opts.raw || (pieces[0]?.keyframe ?? false)
    let payload: Uint8Array
    if (pieces.length === 0) {
      this.stats.emptyChunks++
      payload = this.opts.raw ? new Uint8Array(0) : TS_NULL_PACKET.slice()
    } else {
      payload = new Uint8Array(bytes)
      let at = 0
      for (const p of pieces) {
        payload.set(p.payload, at)
        at += p.payload.length
      }
    }
    this.stats.chunks++
    return { seq: this.nextSeq++, sourceTime: now, stripe: -1, size: payload.length, payload, keyframe }
  }
}
