import { pesHeaderAt, readTimestamp } from './pes.ts'
import type { PsiTracker } from './psi.ts'
import {
  PTS_TICKS_PER_MS,
  payloadOffset,
  pidOf,
  randomAccessIndicator,
  startsPayloadUnit,
  TS_PACKET_BYTES,
} from './ts-header.ts'

/** True when the elementary stream bytes hold an H.264 IDR slice or SPS (a decoder can start). */
export function h264RandomAccess(packet: Uint8Array, from: number): boolean {
  return scanNalTypes(packet, from, (header) => {
    const type = header & 0x1f
    return type === 5 || type === 7
  })
}

/** True when the elementary stream bytes hold an HEVC IRAP picture or VPS/SPS. */
export function hevcRandomAccess(packet: Uint8Array, from: number): boolean {
  return scanNalTypes(packet, from, (header) => {
    const type = (header >> 1) & 0x3f
    return (type >= 16 && type <= 21) || type === 32 || type === 33
  })
}

function scanNalTypes(
  packet: Uint8Array,
  from: number,
  isRandomAccess: (header: number) => boolean,
): boolean {
  for (let i = from; i + 3 < TS_PACKET_BYTES; i++) {
    if (packet[i] === 0 && packet[i + 1] === 0 && packet[i + 2] === 1) {
      if (isRandomAccess(packet[i + 3]!)) return true
      i += 2
    }
  }
  return false
}

export interface KeyframeDetectorOptions {
  /** Audio-only streams: every audio frame is decodable, so space keyframes at least this far apart. */
  audioKeyframeIntervalMs?: number
}

/**
 * Finds the packets where a player can start decoding. On the video PID the encoder's
 * random_access_indicator is trusted once it has been seen; until then (encoders that never set
 * it) the first TS packet of each PES is scanned for an H.264 IDR/SPS or HEVC IRAP/VPS/SPS NAL.
 * SPS alone counts because x264 puts a large SEI before the first IDR slice, pushing the slice out
 * of the first packet; SPS precedes every IDR it emits. A stream without video gets a keyframe at
 * an audio PES start every `audioKeyframeIntervalMs` of PTS, so chunks still form groups.
 */
export class KeyframeDetector {
  readonly stats = { raiKeyframes: 0, nalKeyframes: 0, audioKeyframes: 0 }
  private raiSeen = false
  private lastAudioKeyPts = -1
  private readonly audioIntervalTicks: number

  constructor(
    private readonly psi: PsiTracker,
    options: KeyframeDetectorOptions = {},
  ) {
    this.audioIntervalTicks = (options.audioKeyframeIntervalMs ?? 1000) * PTS_TICKS_PER_MS
  }

  /** Call for every packet, after `psi.observe(packet)`. */
  isKeyframe(packet: Uint8Array): boolean {
    const program = this.psi.program
    if (program === null) return false
    const pid = pidOf(packet)
    if (program.videoPid >= 0) {
      if (pid !== program.videoPid) return false
      if (randomAccessIndicator(packet)) {
        this.raiSeen = true
        this.stats.raiKeyframes++
        return true
      }
      if (this.raiSeen || !startsPayloadUnit(packet)) return false
      const codec = program.streams.find((s) => s.pid === pid)?.codec
      const pes = pesHeaderAt(packet, payloadOffset(packet))
      if (pes === null) return false
      const found =
        codec === 'h264'
          ? h264RandomAccess(packet, pes.esOffset)
          : codec === 'hevc'
            ? hevcRandomAccess(packet, pes.esOffset)
            : false
      if (found) this.stats.nalKeyframes++
      return found
    }
    const audio = program.streams.find((s) => s.kind === 'audio')
    if (audio === undefined || pid !== audio.pid || !startsPayloadUnit(packet)) return false
    const pes = pesHeaderAt(packet, payloadOffset(packet))
    if (pes === null || pes.ptsOffset < 0) return false
    const pts = readTimestamp(packet, pes.ptsOffset)
    if (this.lastAudioKeyPts >= 0 && Math.abs(pts - this.lastAudioKeyPts) < this.audioIntervalTicks)
      return false
    this.lastAudioKeyPts = pts
    this.stats.audioKeyframes++
    return true
  }
}
