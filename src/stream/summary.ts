/**
 * Aggregation for results. Percentiles are nearest-rank on a sorted copy: the p-th percentile of
 * n values is the value at rank ceil(p/100 * n) (1-based), so every reported figure is a value
 * that was actually measured, never an interpolation. NaN values are left out (a metric that does
 * not apply to a peer should not be averaged in); infinities are kept.
 */
export interface Summary {
  count: number
  mean: number
  min: number
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
}

export interface CdfPoint {
  /** A measured value. */
  x: number
  /** Fraction of values <= x. */
  p: number
}

/** Default number of points a CDF is thinned to (keeps result files and plots small). */
export const DEFAULT_CDF_POINTS = 100

function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length)
  let n = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isNaN(v)) out[n++] = v
  }
  // Typed-array sort is numeric (no string comparison) and deterministic.
  return out.subarray(0, n).sort()
}

/** Value at nearest rank ceil(p * n) of a sorted, non-empty array (p in [0, 1]). */
function nearestRank(sorted: Float64Array, p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length))
  return sorted[rank - 1]!
}

/** count 0 gives all-zero fields (no NaN in result files) and count 0. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedFinite(values)
  const n = sorted.length
  if (n === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 }
  let sum = 0
  for (let i = 0; i < n; i++) sum += sorted[i]!
  return {
    count: n,
    mean: sum / n,
    min: sorted[0]!,
    p50: nearestRank(sorted, 0.5),
    p90: nearestRank(sorted, 0.9),
    p95: nearestRank(sorted, 0.95),
    p99: nearestRank(sorted, 0.99),
    max: sorted[n - 1]!,
  }
}

/**
 * Empirical CDF as step points (x, fraction of values <= x), one per distinct value, in increasing
 * x. With more distinct values than `points`, it is thinned to the first step reaching each of the
 * probabilities 1/points, 2/points, ..., 1 — so the last point is always (max, 1).
 */
export function cdf(values: ArrayLike<number>, points = DEFAULT_CDF_POINTS): CdfPoint[] {
  if (!(Number.isInteger(points) && points >= 1)) {
    throw new RangeError(`cdf: points must be an integer >= 1, got ${points}`)
  }
  const sorted = sortedFinite(values)
  const n = sorted.length
  const steps: CdfPoint[] = []
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!
    // Only the last of equal values is a step of the CDF.
    if (i + 1 < n && sorted[i + 1] === x) continue
    steps.push({ x, p: (i + 1) / n })
  }
  if (steps.length <= points) return steps
  const thinned: CdfPoint[] = []
  let j = 0
  for (let k = 1; k <= points; k++) {
    const target = k / points
    // Steps are sorted by p; the comparison tolerates k/points rounding just above a step's p.
    while (j < steps.length - 1 && steps[j]!.p < target - 1e-12) j++
    const step = steps[j]!
    if (thinned.length === 0 || thinned[thinned.length - 1] !== step) thinned.push(step)
  }
  return thinned
}
