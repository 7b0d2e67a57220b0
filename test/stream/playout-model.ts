// A slow, obviously-correct model of the playout rules (unbounded sets, no ring, no bit tricks),
// valid while every seq stays inside the buffer's window (seqs < maxBufferChunks). The property
// tests check PlayoutBuffer against it event by event.
export class PlayoutModel {
  received = new Set<number>()
  held = new Set<number>()
  playing = false
  playStart = 0
  firstSeq = 0
  playhead = 0
  played: number[] = []
  missing = 0
  late = 0
  duplicates = 0
  discarded = 0

  /** sourceTime of seq at a constant-rate source started at 0. */
  sourceTime(seq: number): number {
    return (seq * 1000) / this.rateHz
  }

  constructor(
    readonly rateHz: number,
    readonly startupChunks: number,
    readonly joinTimeMs: number,
  ) {}

  private playTime(seq: number): number {
    return this.playStart + ((seq - this.firstSeq) * 1000) / this.rateHz
  }

  /** Play time of the seq last due minus its sourceTime (seq * period at a constant-rate source). */
  lagMs(): number | null {
    if (!this.playing) return null
    const current = this.playhead - 1
    return this.playTime(current) - this.sourceTime(current)
  }

  advance(now: number, inclusive = true): void {
    if (!this.playing) return
    for (;;) {
      const t = this.playTime(this.playhead)
      if (inclusive ? t > now : t >= now) return
      if (this.held.delete(this.playhead)) this.played.push(this.playhead)
      else this.missing++
      this.playhead++
    }
  }

  push(now: number, seq: number): void {
    this.advance(now, false)
    if (this.received.has(seq)) this.duplicates++
    else if (this.playing && seq < this.playhead) this.late++
    else {
      this.held.add(seq)
      if (!this.playing) {
        let first = seq
        while (this.held.has(first - 1)) first--
        let last = seq
        while (this.held.has(last + 1)) last++
        if (last - first + 1 >= this.startupChunks) {
          for (const s of this.held) {
            if (s >= first) continue
            this.held.delete(s)
            this.discarded++
          }
          this.playing = true
          this.playStart = now
          this.firstSeq = first
          this.playhead = first
        }
      }
    }
    this.received.add(seq)
    this.advance(now, true)
  }
}
