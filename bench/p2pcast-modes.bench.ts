// P2PCast in the simulator, both modes on one scenario: 150 viewers arriving 500 ms apart, then 10
// crashes 5 s apart (delay space, 60 ms from the source; 400 kbit/s at 10 chunks/s; uploads 2.5x
// the stream; seed 5). Prints control messages per join/deletion, parent discovery, aborts, the
// forest check and the worst continuity over the crashes.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-modes.bench.ts
import type { NodeId } from '../src/core/ids.ts'
import { createRng } from '../src/core/rng.ts'
import {
  checkForest,
  type ForestView,
  type P2PCastNode,
  type P2PCastPeerNode,
  p2pcast,
  parseParams,
  SPECIAL,
  treeHeights,
} from '../src/overlays/p2pcast/index.ts'
import { Simulation } from '../src/sim/simulation.ts'
import { createDelaySpace } from '../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../src/stream/playout.ts'

const STREAM = { streamId: 'bench', kbps: 400, chunkRateHz: 10, keyframeEveryChunks: 10 }
const VIEWERS = 150
const CRASHES = 10

const mean = (a: readonly number[] | undefined) =>
  a && a.length > 0 ? (a.reduce((x, y) => x + y, 0) / a.length).toFixed(1) : '-'

console.log(`machine: ${process.arch}, Node ${process.version}`)
for (const mode of ['registry', 'peer'] as const) {
  const params = parseParams({ mode, heartbeatMs: 500 })
  const sim = new Simulation({
    seed: 5,
    overlay: p2pcast,
    params,
    underlay: createDelaySpace({ maxDelayFromSourceMs: 60 }),
    stream: STREAM,
    playout: playoutConfig(STREAM.chunkRateHz, { startupChunks: 20 }),
    sourceLink: { uploadKbps: 4.5 * STREAM.kbps, downloadKbps: Number.POSITIVE_INFINITY },
  })
  const rng = createRng(5, 31)
  const link = { uploadKbps: 2.5 * STREAM.kbps, downloadKbps: 20 * STREAM.kbps }
  const wall = performance.now()
  for (let i = 0; i < VIEWERS; i++) sim.at(i * 500, () => sim.addViewer(link))
  const t0 = VIEWERS * 500 + 15_000
  sim.runUntil(t0)
  for (let k = 0; k < CRASHES; k++) {
    sim.at(t0 + k * 5000, () => {
      const live = sim.liveViewers()
      sim.crash(live[rng.int(live.length)]!)
    })
  }
  const before = new Map(sim.liveViewers().map((id) => [id, sim.nodeStats(id).qoe]))
  sim.runUntil(t0 + 60_000)
  let worst = 1
  for (const id of sim.liveViewers()) {
    const a = before.get(id)
    if (!a) continue
    const b = sim.nodeStats(id).qoe
    worst = Math.min(worst, (b.chunksPlayed - a.chunksPlayed) / Math.max(1, b.chunksDue - a.chunksDue))
  }
  sim.runUntil(t0 + 75_000)
  let view: ForestView
  if (mode === 'registry') view = (sim.protocol(sim.sourceId) as P2PCastNode).registry!.forest
  else {
    const src = sim.protocol(sim.sourceId) as P2PCastPeerNode
    const place = (id: NodeId) =>
      id === SPECIAL || id === sim.sourceId
        ? src.placeOf(id)
        : sim.liveViewers().includes(id)
          ? (sim.protocol(id) as P2PCastPeerNode).placeOf(id)
          : undefined
    view = {
      f: 2,
      source: sim.sourceId,
      special: SPECIAL,
      peers: () => [
        SPECIAL,
        ...sim.liveViewers().filter((id) => (sim.protocol(id) as P2PCastPeerNode).isMember),
      ],
      parentOf: (id, t) => place(id)?.parent[t],
      childrenOf: (id, t) => place(id)?.children[t] ?? [],
    }
  }
  const m = sim.protocolMetrics()
  console.log(
    `${mode.padEnd(8)} rule violations ${checkForest(view).length}, members ${view.peers().length - 1}/${sim.liveViewers().length}, heights ${treeHeights(view).join(',')}; messages/join ${mean(m.get('joinMessages'))}, /deletion ${mean(m.get('deleteMessages'))}; parent discovery ${mean(m.get('parentDiscoveryMs'))} ms; aborted attempts ${m.get('txAborts')?.length ?? 0}; worst continuity over the crashes ${worst.toFixed(4)}; ${((performance.now() - wall) / 1000).toFixed(1)} s wall`,
  )
}
