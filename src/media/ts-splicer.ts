import { PsiTracker } from './psi.ts'
import {
  continuityCounter,
  hasPayload,
  pidOf,
  startsPayloadUnit,
  TS_PACKET_BYTES,
  TS_SYNC_BYTE,
  writeContinuityCounter,
} from './ts-header.ts'

/** A run of bytes for the player; `keyframe` runs begin with PAT+PMT and a random access point. */
export interface SpliceSegment {
  readonly seq: number
  readonly size: number
  readonly keyframe: boolean
  readonly payload: Uint8Array
}

export interface SpliceChunk {
  readonly seq: number
  readonly keyframe: boolean
  readonly payload: Uint8Array
}

export interface TsSplicerStats {
  gaps: number
  /** Bytes of unfinished PES packets dropped at a hole (never shown to the player). */
  droppedPartialBytes: number
  /** Chunks skipped between a hole and the next keyframe. */
  skippedChunks: number
}

/** Above this much held-back data, release it anyway (a PID that rarely starts a PES). */
const MAX_HELD_BYTES = 2 * 1024 * 1024

/**
 * Turns chunks in playout order, possibly with holes, into one byte stream a player decodes
 * without a single error. Two things make a hole clean:
 * 1. Data of a PES packet that may still be unfinished (from each audio/video PID's latest PES
 *    start on) is held back until the next chunk arrives in sequence; at a hole it is dropped, so
 *    the player never gets half a frame.
 * 2. After a hole, output resumes at the next keyframe chunk with continuity counters rewritten to
 *    continue each PID's count, so the demuxer sees no discontinuity and flags nothing corrupt.
 * Input that is not 188-byte-aligned TS (`--raw` streams) passes through unchanged.
 */
export class TsSplicer {
  readonly stats: TsSplicerStats = { gaps: 0, droppedPartialBytes: 0, skippedChunks: 0 }
  private readonly psi = new PsiTracker()
  private held: Uint8Array[] = []
  private heldBytes = 0
  /** Per PES PID: index into `held` of its latest PES start. */
  private readonly openPesAt = new Map<number, number>()
  /** Continuity counter of the last packet the player got, per PID. */
  private readonly releasedCc = new Map<number, number>()
  private readonly ccShift = new Map<number, number>()
  private readonly needsShift = new Set<number>()
  private lastSeq = -1
  private waitingForKeyframe = true
  private nextSegmentSeq = 0
  /** Index in `held` where the latest keyframe chunk begins, until it is released. */
  private keyframeMark = -1

  write(chunk: SpliceChunk): SpliceSegment[] {
    const out: SpliceSegment[] = []
    const contiguous = this.lastSeq >= 0 && chunk.seq === this.lastSeq + 1
    if (this.lastSeq >= 0 && !contiguous && !this.waitingForKeyframe) this.onGap()
    this.lastSeq = chunk.seq
    if (!isAlignedTs(chunk.payload)) {
      this.waitingForKeyframe = false
      this.emit(out, [chunk.payload], chunk.keyframe)
      return out
    }
    if (this.waitingForKeyframe) {
      if (!chunk.keyframe) {
        this.stats.skippedChunks++
        return out
      }
      this.waitingForKeyframe = false
    }
    // The keyframe segment must start exactly at the chunk's first byte (PAT first).
    if (chunk.keyframe) this.keyframeMark = this.held.length
    for (let at = 0; at < chunk.payload.length; at += TS_PACKET_BYTES) {
      this.hold(chunk.payload.slice(at, at + TS_PACKET_BYTES))
    }
    this.releaseHeld(out, this.safeCut())
    return out
  }

  /** End of the feed: nothing more can follow, so release what was held back. */
  flush(): SpliceSegment[] {
    const out: SpliceSegment[] = []
    if (!this.waitingForKeyframe) this.releaseHeld(out, this.held.length)
    return out
  }

  private hold(packet: Uint8Array): void {
    this.psi.observe(packet)
    const pid = pidOf(packet)
    if (this.needsShift.delete(pid)) {
      const last = this.releasedCc.get(pid)
      if (last !== undefined) {
        const wanted = hasPayload(packet) ? (last + 1) & 0x0f : last
        this.ccShift.set(pid, (wanted - continuityCounter(packet) + 16) & 0x0f)
      }
    }
    const shift = this.ccShift.get(pid) ?? 0
    if (shift !== 0) writeContinuityCounter(packet, continuityCounter(packet) + shift)
    if (startsPayloadUnit(packet) && this.isPesPid(pid)) this.openPesAt.set(pid, this.held.length)
    this.held.push(packet)
    this.heldBytes += TS_PACKET_BYTES
  }

  private isPesPid(pid: number): boolean {
    return this.psi.program?.streams.some((s) => s.pid === pid && s.kind !== 'other') ?? false
  }

  /** Index in `held` before which every PES packet is complete. */
  private safeCut(): number {
    if (this.heldBytes > MAX_HELD_BYTES) return this.held.length
    let cut = this.held.length
    for (const at of this.openPesAt.values()) cut = Math.min(cut, at)
    return cut
  }

  /** Sends held[0, cut), split so that a keyframe segment begins at the keyframe mark. */
  private releaseHeld(out: SpliceSegment[], cut: number): void {
    if (cut === 0) return
    const mark = this.keyframeMark
    if (mark >= 0 && mark < cut) {
      this.emit(out, this.held.slice(0, mark), false)
      this.emit(out, this.held.slice(mark, cut), true)
      this.keyframeMark = -1
    } else {
      this.emit(out, this.held.slice(0, cut), false)
      if (mark >= 0) this.keyframeMark = mark - cut
    }
    this.held = this.held.slice(cut)
    this.heldBytes = this.held.length * TS_PACKET_BYTES
    for (const [pid, at] of this.openPesAt) {
      if (at >= cut) this.openPesAt.set(pid, at - cut)
      else this.openPesAt.delete(pid)
    }
  }

  private onGap(): void {
    this.stats.gaps++
    this.stats.droppedPartialBytes += this.heldBytes
    this.held = []
    this.heldBytes = 0
    this.openPesAt.clear()
    this.keyframeMark = -1
    this.waitingForKeyframe = true
    for (const pid of this.releasedCc.keys()) this.needsShift.add(pid)
  }

  private emit(out: SpliceSegment[], packets: Uint8Array[], keyframe: boolean): void {
    if (packets.length === 0) return
    const size = packets.reduce((n, p) => n + p.length, 0)
    const payload = packets.length === 1 ? packets[0]! : new Uint8Array(size)
    if (packets.length > 1) {
      let at = 0
      for (const p of packets) {
        payload.set(p, at)
        at += p.length
      }
    }
    if (isAlignedTs(payload)) {
      for (let at = 0; at < size; at += TS_PACKET_BYTES) {
        this.releasedCc.set(pidOf(payload.subarray(at)), payload[at + 3]! & 0x0f)
      }
    }
    out.push({ seq: this.nextSegmentSeq++, size, keyframe, payload })
  }
}

function isAlignedTs(payload: Uint8Array): boolean {
  return payload.length > 0 && payload.length % TS_PACKET_BYTES === 0 && payload[0] === TS_SYNC_BYTE
}
