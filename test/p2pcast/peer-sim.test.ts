import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkForest } from '../../src/overlays/p2pcast/index.ts'
import { Harness, peerForestView } from './sim-harness.ts'

test('peer mode: joins run as transactions; the forest the peers hold keeps every rule', () => {
  const h = new Harness({ seed: 1, params: { mode: 'peer' } })
  // Joins into a small forest collide (every one touches the roots and the special node) and
  // retry; 40 arrivals 300 ms apart are all in within 30 s.
  for (let i = 0; i < 40; i++) h.sim.at(i * 300, () => h.sim.addViewer(h.link))
  h.sim.runUntil(30_000)
  const members = peerForestView(h).peers().length - 1
  assert.equal(members, 40)
  assert.deepEqual(checkForest(peerForestView(h)), [])
  const continuity = h.continuityOver(30_000, 40_000)
  assert.deepEqual(
    [...continuity].filter(([, c]) => c < 0.999),
    [],
  )
})

test('peer mode: children of a crashed node run its deletion; parity keeps continuity at 100%', () => {
  const h = new Harness({ seed: 2, params: { mode: 'peer' } })
  for (let i = 0; i < 30; i++) h.sim.at(i * 300, () => h.sim.addViewer(h.link))
  h.sim.runUntil(25_000)
  assert.deepEqual(checkForest(peerForestView(h)), [])
  for (let k = 0; k < 6; k++) {
    h.sim.at(25_000 + k * 4000, () => {
      const live = h.sim.liveViewers()
      const victim = live[h.rng.int(live.length)]!
      if (k % 2 === 0) h.sim.crash(victim)
      else h.sim.leave(victim)
    })
  }
  const continuity = h.continuityOver(25_000, 50_000)
  h.sim.runUntil(60_000)
  const view = peerForestView(h)
  assert.deepEqual(checkForest(view), [])
  assert.equal(view.peers().length - 1, h.sim.liveViewers().length, 'every live viewer is in the forest')
  assert.deepEqual(
    [...continuity].filter(([, c]) => c < 1),
    [],
  )
})

// Peer mode still starves small forests under heavy churn (docs/architecture/p2pcast.md), so a
// burst here has at most one departure.
test('peer mode: randomized bursts of joins with one leave or crash; after each quiet period the forest is whole', () => {
  for (const seed of [31, 32, 33, 34]) {
    const h = new Harness({ seed, params: { mode: 'peer' } })
    for (let i = 0; i < 12; i++) h.sim.at(i * 400, () => h.sim.addViewer(h.link))
    h.sim.runUntil(15_000)
    for (let round = 0; round < 8; round++) {
      // A burst of concurrent operations, then quiet time, then the check.
      let departed = false
      for (let k = 0; k < 4; k++) {
        const live = h.sim.liveViewers()
        const r = h.rng.next()
        if (live.length < 6 || r < 0.5 || departed) h.sim.addViewer(h.link)
        else if (r < 0.75) h.sim.leave(live[h.rng.int(live.length)]!)
        else h.sim.crash(live[h.rng.int(live.length)]!)
        departed ||= live.length >= 6 && r >= 0.5
        h.sim.runUntil(h.sim.now + 100 + h.rng.int(300))
      }
      h.sim.runUntil(h.sim.now + 15_000)
      const view = peerForestView(h)
      assert.deepEqual(checkForest(view), [], `seed ${seed} round ${round}`)
      assert.equal(
        view.peers().length - 1,
        h.sim.liveViewers().length,
        `seed ${seed} round ${round}: all live viewers in`,
      )
    }
  }
})
