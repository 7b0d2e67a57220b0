// Two overlapping crashes whose subtrees intersect (the p2pcast-churn seed 2 case: node 19 high in
// tree 1, node 27 high in tree 0, 260 ms apart; 53 of 1,011 viewers lost chunks): every viewer in
// the intersection loses both stripes until both repairs are done, and parity cannot help.
// Registry mode's backfill (holes asked of the parents whose feeds flow, passed down the cut
// subtree as it arrives) must give every viewer the whole stream.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import {
  type Forest,
  type P2PCastNode,
  p2pcast,
  parseParams,
  SPECIAL,
} from '../../src/overlays/p2pcast/index.ts'
import { Simulation } from '../../src/sim/simulation.ts'
import { createDelaySpace } from '../../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../../src/stream/playout.ts'

// The p2pcast-churn preset's shape (p2pcast-common.ts): 300 kbit/s at 5 chunks/s, a 4 s playout
// buffer, viewers with 1,000 kbit/s up, the source with 1,500.
const STREAM = { streamId: 'overlap', kbps: 300, chunkRateHz: 5, keyframeEveryChunks: 5 }
const VIEWER_LINK = { uploadKbps: 1000, downloadKbps: 2000 }

function subtree(forest: Forest, id: NodeId, t: number): Set<NodeId> {
  const out = new Set<NodeId>()
  const stack = [...forest.childrenOf(id, t)]
  while (stack.length > 0) {
    const c = stack.pop()!
    if (c === SPECIAL || out.has(c)) continue
    out.add(c)
    stack.push(...forest.childrenOf(c, t))
  }
  return out
}

/**
 * 150 viewers, then the tree-1 node with the largest subtree below the root's children crashes,
 * and 300 ms later the tree-0 node whose subtree shares most viewers with it.
 */
export function overlappingCrashes(seed: number, raw: Record<string, unknown> = {}) {
  const sim = new Simulation({
    seed,
    overlay: p2pcast,
    params: parseParams(raw),
    underlay: createDelaySpace(),
    stream: STREAM,
    playout: playoutConfig(STREAM.chunkRateHz, { startupChunks: 4 * STREAM.chunkRateHz }),
    sourceLink: { uploadKbps: 1500, downloadKbps: 1500 },
  })
  for (let i = 0; i < 150; i++) sim.at(i * 100, () => sim.addViewer(VIEWER_LINK))
  sim.runUntil(40_000)
  const forest = (sim.protocol(sim.sourceId) as P2PCastNode).registry!.forest
  const live = sim.liveViewers()
  const notTop = (id: NodeId, t: number) =>
    forest.parentOf(id, t) !== forest.rootOf(t) && id !== forest.rootOf(t)
  let x: NodeId = live[0]!
  let under1 = new Set<NodeId>()
  for (const id of live) {
    const s = subtree(forest, id, 1)
    if (notTop(id, 1) && s.size > under1.size) [x, under1] = [id, s]
  }
  let y: NodeId = live[0]!
  let both: NodeId[] = []
  for (const id of live) {
    if (id === x || !notTop(id, 0)) continue
    const cut = [...subtree(forest, id, 0)].filter((v) => under1.has(v))
    if (cut.length > both.length) [y, both] = [id, cut]
  }
  sim.at(40_100, () => sim.crash(x))
  sim.at(40_400, () => sim.crash(y))
  const before = new Map(live.map((id) => [id, sim.nodeStats(id).qoe]))
  sim.runUntil(60_000)
  const lossy: NodeId[] = []
  for (const id of sim.liveViewers()) {
    const a = before.get(id)
    const b = sim.nodeStats(id).qoe
    if (a && b.chunksPlayed - a.chunksPlayed < b.chunksDue - a.chunksDue) lossy.push(id)
  }
  return { both, lossy }
}

test('two overlapping crashes cutting both stripes of a subtree: every viewer still plays every chunk', () => {
  // Measured (seeds 41-48, 22-62 viewers cut on both stripes): before the fix 21-61 lossy each; now 0.
  for (const seed of [41, 43, 45, 47]) {
    const { both, lossy } = overlappingCrashes(seed)
    assert.ok(both.length >= 5, `seed ${seed}: the crashes cut both stripes of ${both.length} viewers`)
    assert.deepEqual(
      lossy,
      [],
      `seed ${seed}: viewers with continuity < 1 (${both.length} cut on both stripes)`,
    )
  }
})
