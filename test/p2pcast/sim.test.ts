import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { Harness } from './sim-harness.ts'

/** Each live viewer's data upload / data download from now until `toMs`. */
function uploadRatiosUntil(h: Harness, toMs: number): Map<NodeId, number> {
  const before = new Map(h.sim.liveViewers().map((id) => [id, { ...h.sim.nodeStats(id) }]))
  h.sim.runUntil(toMs)
  const out = new Map<NodeId, number>()
  for (const id of h.sim.liveViewers()) {
    const a = before.get(id)!
    const b = h.sim.nodeStats(id)
    out.set(id, (b.dataUploadBytes - a.dataUploadBytes) / (b.dataDownloadBytes - a.dataDownloadBytes))
  }
  return out
}

test('viewers join through the registry, the forest keeps its rules and everyone plays', () => {
  const h = new Harness({ seed: 1 })
  for (let i = 0; i < 40; i++) {
    h.sim.at(i * 150, () => h.sim.addViewer(h.link))
  }
  for (let step = 0; step < 40; step++) {
    h.sim.runUntil(step * 150 + 100)
    h.checkModel(`after join ${step}`)
  }
  h.sim.runUntil(15_000)
  h.checkViewsConverged('settled')
  const continuity = h.continuityOver(15_000, 25_000)
  const poor = [...continuity].filter(([, c]) => c < 0.999)
  assert.deepEqual(poor, [])
})

test('crashes: each costs a viewer at most one stripe, parity covers it — continuity stays 100%', () => {
  const h = new Harness({ seed: 2 })
  for (let i = 0; i < 40; i++) h.sim.at(i * 100, () => h.sim.addViewer(h.link))
  h.sim.runUntil(12_000)
  for (let k = 0; k < 8; k++) {
    h.sim.at(12_000 + k * 2500, () => {
      const live = h.sim.liveViewers()
      h.sim.crash(live[h.rng.int(live.length)]!)
    })
  }
  const continuity = h.continuityOver(12_000, 35_000)
  for (let t = 0; t < 10; t++) h.checkModel(`t=${h.sim.now}`)
  h.sim.runUntil(45_000)
  h.checkModel('settled')
  h.checkViewsConverged('settled')
  const poor = [...continuity].filter(([, c]) => c < 1)
  assert.deepEqual(poor, [], 'survivors played every chunk through the crashes')
  const rebuilt = h.sim.liveViewers().reduce<number>((n, id) => n + h.node(id).rebuiltChunks, 0)
  assert.ok(rebuilt > 0, 'parity was needed and used')
})

test('fairness: every viewer uploads what it downloads (ratio 1.00 +- 0.05)', () => {
  const h = new Harness({ seed: 3 })
  for (let i = 0; i < 30; i++) h.sim.at(i * 100, () => h.sim.addViewer(h.link))
  h.sim.runUntil(10_000)
  const off = [...uploadRatiosUntil(h, 30_000)].filter(([, r]) => Math.abs(r - 1) > 0.05)
  assert.deepEqual(off, [])
})

test('randomized joins, leaves and crashes (8 seeds x 200 steps): the forest keeps every rule after each step', () => {
  for (const seed of [21, 22, 23, 24, 25, 26, 27, 28]) {
    const h = new Harness({ seed })
    for (let step = 0; step < 200; step++) {
      const live = h.sim.liveViewers()
      const r = h.rng.next()
      let op = 'join'
      if (live.length < 6 || r < 0.55) h.sim.addViewer(h.link)
      else {
        const victim = live[h.rng.int(live.length)]!
        op = r < 0.8 ? `leave ${victim}` : `crash ${victim}`
        if (r < 0.8) h.sim.leave(victim)
        else h.sim.crash(victim)
      }
      h.sim.runUntil(h.sim.now + 50 + h.rng.int(400))
      h.checkModel(`step ${step} (${op})`)
    }
    h.sim.runUntil(h.sim.now + 10_000)
    h.checkModel('settled')
    h.checkViewsConverged('settled')
  }
})

// f > 2 (our generalization): the same overlay with 3, 4 and 8 stripes, through the bootstrap shape
// (fewer than f viewers: the source feeds the trees no peer can root) and out of it.
for (const stripes of [3, 4, 8]) {
  test(`f=${stripes}: crashes cost at most one stripe, parity (over ${stripes - 1} data stripes) covers it — continuity 100%`, () => {
    const h = new Harness({ seed: 40 + stripes, params: { stripes } })
    for (let i = 0; i < 40; i++) {
      h.sim.at(i * 100, () => h.sim.addViewer(h.link))
      // Check the forest while it grows through the bootstrap shape.
      if (i < stripes + 2) h.sim.at(i * 100 + 50, () => h.checkModel(`after join ${i}`))
    }
    h.sim.runUntil(12_000)
    h.checkModel('grown')
    h.checkViewsConverged('grown')
    for (let k = 0; k < 8; k++) {
      h.sim.at(12_000 + k * 2500, () => {
        const live = h.sim.liveViewers()
        h.sim.crash(live[h.rng.int(live.length)]!)
      })
    }
    const continuity = h.continuityOver(12_000, 35_000)
    h.sim.runUntil(45_000)
    h.checkModel('settled')
    h.checkViewsConverged('settled')
    assert.ok(continuity.size >= 30, `${continuity.size} survivors measured`)
    const poor = [...continuity].filter(([, c]) => c < 1)
    assert.deepEqual(poor, [], 'survivors played every chunk through the crashes')
    const rebuilt = h.sim.liveViewers().reduce<number>((n, id) => n + h.node(id).rebuiltChunks, 0)
    assert.ok(rebuilt > 0, 'parity was needed and used')
  })
}

test('f=3 fairness: every viewer uploads what it downloads (ratio 1.00 +- 0.05)', () => {
  const h = new Harness({ seed: 5, params: { stripes: 3 } })
  for (let i = 0; i < 30; i++) h.sim.at(i * 100, () => h.sim.addViewer(h.link))
  h.sim.runUntil(10_000)
  const off = [...uploadRatiosUntil(h, 30_000)].filter(([, r]) => Math.abs(r - 1) > 0.05)
  assert.deepEqual(off, [])
})

test('f=4 bootstrap: with 3 viewers every one plays everything, each uploads 3 of its 4 stripes', () => {
  const h = new Harness({ seed: 6, params: { stripes: 4 } })
  for (let i = 0; i < 3; i++) h.sim.at(i * 100, () => h.sim.addViewer(h.link))
  h.sim.runUntil(5_000)
  h.checkModel('bootstrap')
  h.checkViewsConverged('bootstrap')
  const continuity = h.continuityOver(5_000, 15_000)
  assert.equal(continuity.size, 3)
  assert.deepEqual(
    [...continuity].filter(([, c]) => c < 1),
    [],
  )
  // Each viewer downloads all 4 stripes (the source feeds the special node's tree directly) and
  // uploads 3: one to each other viewer and one to the special node.
  for (const [id, ratio] of uploadRatiosUntil(h, 25_000)) {
    assert.ok(Math.abs(ratio - 3 / 4) < 0.05, `${id}: upload/download ${ratio.toFixed(3)}, expected 3/4`)
  }
})
