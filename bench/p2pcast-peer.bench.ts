// P2PCast peer mode: control messages per join and per leave vs N, for both ways of joining
// (registry, random walk). N viewers arrive 500 ms apart, then N/10 departures (half graceful
// leaves, half crashes) 3 s apart; delay space 60 ms from the source; 400 kbit/s at 10 chunks/s;
// uploads 2.5x the stream; heartbeat 500 ms; seed 7. Per operation: messages the coordinating
// peer sent (SEARCH, TAKEON/SUBSTITUTE/REPLACE/DIRECT, COMMIT, ABORT, ASK, retries included;
// metric joinMessages/deleteMessages), and the operation messages of every peer during the phase
// (replies, votes, acks, registry and walk messages included) per operation. UPDATE/RELAY are left
// out of both: they mix each change's fan-out with the periodic refresh every 8th beat.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-peer.bench.ts [N...]

import { createRng } from '../src/core/rng.ts'
import {
  checkForest,
  type P2PCastMessage,
  type P2PCastPeerNode,
  p2pcast,
  parseParams,
  peerForestView,
  treeHeights,
} from '../src/overlays/p2pcast/index.ts'
import { Simulation } from '../src/sim/simulation.ts'
import { createDelaySpace } from '../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../src/stream/playout.ts'

const STREAM = { streamId: 'bench', kbps: 400, chunkRateHz: 10, keyframeEveryChunks: 10 }
const SIZES = process.argv.slice(2).map(Number)
const NOT_OPERATION = new Set(['heartbeat', 'chunk', 'update', 'relay'])

const mean = (a: readonly number[]) => (a.length > 0 ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN)

console.log(`machine: ${process.arch}, Node ${process.version}`)
console.log(
  'join     | N   | msgs/join (coord) | all/join | msgs/leave (coord) | all/leave | discovery ms | aborts | heights | forest',
)
for (const join of ['registry', 'walk'] as const) {
  for (const n of SIZES.length > 0 ? SIZES : [50, 100, 200, 400]) {
    const params = parseParams({ mode: 'peer', join, heartbeatMs: 500 })
    let counting = 0
    const sim = new Simulation<P2PCastMessage, typeof params>({
      seed: 7,
      overlay: p2pcast,
      params,
      underlay: createDelaySpace({ maxDelayFromSourceMs: 60 }),
      stream: STREAM,
      playout: playoutConfig(STREAM.chunkRateHz, { startupChunks: 20 }),
      sourceLink: { uploadKbps: 4.5 * STREAM.kbps, downloadKbps: Number.POSITIVE_INFINITY },
      onTransmit: (_from, _to, msg) => {
        if (!NOT_OPERATION.has(msg.type)) counting++
      },
    })
    const rng = createRng(7, 31)
    const link = { uploadKbps: 2.5 * STREAM.kbps, downloadKbps: 20 * STREAM.kbps }
    for (let i = 0; i < n; i++) sim.at(i * 500, () => sim.addViewer(link))
    const t0 = n * 500 + 20_000
    sim.runUntil(t0)
    const joinAll = counting / n
    const joinMetrics = [...(sim.protocolMetrics().get('joinMessages') ?? [])]
    const discovery = mean(sim.protocolMetrics().get('parentDiscoveryMs') ?? [])
    const departures = Math.max(2, Math.round(n / 10))
    counting = 0
    for (let k = 0; k < departures; k++) {
      sim.at(sim.now + k * 3000, () => {
        const live = sim.liveViewers()
        const victim = live[rng.int(live.length)]!
        if (k % 2 === 0) sim.leave(victim)
        else sim.crash(victim)
      })
    }
    sim.runUntil(sim.now + 3000 * departures + 20_000)
    const leaveAll = counting / departures
    const deleteMetrics = sim.protocolMetrics().get('deleteMessages') ?? []
    const aborts = (sim.protocolMetrics().get('txAborts') ?? []).length
    const view = peerForestView(
      2,
      sim.sourceId,
      sim.liveViewers(),
      (id) => sim.protocol(id) as P2PCastPeerNode,
    )
    const problems = checkForest(view).length
    console.log(
      [
        join.padEnd(8),
        String(n).padStart(3),
        mean(joinMetrics).toFixed(1).padStart(17),
        joinAll.toFixed(1).padStart(8),
        mean(deleteMetrics).toFixed(1).padStart(18),
        leaveAll.toFixed(1).padStart(9),
        discovery.toFixed(0).padStart(12),
        String(aborts).padStart(6),
        treeHeights(view).join(',').padStart(7),
        problems === 0 ? 'whole' : `${problems} violations`,
      ].join(' | '),
    )
  }
}
