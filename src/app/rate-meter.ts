/**
 * Recent throughput from a monotonically growing byte counter: sampled (e.g. once a second),
 * the rate is taken over the samples inside the window. Bounded: old samples are dropped.
 */
export class RateMeter {
  private readonly samples: { t: number; bytes: number }[] = []

  constructor(private readonly windowMs = 5000) {}

  sample(now: number, totalBytes: number): void {
    this.samples.push({ t: now, bytes: totalBytes })
    while (this.samples.length > 2 && now - this.samples[1]!.t >= this.windowMs) this.samples.shift()
  }

  /** kbit/s over the window (null until two samples exist). */
  kbps(): number | null {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    if (first === undefined || last === undefined || last.t <= first.t) return null
    return ((last.bytes - first.bytes) * 8) / (last.t - first.t)
  }
}
