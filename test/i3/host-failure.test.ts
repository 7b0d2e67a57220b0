// Soft state (§4): a crashed receiver's subtree keeps its chain alive; leaves clean up.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { gapsAndRepeats, hostOf, hostSwarm, joinReceivers, recordingI3, triggerLive } from './host-swarm.ts'

const T = 30_000

function tree() {
  const { overlay, delivered } = recordingI3()
  const sim = hostSwarm({ seed: 4, servers: 8, overlay, params: { maxTriggersPerId: 4 } })
  const ids = joinReceivers(sim, 20, 100)
  sim.runUntil(10_000)
  const childrenOf = (p: NodeId) => ids.filter((id) => sim.isAlive(id) && sim.topology(id).parents[0] === p)
  const subtreeOf = (p: NodeId): NodeId[] => childrenOf(p).flatMap((c) => [c, ...subtreeOf(c)])
  return { sim, ids, delivered, childrenOf, subtreeOf }
}

test('an interior receiver crashes: its subtree keeps receiving, its own triggers expire after T', () => {
  const { sim, ids, delivered, childrenOf, subtreeOf } = tree()
  const victim = ids.find((id) => childrenOf(id).length >= 2)!
  assert.notEqual(victim, undefined)
  const host = hostOf(sim, victim)
  const self = { kind: 'host', node: victim } as const
  const chainIn = { kind: 'id', id: host.treeId } as const
  const joinedAt = host.ancestors[host.ancestors.length - 1]!
  const subtree = subtreeOf(victim)
  sim.crash(victim)
  const crashSeq = Math.floor(sim.now / 100)
  sim.runUntil(sim.now + 1000)
  assert.ok(triggerLive(sim, host.treeId, self), 'soft state: still there right after the crash')
  sim.runUntil(sim.now + T + 1000)
  assert.ok(!triggerLive(sim, host.treeId, self), 'the self trigger expired: nobody refreshes it')
  assert.ok(!triggerLive(sim, host.privateId, self), 'the private trigger expired')
  assert.ok(
    triggerLive(sim, joinedAt, chainIn),
    'the chain into its tree id lives on: the subtree refreshes it',
  )
  const lastSeq = Math.floor(sim.now / 100) - 5
  for (const id of subtree) {
    const { missing, repeated } = gapsAndRepeats(delivered.get(id)!, crashSeq - 20, lastSeq)
    assert.deepEqual(missing, [], `descendant ${id} of the crashed ${victim} misses nothing`)
    assert.deepEqual(repeated, [])
    assert.ok(sim.topology(id).connected)
  }
})

test('graceful leave: a leaf removes all its triggers at once; an interior node keeps its subtree fed', () => {
  const { sim, ids, delivered, childrenOf, subtreeOf } = tree()
  const leaf = ids.find((id) => childrenOf(id).length === 0 && hostOf(sim, id).stats.level! >= 2)!
  const interior = ids.find((id) => childrenOf(id).length >= 2)!
  const leafHost = hostOf(sim, leaf)
  const leafSelf = { kind: 'host', node: leaf } as const
  const leafJoinedAt = leafHost.ancestors[leafHost.ancestors.length - 1]!
  const inner = hostOf(sim, interior)
  const innerJoinedAt = inner.ancestors[inner.ancestors.length - 1]!
  const subtree = subtreeOf(interior)
  sim.leave(leaf)
  sim.leave(interior)
  const leaveSeq = Math.floor(sim.now / 100)
  sim.runUntil(sim.now + 1000)
  assert.ok(!triggerLive(sim, leafHost.treeId, leafSelf), 'leaf self trigger removed')
  assert.ok(!triggerLive(sim, leafHost.privateId, leafSelf), 'leaf private trigger removed')
  assert.ok(!triggerLive(sim, leafJoinedAt, { kind: 'id', id: leafHost.treeId }), 'leaf join trigger removed')
  assert.ok(
    !triggerLive(sim, inner.treeId, { kind: 'host', node: interior }),
    'interior self trigger removed',
  )
  assert.ok(
    triggerLive(sim, innerJoinedAt, { kind: 'id', id: inner.treeId }),
    'interior join trigger kept for its children',
  )
  sim.runUntil(sim.now + 2 * T)
  const lastSeq = Math.floor(sim.now / 100) - 5
  for (const id of subtree) {
    const { missing } = gapsAndRepeats(delivered.get(id)!, leaveSeq - 20, lastSeq)
    assert.deepEqual(missing, [], `descendant ${id} of the departed ${interior} misses nothing`)
  }
  // Newcomers still find places (the departed left their sets).
  const late = joinReceivers(sim, 3, 100)
  sim.runUntil(sim.now + 10_000)
  for (const id of late) assert.ok(hostOf(sim, id).joined, `late receiver ${id} joined`)
})

for (const kind of ['leave', 'crash'] as const) {
  test(`every receiver at the root level ${kind === 'leave' ? 'leaves' : 'crashes'}: a child stands in, newcomers still join`, () => {
    const { overlay, delivered } = recordingI3()
    // Probing every 5 s so that crashes are noticed within the test (default: a minute).
    const sim = hostSwarm({
      seed: 6,
      servers: 8,
      overlay,
      params: { maxTriggersPerId: 4, probeIntervalMs: 5000 },
    })
    const ids = joinReceivers(sim, 20, 100)
    sim.runUntil(10_000)
    const top = ids.filter((id) => hostOf(sim, id).stats.level === 1)
    assert.equal(top.length, 4)
    for (const id of top) {
      if (kind === 'leave') sim.leave(id)
      else sim.crash(id)
    }
    const goneSeq = Math.floor(sim.now / 100)
    sim.runUntil(sim.now + 20_000)
    const late = joinReceivers(sim, 8, 200)
    sim.runUntil(sim.now + 15_000)
    for (const id of late)
      assert.ok(hostOf(sim, id).joined, `newcomer ${id} joined under a departed receiver's id`)
    const lastSeq = Math.floor(sim.now / 100) - 5
    for (const id of [...ids.filter((id) => !top.includes(id)), ...late]) {
      const seqs = delivered.get(id)!
      const from = late.includes(id) ? seqs[0]! : goneSeq - 20
      assert.deepEqual(gapsAndRepeats(seqs, from, lastSeq).missing, [], `receiver ${id} keeps receiving`)
    }
  })
}
