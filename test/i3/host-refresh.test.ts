// §4 / §6.2: REFRESH_ACK suppression keeps refreshes per trigger per period bounded.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { playoutConfig } from '../../src/stream/playout.ts'
import { HOST_TEST_STREAM, hostSwarm, joinReceivers, serversOf } from './host-swarm.ts'

const T = 30_000
/** A slow stream: members need data only to know their distance; refreshes are the subject. */
const slow = {
  stream: { ...HOST_TEST_STREAM, chunkRateHz: 2 },
  playout: playoutConfig(2, { startupChunks: 1 }),
}

/** Max and mean refreshes per tree trigger (id -> id) over one period T, 200 receivers. */
function refreshesPerPeriod(refresh: 'naive' | 'unif' | 'level'): {
  max: number
  mean: number
  triggers: number
} {
  const sim = hostSwarm({ seed: 11, servers: 16, params: { refresh }, extra: slow })
  joinReceivers(sim, 200, 50)
  sim.runUntil(40_000)
  for (const s of serversOf(sim)) s.resetRefreshStats(sim.now)
  sim.runUntil(40_000 + T)
  const counts: number[] = []
  for (const s of serversOf(sim)) {
    for (const t of s.table.triggers())
      if (t.target.kind === 'id' && t.expiresAt > sim.now) counts.push(t.refreshes)
  }
  return {
    max: Math.max(...counts),
    mean: counts.reduce((a, b) => a + b, 0) / counts.length,
    triggers: counts.length,
  }
}

test('200 receivers: unif and level keep refreshes per trigger per period bounded, naive does not', () => {
  const naive = refreshesPerPeriod('naive')
  const unif = refreshesPerPeriod('unif')
  const level = refreshesPerPeriod('level')
  assert.ok(naive.triggers >= 200, 'every receiver has its join trigger')
  // Naive: every receiver below a trigger refreshes it k = 3 times per period.
  assert.ok(naive.max >= 60, `naive max ${naive.max}`)
  for (const [name, r] of [
    ['unif', unif],
    ['level', level],
  ] as const) {
    assert.ok(r.max * 5 < naive.max, `${name} max ${r.max} well below naive ${naive.max}`)
    assert.ok(r.mean >= 2 && r.mean <= 6, `${name} mean ${r.mean.toFixed(2)}: refreshed, about k = 3 times`)
  }
  // unif: about 1 / (alpha + (beta - alpha) / (n + 1)) <= 2 per T/k, plus n v / (T (beta - alpha))
  // refreshes fired while the ack still travels down a subtree of n receivers: grows with n.
  // level: only the receivers one and two levels down use the early interval, so the bound
  // depends on D, not on n (§4), and the max drops below unif's (Fig. 12).
  assert.ok(level.max <= 12, `level max ${level.max}`)
  assert.ok(level.max <= unif.max, `level max ${level.max} <= unif max ${unif.max}`)
})
