import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { cdf, summarize } from '../../src/stream/summary.ts'

test('summarize uses nearest-rank percentiles on a sorted copy', () => {
  const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
  const s = summarize(values)
  assert.deepEqual(s, { count: 10, mean: 5.5, min: 1, p50: 5, p90: 9, p95: 10, p99: 10, max: 10 })
  assert.deepEqual(values, [10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 'input is not reordered')
  // 100 values 1..100: the p-th percentile is exactly p.
  const hundred = Float64Array.from({ length: 100 }, (_, i) => 100 - i)
  const h = summarize(hundred)
  assert.deepEqual([h.p50, h.p90, h.p95, h.p99], [50, 90, 95, 99])
})

test('summarize of nothing is all zeros, and NaN values are left out', () => {
  assert.deepEqual(summarize([]), { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 })
  assert.deepEqual(summarize([Number.NaN]).count, 0)
  const s = summarize([3, Number.NaN, 1])
  assert.equal(s.count, 2)
  assert.equal(s.mean, 2)
})

test('summarize sorts numerically, not as strings', () => {
  const s = summarize([100, 20, 3])
  assert.equal(s.min, 3)
  assert.equal(s.max, 100)
  assert.equal(s.p50, 20)
})

test('cdf has one step per distinct value', () => {
  assert.deepEqual(cdf([3, 1, 3, 2]), [
    { x: 1, p: 0.25 },
    { x: 2, p: 0.5 },
    { x: 3, p: 1 },
  ])
  assert.deepEqual(cdf([]), [])
})

test('cdf thins to at most `points` points and ends at (max, 1)', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i)
  const points = cdf(values, 10)
  assert.equal(points.length, 10)
  assert.deepEqual(points[0], { x: 99, p: 0.1 })
  assert.deepEqual(points.at(-1), { x: 999, p: 1 })
  assert.throws(() => cdf(values, 0), RangeError)
})

test('property: summary is ordered and cdf is a monotone step function', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 50 }),
      (values, points) => {
        const s = summarize(values)
        assert.equal(s.count, values.length)
        const order = [s.min, s.p50, s.p90, s.p95, s.p99, s.max]
        for (let i = 1; i < order.length; i++) assert.ok(order[i]! >= order[i - 1]!)
        assert.ok(s.mean >= s.min - 1e-6 && s.mean <= s.max + 1e-6)
        const c = cdf(values, points)
        assert.ok(c.length >= 1 && c.length <= points)
        for (let i = 1; i < c.length; i++) assert.ok(c[i]!.x > c[i - 1]!.x && c[i]!.p > c[i - 1]!.p)
        assert.deepEqual(c.at(-1), { x: s.max, p: 1 })
        for (const { x, p } of c) {
          assert.equal(p, values.filter((v) => v <= x).length / values.length)
        }
      },
    ),
    { seed: 4242, numRuns: 200 },
  )
})
