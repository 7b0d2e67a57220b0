import assert from 'node:assert/strict'
import { test } from 'node:test'
import { treeDepths } from '../../src/experiment/tree-depth.ts'
import { treeHeights } from '../../src/overlays/p2pcast/index.ts'
import { Harness } from './sim-harness.ts'

test('tree depth of a p2pcast swarm: every viewer in both trees, each stripe as deep as the registry says', () => {
  const h = new Harness({ seed: 7 })
  for (let i = 0; i < 60; i++) h.sim.at(i * 100, () => h.sim.addViewer(h.link))
  h.sim.runUntil(12_000)
  h.checkViewsConverged('settled')
  const live = h.sim.liveViewers()
  const d = treeDepths(
    h.sim.sourceId,
    live,
    (id) => h.sim.isAlive(id),
    (id) => h.sim.topology(id),
  )
  // The registry's trees hold the special node too (a leaf, hosted by the source): not a viewer.
  const heights = treeHeights(h.source.registry!.forest)
  assert.equal(d.inTree, live.length, 'cross-feeding trees are not read as loops')
  assert.equal(d.perStripe.length, 2)
  for (const [t, s] of d.perStripe.entries()) {
    assert.equal(s.inTree, live.length)
    assert.ok(
      s.maxDepth === heights[t] || s.maxDepth === heights[t]! - 1,
      `tree ${t}: ${s.maxDepth} vs ${heights[t]}`,
    )
  }
  assert.equal(d.maxDepth, Math.max(...d.perStripe.map((s) => s.maxDepth)))
})
