// Churn is statistically what the spec says (seeded, so each check is deterministic; bounds are
// about 4 standard deviations so a correct implementation passes for any seed).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { type ChurnSpec, installChurn, sessionLengthS } from '../../src/sim/churn.ts'
import { probeOverlay } from './fixtures/probe-overlay.ts'
import { makeSim, UNLIMITED } from './helpers.ts'

const slowStream = { streamId: 's', kbps: 8, chunkRateHz: 1, keyframeEveryChunks: 1 }

function churnRun(spec: Partial<ChurnSpec>, runUntilS: number, seed = 5) {
  const sim = makeSim(probeOverlay, {}, { stream: slowStream, seed })
  installChurn(
    sim,
    {
      arrivalsPerS: 10,
      startS: 0,
      endS: 1000,
      session: { dist: 'fixed', s: 1 },
      crashFraction: 0,
      link: () => UNLIMITED,
      ...spec,
    },
    createRng(seed, 7),
  )
  sim.runUntil(runUntilS * 1000)
  return sim.allNodeStats().slice(1)
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

test('arrivals are Poisson at the given rate, inside the window', () => {
  const viewers = churnRun({ arrivalsPerS: 10, startS: 100, endS: 1100 }, 1200)
  // 10,000 expected; Poisson sd = 100.
  assert.ok(Math.abs(viewers.length - 10_000) < 400, `${viewers.length} arrivals`)
  const joins = viewers.map((v) => v.joinedAtMs)
  assert.ok(joins[0]! >= 100_000 && joins.at(-1)! < 1_100_000, `window ${joins[0]}..${joins.at(-1)}`)
  const gaps = joins.slice(1).map((t, i) => t - joins[i]!)
  const m = mean(gaps)
  const sd = Math.sqrt(mean(gaps.map((g) => (g - m) ** 2)))
  assert.ok(Math.abs(m - 100) < 4, `mean gap ${m} ms`)
  // Exponential gaps: coefficient of variation 1 (a fixed-rate process would give 0).
  assert.ok(Math.abs(sd / m - 1) < 0.06, `cv ${sd / m}`)
})

test('exponential sessions have the configured mean; crashFraction splits departures', () => {
  const viewers = churnRun({ session: { dist: 'exponential', meanS: 30 }, crashFraction: 0.3 }, 2000)
  assert.ok(
    viewers.every((v) => v.leftAtMs !== null),
    'everyone left by the end',
  )
  const stays = viewers.map((v) => (v.leftAtMs! - v.joinedAtMs) / 1000)
  // ~10,000 sessions: sd of the mean = 0.3 s.
  assert.ok(Math.abs(mean(stays) - 30) < 1.2, `mean session ${mean(stays)} s`)
  const crashed = viewers.filter((v) => v.crashed).length / viewers.length
  assert.ok(Math.abs(crashed - 0.3) < 0.02, `crash share ${crashed}`)
})

test('pareto sessions: never below the scale, median scale * 2^(1/shape)', () => {
  const rng = createRng(11)
  const xs = Array.from({ length: 20_000 }, () =>
    sessionLengthS(rng, { dist: 'pareto', shape: 2.5, scaleS: 10 }),
  )
  assert.ok(
    xs.every((x) => x >= 10),
    'min >= scale',
  )
  const sorted = [...xs].sort((a, b) => a - b)
  const median = sorted[10_000]!
  assert.ok(Math.abs(median - 10 * 2 ** (1 / 2.5)) < 0.3, `median ${median}`)
  // Mean alpha * xm / (alpha - 1) = 16.67 (finite variance for alpha > 2: sd of the mean ~0.1).
  assert.ok(Math.abs(mean(xs) - 50 / 3) < 0.6, `mean ${mean(xs)}`)
})

test('fixed sessions are exact; maxPeers caps the live population', () => {
  const sim = makeSim(probeOverlay, {}, { stream: slowStream })
  let maxLive = 0
  installChurn(
    sim,
    {
      arrivalsPerS: 10,
      startS: 0,
      endS: 60,
      session: { dist: 'fixed', s: 20 },
      crashFraction: 0,
      link: () => UNLIMITED,
      maxPeers: 50,
    },
    createRng(3),
  )
  for (let t = 0; t <= 100_000; t += 250) sim.at(t, () => (maxLive = Math.max(maxLive, sim.liveViewerCount)))
  sim.runUntil(100_000)
  const viewers = sim.allNodeStats().slice(1)
  assert.equal(maxLive, 50)
  assert.ok(
    viewers.every((v) => Math.abs(v.leftAtMs! - v.joinedAtMs - 20_000) < 1e-6),
    'every session lasts 20 s',
  )
  // Without the cap ~600 would have arrived; with it about 3 generations of 50.
  assert.ok(viewers.length < 200, `${viewers.length} admitted`)
})

test('same seed, same churn', () => {
  const spec = { session: { dist: 'exponential', meanS: 5 } as const, crashFraction: 0.5, endS: 50 }
  assert.deepEqual(churnRun(spec, 100, 9), churnRun(spec, 100, 9))
  assert.notDeepEqual(churnRun(spec, 100, 9), churnRun(spec, 100, 10))
})
