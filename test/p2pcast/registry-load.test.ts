import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { P2PCastParams } from '../../src/overlays/p2pcast/index.ts'
import { Harness } from './sim-harness.ts'

const JOINS = 2000
const BURST_MS = 5000

/** 2,000 joins in 5 s (400/s), then 25 s of quiet: what a flash crowd does to the registry. */
function flashCrowd(params: Partial<P2PCastParams>) {
  const h = new Harness({ seed: 9, params })
  for (let i = 0; i < JOINS; i++) h.sim.at((i * BURST_MS) / JOINS, () => h.sim.addViewer(h.link))
  let worstViolations: string[] = []
  for (let t = 1000; t <= BURST_MS + 25_000; t += 1000) {
    h.sim.runUntil(t)
    try {
      h.checkModel(`t=${t}`)
    } catch (err) {
      worstViolations = [(err as Error).message.slice(0, 300)]
      break
    }
  }
  const live = h.sim.liveViewers()
  const unconnected = live.filter((id) => !h.sim.topology(id).connected)
  return { h, live, unconnected, worstViolations }
}

test('flash crowd: 2,000 joins in 5 s keep the forest legal and every viewer connected', () => {
  const { h, live, unconnected, worstViolations } = flashCrowd({})
  assert.deepEqual(worstViolations, [])
  assert.equal(live.length, JOINS)
  assert.deepEqual(unconnected.slice(0, 10), [], `${unconnected.length} viewers not connected`)
  h.checkViewsConverged('25 s after the crowd')
  // Nobody crashed or left: any deletion would have been a false suspicion acted on.
  assert.equal(h.sim.protocolMetrics().get('deleteMessages')?.length ?? 0, 0, 'no member was deleted')
})

test('the same crowd without pacing or verification deletes live members (the test can fail)', () => {
  const { h } = flashCrowd({
    registryControlKbps: 10_000_000,
    registryMaxQueuedUpdates: 1_000_000,
    deleteProbeMs: 0,
  })
  // Measured: 669 deletions of live members, and views that no longer match the registry.
  assert.ok((h.sim.protocolMetrics().get('deleteMessages')?.length ?? 0) > 100)
})
