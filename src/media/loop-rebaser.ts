import { pesHeaderAt, readTimestamp, writeTimestamp } from './pes.ts'
import {
  continuityCounter,
  hasPayload,
  PAT_PID,
  payloadOffset,
  pcrOf,
  pidOf,
  startsPayloadUnit,
  writeContinuityCounter,
  writePcr,
} from './ts-header.ts'

const PCR_WRAP = 2 ** 33 * 300

interface PidTrack {
  minTs: number
  maxTs: number
  lastTs: number
  /** Smallest positive step between consecutive timestamps: one frame on this PID. */
  minStep: number
  firstCc: number
  lastOutCc: number
  ccShift: number
}

/**
 * Makes a clip played in a loop look like one endless live stream: on every pass after the first,
 * PCR, PTS and DTS are shifted by the clip's span and continuity counters continue where the
 * previous pass stopped. Without this a player sees time run backwards at each loop point and
 * counts continuity errors. The span is learned on the first pass (max - min timestamp + one
 * frame, over every PID), so files are streamed, never read whole.
 */
export class LoopRebaser {
  private readonly tracks = new Map<number, PidTrack>()
  private minPcr = -1
  private maxPcr = -1
  private pass = 0
  /** Total shift of the current pass, in 90 kHz ticks. */
  private shiftTicks = 0
  private spanTicks = -1

  /** Rewrites `packet` in place (a copy the caller owns) for the current pass. */
  process(packet: Uint8Array): void {
    const pid = pidOf(packet)
    const track = this.trackOf(pid, packet)
    if (this.pass > 0) writeContinuityCounter(packet, continuityCounter(packet) + track.ccShift)
    track.lastOutCc = continuityCounter(packet)
    const pcr = pcrOf(packet)
    if (pcr >= 0) {
      if (this.pass === 0) {
        if (this.minPcr < 0 || pcr < this.minPcr) this.minPcr = pcr
        if (pcr > this.maxPcr) this.maxPcr = pcr
      } else {
        writePcr(packet, (pcr + this.shiftTicks * 300) % PCR_WRAP)
      }
    }
    if (pid === PAT_PID || !startsPayloadUnit(packet)) return
    const pes = pesHeaderAt(packet, payloadOffset(packet))
    if (pes === null) return
    if (this.pass === 0) {
      const pts = pes.ptsOffset >= 0 ? readTimestamp(packet, pes.ptsOffset) : -1
      const dts = pes.dtsOffset >= 0 ? readTimestamp(packet, pes.dtsOffset) : -1
      // Decode order (DTS, else PTS) must continue across the loop; PTS follows by the same shift.
      // PTS alone would overstate the span by the B-frame reorder delay.
      const decodeTs = dts >= 0 ? dts : pts
      this.learnRange(track, decodeTs)
      this.learnStep(track, decodeTs)
      return
    }
    for (const at of [pes.ptsOffset, pes.dtsOffset]) {
      if (at >= 0) writeTimestamp(packet, at, readTimestamp(packet, at) + this.shiftTicks)
    }
  }

  /** The input starts over from its first byte. */
  nextPass(): void {
    if (this.spanTicks < 0) this.spanTicks = this.measureSpan()
    this.pass++
    this.shiftTicks += this.spanTicks
    for (const track of this.tracks.values()) {
      track.ccShift = (track.lastOutCc + 1 - track.firstCc + 16) & 0x0f
    }
  }

  get passes(): number {
    return this.pass
  }

  private measureSpan(): number {
    let span = 0
    for (const track of this.tracks.values()) {
      if (track.minTs < 0) continue
      const step = Number.isFinite(track.minStep) ? track.minStep : 0
      span = Math.max(span, track.maxTs - track.minTs + step)
    }
    if (span === 0 && this.minPcr >= 0) span = Math.ceil((this.maxPcr - this.minPcr) / 300)
    // A clip with no clock at all: shifting by one second still keeps timestamps moving forward.
    return span > 0 ? span : 90_000
  }

  private learnRange(track: PidTrack, ts: number): void {
    if (ts < 0) return
    if (track.minTs < 0 || ts < track.minTs) track.minTs = ts
    if (ts > track.maxTs) track.maxTs = ts
  }

  private learnStep(track: PidTrack, ts: number): void {
    if (ts < 0) return
    if (track.lastTs >= 0 && ts > track.lastTs) track.minStep = Math.min(track.minStep, ts - track.lastTs)
    track.lastTs = ts
  }

  private trackOf(pid: number, packet: Uint8Array): PidTrack {
    let track = this.tracks.get(pid)
    if (track === undefined) {
      // Packets without payload do not advance the counter, so the first one's value is the
      // counter the next payload packet would have minus one.
      const cc = continuityCounter(packet)
      track = {
        minTs: -1,
        maxTs: -1,
        lastTs: -1,
        minStep: Number.POSITIVE_INFINITY,
        firstCc: hasPayload(packet) ? cc : (cc + 1) & 0x0f,
        lastOutCc: cc,
        ccShift: 0,
      }
      this.tracks.set(pid, track)
    }
    return track
  }
}
