import { LocalProtocolError } from '../core/errors.ts'
import type { Chunk } from './chunk.ts'
import { type PlayoutProjection, QoeCounters, QoeMeter } from './qoe.ts'
import { SeqBitRing } from './seq-bit-ring.ts'

export interface PlayoutConfig {
  chunkRateHz: number
  /** Playback starts once this many CONSECUTIVE chunks are buffered (default 2). */
  startupChunks: number
  /** Ring size bound (default 256); chunks this far or further ahead of the playhead are dropped. */
  maxBufferChunks: number
  /**
   * Hold chunk objects so `advance(now, out)` can hand them to a player (the net host). Off in the
   * simulator: the buffer then keeps only bits per seq, about 100 bytes per viewer.
   */
  keepChunks?: boolean
}

export const DEFAULT_STARTUP_CHUNKS = 2
export const DEFAULT_MAX_BUFFER_CHUNKS = 256
/** Upper bound on maxBufferChunks: beyond it the per-seq scans stop being cheap. */
export const MAX_BUFFER_CHUNKS_LIMIT = 1 << 16

/** A PlayoutConfig with the defaults filled in. */
export function playoutConfig(
  chunkRateHz: number,
  overrides: Partial<Omit<PlayoutConfig, 'chunkRateHz'>> = {},
): PlayoutConfig {
  return {
    chunkRateHz,
    startupChunks: overrides.startupChunks ?? DEFAULT_STARTUP_CHUNKS,
    maxBufferChunks: overrides.maxBufferChunks ?? DEFAULT_MAX_BUFFER_CHUNKS,
    keepChunks: overrides.keepChunks ?? false,
  }
}

function validate(cfg: PlayoutConfig): void {
  if (!(Number.isFinite(cfg.chunkRateHz) && cfg.chunkRateHz > 0)) {
    throw new LocalProtocolError(
      `PlayoutConfig.chunkRateHz must be a positive number, got ${cfg.chunkRateHz}`,
    )
  }
  const n = cfg.maxBufferChunks
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_BUFFER_CHUNKS_LIMIT)) {
    throw new LocalProtocolError(
      `PlayoutConfig.maxBufferChunks must be an integer in [1, ${MAX_BUFFER_CHUNKS_LIMIT}], got ${n}`,
    )
  }
  const k = cfg.startupChunks
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) {
    throw new LocalProtocolError(
      `PlayoutConfig.startupChunks must be an integer in [1, maxBufferChunks], got ${k}`,
    )
  }
}

/**
 * One viewer's playout buffer. Lazy: no timers; deadlines are evaluated whenever push, advance or
 * qoe.snapshot(now) is called, so the simulator never schedules per-chunk playout events.
 *
 * Before playback: the buffer holds the newest maxBufferChunks seqs seen. Playback starts at the
 * moment it holds a run of `startupChunks` consecutive seqs, at the earliest seq of that run
 * (keyframes are not considered; aligning the output to a keyframe is the media layer's job).
 * From then on seq s plays at playStart + (s - firstSeq) * period, whether it arrived or not:
 * late chunks are skipped and holes are counted missing at their deadline; the output never stalls.
 *
 * Memory: a 2N-seq bit ring (N = maxBufferChunks) covers the N seqs behind the playhead (to tell
 * duplicates from late first copies) and the N seqs ahead (the buffer itself).
 */
export class PlayoutBuffer implements PlayoutProjection {
  readonly qoe: QoeMeter
  private readonly counts = new QoeCounters()
  private readonly chunkRateHz: number
  private readonly size: number
  private readonly startupChunks: number
  private readonly bits: SeqBitRing
  /** Chunk objects by seq % size (keepChunks only). */
  private readonly held: (Chunk | undefined)[] | null
  /** Chunks played inside push(), waiting for the next advance(now, out) (keepChunks only). */
  private readonly pending: Chunk[] | null
  private lastNowMs: number

  /** Highest seq seen before playback started. */
  private maxSeen = -1
  private playing = false
  private playStart = 0
  private firstSeq = 0
  /** Next seq to play. */
  private playhead = 0
  /**
   * playTime(playhead), kept in step with the playhead (Infinity before playback): the common
   * push, a chunk arriving before the next deadline, then costs one comparison instead of a
   * deadline search. playTime is monotone in seq, so "seq `playhead` is not due" is exactly
   * "nothing is due".
   */
  private nextDeadline = Number.POSITIVE_INFINITY

  /** A chunk whose sourceTime is known, to derive the sourceTime of others (constant-rate source). */
  private anchorSeq = 0
  private anchorSourceTime = 0

  constructor(
    cfg: PlayoutConfig,
    private readonly joinTimeMs: number,
  ) {
    validate(cfg)
    this.chunkRateHz = cfg.chunkRateHz
    this.size = cfg.maxBufferChunks
    this.startupChunks = cfg.startupChunks
    this.bits = new SeqBitRing(2 * cfg.maxBufferChunks)
    this.held = cfg.keepChunks ? new Array<Chunk | undefined>(cfg.maxBufferChunks) : null
    this.pending = cfg.keepChunks ? [] : null
    this.lastNowMs = joinTimeMs
    this.qoe = new QoeMeter(this.counts, this)
  }

