import { PCR_TICKS_PER_MS, pcrOf, pidOf, TS_PACKET_BYTES } from './ts-header.ts'

/**
 * When each packet of a recorded stream is due if it is replayed live: anchored on the first PCR
 * (on the first PID that carries one), a packet is due at anchorTime + (its PCR - anchor PCR);
 * packets between PCRs share the previous PCR's time. Before any PCR, and for streams without
 * one, bytes are paced at a fixed bitrate. A PCR that jumps (a spliced or restarted file)
 * re-anchors instead of stalling or bursting. Pure arithmetic: the caller owns the clock.
 */
export class PcrPacer {
  private pcrPid = -1
  private anchorPcr = -1
  private anchorTime: number
  private lastPcr = -1
  private lastTime: number
  private bytes = 0

  constructor(
    startTime: number,
    private readonly fallbackBitrateBps: number,
    private readonly maxPcrJumpMs = 1000,
  ) {
    this.anchorTime = startTime
    this.lastTime = startTime
  }

  get pacedByPcr(): boolean {
    return this.anchorPcr >= 0
  }

  /** Due time (ms, caller's clock) of the next packet of the stream. */
  dueTime(packet: Uint8Array): number {
    this.bytes += TS_PACKET_BYTES
    const pcr = pcrOf(packet)
    const usable = pcr >= 0 && (this.pcrPid < 0 || pidOf(packet) === this.pcrPid)
    if (!usable) {
      if (this.anchorPcr < 0) this.lastTime = this.anchorTime + (this.bytes * 8000) / this.fallbackBitrateBps
      return this.lastTime
    }
    this.pcrPid = pidOf(packet)
    const jumped =
      this.lastPcr >= 0 && (pcr < this.lastPcr || pcr - this.lastPcr > this.maxPcrJumpMs * PCR_TICKS_PER_MS)
    if (this.anchorPcr < 0 || jumped) {
      this.anchorPcr = pcr
      this.anchorTime = this.lastTime
    }
    this.lastPcr = pcr
    this.lastTime = this.anchorTime + (pcr - this.anchorPcr) / PCR_TICKS_PER_MS
    return this.lastTime
  }

  /** Moves the schedule later by `ms`: the consumer fell behind and catching up would burst. */
  delay(ms: number): void {
    this.anchorTime += ms
    this.lastTime += ms
  }
}
