// §3.2.1: the join compares distances built from local clock readings only; offsets cancel.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng } from '../../src/core/rng.ts'
import { i3 } from '../../src/overlays/i3/index.ts'
import { hostSwarm, joinReceivers, skewedI3 } from './host-swarm.ts'

function parentsAfterJoins(skewOf: ((self: NodeId) => number) | null): Map<NodeId, NodeId | undefined> {
  const sim = hostSwarm({
    seed: 9,
    servers: 10,
    overlay: skewOf ? skewedI3(skewOf) : i3,
    params: { maxTriggersPerId: 4 },
  })
  const ids = joinReceivers(sim, 40, 150)
  sim.runUntil(15_000)
  return new Map(ids.map((id) => [id, sim.topology(id).parents[0]]))
}

test('clocks off by up to ±10 s (each node its own offset): the same parents as in sync', () => {
  const inSync = parentsAfterJoins(null)
  assert.equal([...inSync.values()].filter((p) => p === undefined).length, 0, 'everyone joined')
  assert.ok(new Set(inSync.values()).size >= 8, 'a tree with several levels, not a star')
  const offsets = new Map<NodeId, number>()
  const rng = createRng(77)
  const skewed = parentsAfterJoins((self) => {
    let s = offsets.get(self)
    if (s === undefined) offsets.set(self, (s = (rng.next() * 2 - 1) * 10_000))
    return s
  })
  assert.ok(Math.max(...[...offsets.values()].map(Math.abs)) > 9000, 'offsets reach ±10 s')
  assert.deepEqual(skewed, inSync)
})