  get isPlaying(): boolean {
    return this.playing
  }

  /** Join -> playback start, null before it started. */
  get startupDelayMs(): number | null {
    return this.playing ? this.playStart - this.joinTimeMs : null
  }

  /** The next seq to play (meaningful once playing). */
  get playheadSeq(): number {
    return this.playhead
  }

  /** When the next seq is due (a host that drives a real player sets its timer to this); null before playback. */
  nextDeadlineMs(): number | null {
    return this.playing ? this.playTime(this.playhead) : null
  }

  /** Whether seq is buffered and waiting for its play time. */
  holds(seq: number): boolean {
    return seq >= this.bufferLow() && seq <= this.bufferHigh() && this.bits.has(seq)
  }

  /**
   * A verified chunk arrived. Advances the playhead to `now` first, so a chunk whose deadline has
   * passed counts as late (skipped, never stalls); one arriving exactly at its deadline still plays.
   * Duplicates are counted, not played twice.
   */
  push(now: number, chunk: Chunk, hops: number): void {
    const seq = chunk.seq
    if (!(Number.isSafeInteger(seq) && seq >= 0)) {
      throw new LocalProtocolError(`PlayoutBuffer.push: seq must be a non-negative integer, got ${seq}`)
    }
    this.tick(now, 'push')
    this.counts.received++
    const out = this.pending ?? undefined
    if (now > this.nextDeadline) this.advanceTo(now, false, out)
    if (this.playing) this.pushWhilePlaying(seq, chunk, hops)
    else this.pushBeforePlayback(now, seq, chunk, hops)
    if (now >= this.nextDeadline) this.advanceTo(now, true, out)
  }

  /**
   * Move the playhead to `now`: every chunk whose play time <= now is played (pushed to `out`, in
   * seq order, if given — requires keepChunks) or counted missed.
   */
  advance(now: number, out?: Chunk[]): void {
    if (out !== undefined && this.held === null) {
      throw new LocalProtocolError('PlayoutBuffer.advance(now, out) needs PlayoutConfig.keepChunks: true')
    }
    this.tick(now, 'advance')
    if (out !== undefined && this.pending !== null && this.pending.length > 0) {
      for (const chunk of this.pending) out.push(chunk)
      this.pending.length = 0
    }
    this.advanceTo(now, true, out)
  }

  project(now: number | undefined): { played: number; missing: number; lagMs: number | null } {
    if (!this.playing) return { played: 0, missing: 0, lagMs: null }
    let played = 0
    let missing = 0
    let current = this.playhead - 1
    if (now !== undefined && now >= this.lastNowMs) {
      const lastDue = this.lastDueSeq(now, true)
      if (lastDue >= this.playhead) {
        const scanEnd = Math.min(lastDue, this.playhead + this.size - 1)
        played = this.bits.countRange(this.playhead, scanEnd + 1)
        missing = lastDue - this.playhead + 1 - played
        current = lastDue
      }
    }
    current = Math.max(current, this.firstSeq)
    return { played, missing, lagMs: this.playTime(current) - this.estimatedSourceTime(current) }
  }

  private tick(now: number, op: string): void {
    if (!(now >= this.lastNowMs)) {
      throw new LocalProtocolError(`PlayoutBuffer.${op}: time went backwards (${now} < ${this.lastNowMs})`)
    }
    this.lastNowMs = now
  }

  /** ms spanned by n chunk periods; n * 1000 / rate is exact where n * (1000 / rate) is not. */
  private periods(n: number): number {
    return (n * 1000) / this.chunkRateHz
  }

  private playTime(seq: number): number {
    return this.playStart + this.periods(seq - this.firstSeq)
  }

  private estimatedSourceTime(seq: number): number {
    return this.anchorSourceTime + this.periods(seq - this.anchorSeq)
  }

  private bufferLow(): number {
    return this.playing ? this.playhead : this.maxSeen - this.size + 1
  }

  private bufferHigh(): number {
    return this.playing ? this.playhead + this.size - 1 : this.maxSeen
  }

  private pushWhilePlaying(seq: number, chunk: Chunk, hops: number): void {
    const c = this.counts
    const historyLow = this.playhead - this.size
    if (seq < this.playhead) {
      if (seq >= historyLow && this.bits.has(seq)) c.duplicates++
      else {
        c.late++
        if (seq >= historyLow) this.bits.set(seq)
      }
    } else if (seq >= this.playhead + this.size) c.overflow++
    else if (this.bits.has(seq)) c.duplicates++
    else this.accept(seq, chunk, hops)
  }

