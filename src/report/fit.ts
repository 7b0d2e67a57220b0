/** Ordinary least squares y = intercept + slope * x, with the coefficient of determination R². */
export interface LinearRegression {
  slope: number
  intercept: number
  r2: number
  n: number
}

export function linearRegression(xs: readonly number[], ys: readonly number[]): LinearRegression {
  const n = Math.min(xs.length, ys.length)
  if (n === 0) return { slope: 0, intercept: 0, r2: 0, n: 0 }
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) {
    sx += xs[i]!
    sy += ys[i]!
  }
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx
    const dy = ys[i]! - my
    sxx += dx * dx
    sxy += dx * dy
    syy += dy * dy
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  const intercept = my - slope * mx
  // All points on a horizontal line are perfectly explained by it.
  const r2 = syy === 0 ? 1 : sxx === 0 ? 0 : (sxy * sxy) / (sxx * syy)
  return { slope, intercept, r2, n }
}
