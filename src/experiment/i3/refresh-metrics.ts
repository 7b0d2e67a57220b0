/**
 * Fig. 12: "the maximum and the average number of refreshes per trigger during a time interval of
 * length T". Input: for each measured period, the refresh count of every trigger that the servers
 * held through that period (one number per trigger, all servers together).
 */
export interface RefreshPeriod {
  /** Refreshes each trigger received in the period. */
  counts: readonly number[]
}

export interface RefreshStats {
  periods: number
  /** Triggers per period (the mean over periods). */
  triggers: number
  /** Mean over all triggers and periods. */
  mean: number
  /** Per period the largest count; these are their mean and their maximum. */
  maxMean: number
  maxMax: number
  /** Per-period detail, in order. */
  perPeriod: { triggers: number; mean: number; max: number }[]
}

export function refreshStats(periods: readonly RefreshPeriod[]): RefreshStats {
  const perPeriod = periods.map(({ counts }) => {
    let sum = 0
    let max = 0
    for (const c of counts) {
      sum += c
      if (c > max) max = c
    }
    return { triggers: counts.length, mean: counts.length === 0 ? 0 : sum / counts.length, max }
  })
  const n = perPeriod.length
  const totalTriggers = perPeriod.reduce((s, p) => s + p.triggers, 0)
  const totalRefreshes = perPeriod.reduce((s, p) => s + p.mean * p.triggers, 0)
  return {
    periods: n,
    triggers: n === 0 ? 0 : totalTriggers / n,
    mean: totalTriggers === 0 ? 0 : totalRefreshes / totalTriggers,
    maxMean: n === 0 ? 0 : perPeriod.reduce((s, p) => s + p.max, 0) / n,
    maxMax: perPeriod.reduce((m, p) => Math.max(m, p.max), 0),
    perPeriod,
  }
}
