// P2PCast peer mode under the conformance suite's sustained churn (seed 404: 1.5 arrivals/s for
// 150 s, exponential sessions of mean 40 s, 30% crashes, at most 120 live), replayed outside the
// suite to see why the forest is never whole again. Every 10 s of simulated time: live viewers,
// members, checkForest violations of the forest the peers hold, dead nodes still named by a live
// place and how long ago the oldest of them departed; per interval the departures, joins done,
// deletions finished, aborts and give-ups. At the end: the share of viewer-time spent outside the
// forest. Diagnostic, not a speed figure.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-peer-churn.bench.ts [join modes, e.g. registry,walk] [seed]
import type { NodeId } from '../src/core/ids.ts'
import { createRng } from '../src/core/rng.ts'
import {
  checkForest,
  type P2PCastPeerNode,
  PEER_METRIC,
  parseParams,
  peerForestView,
  SPECIAL,
} from '../src/overlays/p2pcast/index.ts'
import { installChurn } from '../src/sim/churn.ts'
import { peerModeSim } from './p2pcast-peer-sim.ts'

const JOINS = (process.argv[2] ?? 'registry,walk').split(',') as ('registry' | 'walk')[]
const SEED = Number(process.argv[3] ?? 404)
const STEP_MS = 10_000
const END_MS = 175_000
const COUNTED = [
  PEER_METRIC.parentDiscoveryMs,
  PEER_METRIC.deleteMessages,
  PEER_METRIC.txAborts,
  PEER_METRIC.txGiveUps,
  PEER_METRIC.forestResets,
  PEER_METRIC.deadShortSlots,
  PEER_METRIC.transitionErrors,
  PEER_METRIC.islandRejoins,
] as const

console.log(`machine: ${process.arch}, Node ${process.version}; seed ${SEED}`)
for (const join of JOINS) {
  const params = parseParams({ stripes: 2, mode: 'peer', join })
  const { sim, link } = peerModeSim('conformance', SEED, params)
  installChurn(
    sim,
    {
      arrivalsPerS: 1.5,
      startS: 0,
      endS: 150,
      session: { dist: 'exponential', meanS: 40 },
      crashFraction: 0.3,
      link: () => link,
      maxPeers: 120,
    },
    createRng(SEED, 5),
  )
  const leave = sim.leave.bind(sim)
  const crash = sim.crash.bind(sim)
  const departedAt = new Map<NodeId, number>()
  sim.leave = (id) => {
    if (sim.now >= 150_000) return
    departedAt.set(id, sim.now)
    leave(id)
  }
  sim.crash = (id) => {
    if (sim.now >= 150_000) return
    departedAt.set(id, sim.now)
    crash(id)
  }
  const nodeOf = (id: NodeId) => sim.protocol(id) as P2PCastPeerNode
  const seen = new Map<string, number>()
  let viewerMs = 0
  let outsideMs = 0
  console.log(`join ${join}`)
  console.log(
    '   t s  live  members  violations  dead named  oldest s | departures  joins  deletions  aborts  give-ups  resets  short  errors  islands',
  )
  for (let t = 0; t < END_MS; ) {
    // Sample membership every second for the time shares; print every STEP_MS.
    t += 1000
    sim.runUntil(t)
    const live = sim.liveViewers()
    const outside = live.filter((id) => !nodeOf(id).isMember).length
    viewerMs += live.length * 1000
    outsideMs += outside * 1000
    if (t % STEP_MS !== 0) continue
    const alive = new Set(live)
    const view = peerForestView(2, sim.sourceId, live, nodeOf)
    const problems = checkForest(view)
    const deadNamed = new Set<NodeId>()
    for (const id of view.peers()) {
      for (let tree = 0; tree < 2; tree++) {
        const p = view.parentOf(id, tree)
        if (p !== undefined && p !== sim.sourceId && p !== SPECIAL && !alive.has(p)) deadNamed.add(p)
        for (const c of view.childrenOf(id, tree)) if (c !== SPECIAL && !alive.has(c)) deadNamed.add(c)
      }
    }
    const oldestS = Math.max(0, ...[...deadNamed].map((d) => (t - (departedAt.get(d) ?? t)) / 1000))
    const departures = [...departedAt.values()].filter((at) => at > t - STEP_MS && at <= t).length
    const delta: number[] = [departures]
    const metrics = sim.protocolMetrics()
    for (const name of COUNTED) {
      const n = (metrics.get(name) ?? []).length
      const sum =
        name === PEER_METRIC.parentDiscoveryMs || name === PEER_METRIC.deleteMessages
          ? n
          : sumOf(metrics.get(name))
      delta.push(sum - (seen.get(name) ?? 0))
      seen.set(name, sum)
    }
    console.log(
      `${String(t / 1000).padStart(6)}  ${String(live.length).padStart(4)}  ${String(live.length - outside).padStart(7)}  ${String(problems.length).padStart(10)}   ${String(deadNamed.size).padStart(10)}  ${oldestS.toFixed(0).padStart(8)} | ${delta.map((d, i) => String(d).padStart([10, 6, 10, 7, 9, 7, 6, 7, 8][i]!)).join(' ')}`,
    )
  }
  console.log(
    `join ${join}: viewers outside the forest ${((100 * outsideMs) / viewerMs).toFixed(1)} % of viewer-time`,
  )
}

function sumOf(values: readonly number[] | undefined): number {
  return (values ?? []).reduce((a, b) => a + b, 0)
}
