import type { NodeId } from '../../core/ids.ts'
import { type Summary, summarize } from '../../stream/summary.ts'

/** One receiver's delay for the traced packet: through i3, and by IP unicast from the source. */
export interface ReceiverDelay {
  overlayMs: number
  unicastMs: number
}

/** §6.1's latency metrics over one packet's receivers. */
export interface StretchStats {
  /** Receivers with a measured delay (RMD and RAD are over all of them). */
  receivers: number
  /**
   * Receivers 0 ms from the source (on its stub LAN; the paper neglects LAN delay): their stretch
   * is 0/0, so they are left out of the per-receiver stretch and counted here.
   */
  sameLan: number
  /** Per-receiver stretch = overlay delay / unicast delay, over the others. */
  stretch: Summary
  /** Receivers whose stretch is below 1 (impossible on shortest-path routing; a check). */
  belowOne: number
  /** Ratio of the maximum delays: max overlay delay / max unicast delay. */
  rmd: number
  /** Ratio of the average delays: mean overlay delay / mean unicast delay. */
  rad: number
}

/**
 * Latency stretch, RMD and RAD (§6.1). RMD and RAD compare aggregates (the worst and the average
 * receiver), so they keep the same-LAN receivers; a per-receiver ratio cannot.
 */
export function stretchStats(delays: readonly ReceiverDelay[]): StretchStats {
  const ratios: number[] = []
  let sameLan = 0
  let belowOne = 0
  let maxOverlay = 0
  let maxUnicast = 0
  let sumOverlay = 0
  let sumUnicast = 0
  for (const d of delays) {
    maxOverlay = Math.max(maxOverlay, d.overlayMs)
    maxUnicast = Math.max(maxUnicast, d.unicastMs)
    sumOverlay += d.overlayMs
    sumUnicast += d.unicastMs
    if (d.unicastMs === 0) {
      sameLan++
      continue
    }
    const s = d.overlayMs / d.unicastMs
    if (s < 1) belowOne++
    ratios.push(s)
  }
  return {
    receivers: delays.length,
    sameLan,
    stretch: summarize(ratios),
    belowOne,
    rmd: maxUnicast === 0 ? 0 : maxOverlay / maxUnicast,
    rad: sumUnicast === 0 ? 0 : sumOverlay / sumUnicast,
  }
}

/** Link stress of one packet (§6.1) over the physical links it crossed at least once. */
export interface StressStats {
  /** Links crossed by at least one copy. */
  links: number
  max: number
  /** Nearest-rank 99th percentile over the crossed links (the paper quotes 18.6 at 65,536). */
  p99: number
  mean: number
  /** Copies summed over links: the packet's total link-level transmissions. */
  copies: number
}

/** Summarize copies-per-link (e.g. from src/sim/underlay/link-stress.ts linkStress). */
export function stressStats(copiesByLink: ReadonlyMap<number, number>): StressStats {
  const values = [...copiesByLink.values()]
  const s = summarize(values)
  const copies = values.reduce((a, b) => a + b, 0)
  return { links: s.count, max: s.max, p99: s.p99, mean: s.mean, copies }
}

/** Table 2: per tree level, how many receivers sit there and the query messages they processed. */
export interface LevelRow {
  /** 1 = joined at the group root (a child of the source); the source is level 0. */
  level: number
  members: number
  queriesPerMember: number
  queriesSd: number
}

/**
 * Query-distance messages processed per member, by level (Table 2(b)). `levelOf` gives each
 * member's level (members absent from it are not in the tree and are skipped); `queries` the
 * messages each end host received (absent = none).
 */
export function queriesByLevel(
  levelOf: ReadonlyMap<NodeId, number>,
  queries: ReadonlyMap<NodeId, number>,
): LevelRow[] {
  const byLevel = new Map<number, number[]>()
  for (const [node, level] of levelOf) {
    let list = byLevel.get(level)
    if (!list) byLevel.set(level, (list = []))
    list.push(queries.get(node) ?? 0)
  }
  return [...byLevel.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([level, counts]) => {
      const { mean, sd } = meanSd(counts)
      return { level, members: counts.length, queriesPerMember: mean, queriesSd: sd }
    })
}

/** Mean and sample standard deviation (0 for fewer than two values). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length
  if (n === 0) return { mean: 0, sd: 0 }
  const mean = values.reduce((a, b) => a + b, 0) / n
  if (n < 2) return { mean, sd: 0 }
  const sq = values.reduce((a, v) => a + (v - mean) ** 2, 0)
  return { mean, sd: Math.sqrt(sq / (n - 1)) }
}
