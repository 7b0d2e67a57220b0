import assert from 'node:assert/strict'
import { test } from 'node:test'
import { refreshStats } from '../../src/experiment/i3/refresh-metrics.ts'

test('Fig. 12 stats: mean over every trigger of every period, per-period maxima averaged and maxed', () => {
  const s = refreshStats([{ counts: [1, 2, 3] }, { counts: [1, 1, 1, 5] }, { counts: [] }])
  assert.equal(s.periods, 3)
  assert.equal(s.triggers, 7 / 3)
  assert.equal(s.mean, 14 / 7)
  assert.equal(s.maxMean, (3 + 5 + 0) / 3)
  assert.equal(s.maxMax, 5)
  assert.deepEqual(s.perPeriod, [
    { triggers: 3, mean: 2, max: 3 },
    { triggers: 4, mean: 2, max: 5 },
    { triggers: 0, mean: 0, max: 0 },
  ])
  assert.deepEqual(refreshStats([]), {
    periods: 0,
    triggers: 0,
    mean: 0,
    maxMean: 0,
    maxMax: 0,
    perPeriod: [],
  })
})
