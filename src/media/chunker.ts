import { LocalProtocolError } from '../core/errors.ts'
import { MAX_CHUNK_PAYLOAD_BYTES } from '../stream/chunk.ts'
import { KeyframeDetector, type KeyframeDetectorOptions } from './keyframes.ts'
import type { MediaChunk } from './media-chunk.ts'
import { PsiTracker } from './psi.ts'
import { PCR_TICKS_PER_MS, pcrOf, pidOf, TS_PACKET_BYTES } from './ts-header.ts'

export interface TsChunkerOptions {
  /** Size budget: the chunk is cut at the first packet boundary at or past this many bytes. */
  targetBytes: number
  /** Duration budget by PCR (ms): also cut once the chunk spans this much stream time. */
  targetDurationMs?: number
  /** Hard bound on a chunk (default: the largest multiple of 188 within MAX_CHUNK_PAYLOAD_BYTES). */
  maxBytes?: number
  /** No keyframe for this many bytes (unknown codec, no RAI): mark the next chunk as one anyway. */
  forceKeyframeAfterBytes?: number
  firstSeq?: number
  keyframes?: KeyframeDetectorOptions
}

export interface TsChunkerStats {
  packets: number
  chunks: number
  keyframeChunks: number
  forcedKeyframes: number
  /** Bytes of PAT/PMT copies put in front of keyframe chunks. */
  psiBytesAdded: number
}

const DEFAULT_MAX_BYTES = Math.floor(MAX_CHUNK_PAYLOAD_BYTES / TS_PACKET_BYTES) * TS_PACKET_BYTES
/** Room kept in a chunk for the PAT/PMT prefix and the packet that triggers a cut. */
const PREFIX_RESERVE_BYTES = 8 * TS_PACKET_BYTES

/**
 * Groups aligned TS packets into chunks. A keyframe always opens a new chunk, marked
 * `keyframe: true` and prefixed with the latest PAT+PMT packets, so every keyframe chunk is
 * independently decodable; other cuts fall on the packet boundary after the size (or PCR
 * duration) budget.
 */
export class TsChunker {
  readonly psi = new PsiTracker()
  readonly keyframes: KeyframeDetector
  readonly stats: TsChunkerStats = {
    packets: 0,
    chunks: 0,
    keyframeChunks: 0,
    forcedKeyframes: 0,
    psiBytesAdded: 0,
  }
  private readonly targetBytes: number
  private readonly maxBytes: number
  private readonly targetDurationTicks: number
  private readonly forceKeyframeAfterBytes: number
  private buffer: Uint8Array
  private used = 0
  private currentIsKeyframe = false
  private chunkFirstPcr = -1
  private bytesSinceKeyframe = 0
  private nextSeq: number

  constructor(options: TsChunkerOptions) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
    if (this.maxBytes > MAX_CHUNK_PAYLOAD_BYTES || this.maxBytes < PREFIX_RESERVE_BYTES * 2) {
      throw new LocalProtocolError(
        `chunk maxBytes ${this.maxBytes} must lie in [${PREFIX_RESERVE_BYTES * 2}, ${MAX_CHUNK_PAYLOAD_BYTES}]`,
      )
    }
    if (!(options.targetBytes > 0) || options.targetBytes > this.maxBytes - PREFIX_RESERVE_BYTES) {
      throw new LocalProtocolError(
        `chunk targetBytes ${options.targetBytes} must lie in (0, ${this.maxBytes - PREFIX_RESERVE_BYTES}]`,
      )
    }
    this.targetBytes = options.targetBytes
    this.targetDurationTicks = (options.targetDurationMs ?? 0) * PCR_TICKS_PER_MS
    this.forceKeyframeAfterBytes = options.forceKeyframeAfterBytes ?? 4 * 1024 * 1024
    this.nextSeq = options.firstSeq ?? 0
    this.buffer = new Uint8Array(this.maxBytes)
    this.keyframes = new KeyframeDetector(this.psi, options.keyframes)
  }

  /** One aligned 188-byte packet, read at source time `now` (ms); returns the chunks it completed. */
  push(packet: Uint8Array, now: number): MediaChunk[] {
    if (packet.length !== TS_PACKET_BYTES) {
      throw new LocalProtocolError(
        `TsChunker.push wants one ${TS_PACKET_BYTES}-byte packet, got ${packet.length}`,
      )
    }
    this.stats.packets++
    this.psi.observe(packet)
    const out: MediaChunk[] = []
    const forced = this.bytesSinceKeyframe >= this.forceKeyframeAfterBytes && this.psi.program !== null
    if (this.keyframes.isKeyframe(packet) || forced) {
      if (forced) this.stats.forcedKeyframes++
      this.cut(now, out)
      this.startKeyframeChunk()
    } else if (this.used + TS_PACKET_BYTES > this.maxBytes) {
      this.cut(now, out)
    }
    this.append(packet)
    this.bytesSinceKeyframe += TS_PACKET_BYTES
    if (this.used >= this.targetBytes || this.durationReached(packet)) this.cut(now, out)
    return out
  }

  /** End of input: the partial chunk, if any. */
  flush(now: number): MediaChunk[] {
    const out: MediaChunk[] = []
    this.cut(now, out)
    return out
  }

  private startKeyframeChunk(): void {
    this.currentIsKeyframe = true
    this.bytesSinceKeyframe = 0
    for (const psiPacket of this.psi.psiPackets()) {
      this.append(psiPacket)
      this.stats.psiBytesAdded += TS_PACKET_BYTES
    }
  }

  private append(packet: Uint8Array): void {
    this.buffer.set(packet, this.used)
    this.used += TS_PACKET_BYTES
  }

  private durationReached(packet: Uint8Array): boolean {
    if (this.targetDurationTicks <= 0) return false
    const program = this.psi.program
    if (program === null || pidOf(packet) !== program.pcrPid) return false
    const pcr = pcrOf(packet)
    if (pcr < 0) return false
    if (this.chunkFirstPcr < 0) {
      this.chunkFirstPcr = pcr
      return false
    }
    return pcr - this.chunkFirstPcr >= this.targetDurationTicks || pcr < this.chunkFirstPcr
  }

  private cut(now: number, out: MediaChunk[]): void {
    if (this.used === 0) return
    const keyframe = this.currentIsKeyframe
    out.push({
      seq: this.nextSeq++,
      sourceTime: now,
      stripe: -1,
      size: this.used,
      payload: this.buffer.slice(0, this.used),
      keyframe,
    })
    this.stats.chunks++
    if (keyframe) this.stats.keyframeChunks++
    this.used = 0
    this.currentIsKeyframe = false
    this.chunkFirstPcr = -1
  }
}