  private pushBeforePlayback(now: number, seq: number, chunk: Chunk, hops: number): void {
    const c = this.counts
    if (seq > this.maxSeen) this.slideWaitingWindow(seq)
    const historyLow = this.maxSeen - 2 * this.size + 1
    if (seq < this.bufferLow()) {
      if (seq >= historyLow && this.bits.has(seq)) c.duplicates++
      else {
        c.discarded++
        if (seq >= historyLow) this.bits.set(seq)
      }
      return
    }
    if (this.bits.has(seq)) {
      c.duplicates++
      return
    }
    this.accept(seq, chunk, hops)
    const runStart = this.runStartIfLongEnough(seq)
    if (runStart >= 0) this.startPlayback(now, runStart)
  }

  /** Before playback the window follows the newest seq; held chunks that fall out are discarded. */
  private slideWaitingWindow(newMax: number): void {
    const oldLow = this.maxSeen - this.size + 1
    const newLow = newMax - this.size + 1
    this.discardHeld(Math.max(0, oldLow), Math.min(newLow, this.maxSeen + 1))
    // Seqs entering the tracked window reuse the slots of seqs leaving it.
    this.bits.clearRange(this.maxSeen + 1, newMax + 1)
    this.maxSeen = newMax
  }

  private discardHeld(from: number, to: number): void {
    for (let s = from; s < to; s++) {
      if (!this.bits.has(s)) continue
      this.counts.discarded++
      this.counts.buffered--
      if (this.held !== null) this.held[s % this.size] = undefined
    }
  }

  private runStartIfLongEnough(seq: number): number {
    const low = Math.max(0, this.bufferLow())
    let first = seq
    while (first - 1 >= low && this.bits.has(first - 1)) first--
    let last = seq
    while (last + 1 <= this.maxSeen && this.bits.has(last + 1)) last++
    return last - first + 1 >= this.startupChunks ? first : -1
  }

  private startPlayback(now: number, runStart: number): void {
    this.discardHeld(Math.max(0, this.bufferLow()), runStart)
    // The tracked window moves from [maxSeen-2N+1, maxSeen] to [runStart-N, runStart+N).
    this.bits.clearRange(this.maxSeen + 1, runStart + this.size)
    this.playing = true
    this.playStart = now
    this.firstSeq = runStart
    this.setPlayhead(runStart)
  }

  private setPlayhead(seq: number): void {
    this.playhead = seq
    this.nextDeadline = this.playTime(seq)
  }

  private accept(seq: number, chunk: Chunk, hops: number): void {
    const c = this.counts
    this.bits.set(seq)
    c.buffered++
    c.hopsSum += hops
    c.hopsCount++
    if (hops > c.hopsMax) c.hopsMax = hops
    if (this.held !== null) this.held[seq % this.size] = chunk
    // Light mode: the newest chunk anchors the sourceTime estimate (exact for a constant-rate source).
    // keepChunks mode: the anchor is the chunk last played, exact for whatever source.
    else this.setAnchor(chunk)
  }

  private setAnchor(chunk: Chunk): void {
    this.anchorSeq = chunk.seq
    this.anchorSourceTime = chunk.sourceTime
  }

  /** Last seq whose play time is <= now (or < now); firstSeq - 1 when none. */
  private lastDueSeq(now: number, inclusive: boolean): number {
    const elapsed = now - this.playStart
    if (elapsed < 0) return this.firstSeq - 1
    // Division gives the answer up to floating-point rounding; the checks make it agree with playTime.
    let k = Math.floor((elapsed * this.chunkRateHz) / 1000)
    while (this.isDue(this.firstSeq + k + 1, now, inclusive)) k++
    while (k >= 0 && !this.isDue(this.firstSeq + k, now, inclusive)) k--
    return this.firstSeq + k
  }

  private isDue(seq: number, now: number, inclusive: boolean): boolean {
    const t = this.playTime(seq)
    return inclusive ? t <= now : t < now
  }

  private advanceTo(now: number, inclusive: boolean, out: Chunk[] | undefined): void {
    if (!this.playing) return
    const lastDue = this.lastDueSeq(now, inclusive)
    const from = this.playhead
    if (lastDue < from) return
    // Nothing is held at or beyond from + size, so only the first `size` due seqs need looking at.
    const scanEnd = Math.min(lastDue, from + this.size - 1)
    for (let s = from; s <= scanEnd; s++) {
      if (this.bits.has(s)) this.play(s, out)
      else this.counts.missing++
    }
    this.counts.missing += lastDue - scanEnd
    // Seqs entering the tracked window [playhead-N, playhead+N) reuse the slots of seqs leaving it.
    this.bits.clearRange(from + this.size, lastDue + 1 + this.size)
    this.setPlayhead(lastDue + 1)
  }

  private play(seq: number, out: Chunk[] | undefined): void {
    this.counts.played++
    this.counts.buffered--
    if (this.held === null) return
    const slot = seq % this.size
    const chunk = this.held[slot]
    this.held[slot] = undefined
    if (chunk === undefined) return
    this.setAnchor(chunk)
    if (out === undefined) return
    // push() plays into `pending`; keep it bounded if the host never drains it.
    if (out === this.pending && out.length >= this.size) out.shift()
    out.push(chunk)
  }
}
