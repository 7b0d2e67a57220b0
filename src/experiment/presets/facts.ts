import type { Scenario } from '../scenario.ts'

/** "300 kbit/s at 10 chunks/s": every quoted speed says its data granularity. */
export function streamFacts(s: Scenario): string {
  return `${s.stream.kbps} kbit/s at ${s.stream.chunkRateHz} chunks/s`
}

/** The subtitle line of every plot: what ran, so a figure alone can be reproduced. */
export function runFacts(s: Scenario, peers: string): string {
  return `${peers}, ${streamFacts(s)}, ${s.underlay.kind} underlay, ${s.durationS} s simulated, seed ${s.seed}`
}
