import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidParamsError, parseParams } from '../../src/overlays/p2pcast/index.ts'
import { PeerRun } from './peer-harness.ts'

test("join 'walk': no JOIN reaches a registry; a random walk picks the contacts; the forest is whole", () => {
  const run = new PeerRun(3, { join: 'walk', walkTtl: 8 })
  for (let i = 0; i < 40; i++) run.sim.at(i * 250, () => run.add())
  run.sim.runUntil(30_000)
  run.assertWhole('after 40 joins')
  assert.equal(run.members().length, 40)
  assert.equal(run.sent.get('join') ?? 0, 0)
  assert.equal(run.sent.get('joined') ?? 0, 0)
  assert.ok((run.sent.get('walk') ?? 0) >= 40)
  // The walk spreads the contacts (a registry's random pick would too): no joiner is its own
  // contact, and the later joins land on many different nodes.
  assert.ok(run.contacts.every(([to, node]) => to !== node))
  const late = new Set(run.contacts.slice(20).map(([, node]) => node))
  assert.ok(late.size >= 8, `distinct contacts of the last joins: ${late.size}`)
})

test("join 'walk': crashes and leaves are repaired without a registry", () => {
  const run = new PeerRun(4, { join: 'walk' })
  for (let i = 0; i < 30; i++) run.sim.at(i * 300, () => run.add())
  run.sim.runUntil(30_000)
  run.assertWhole('after joins')
  for (let k = 0; k < 6; k++) {
    run.sim.at(30_000 + k * 4000, () => {
      const live = run.sim.liveViewers()
      const victim = live[run.rng.int(live.length)]!
      if (k % 2 === 0) run.sim.crash(victim)
      else run.sim.leave(victim)
    })
  }
  run.sim.runUntil(70_000)
  run.assertWhole('after 6 departures')
  assert.equal(run.members().length, 24)
  assert.equal(run.sent.get('delete') ?? 0, 0)
})

test("join 'walk' needs mode 'peer'", () => {
  assert.throws(() => parseParams({ join: 'walk' }), InvalidParamsError)
  assert.equal(parseParams({ join: 'walk', mode: 'peer' }).walkTtl, 12)
})
