// P2PCast peer mode under the conformance suite's sustained churn (seed 404: 1.5 arrivals/s for
// 150 s, exponential sessions of mean 40 s, 30% crashes, at most 120 live), replayed outside the
// suite to see why the forest is never whole again. Every 10 s of simulated time: live viewers,
// members, checkForest violations of the forest the peers hold, dead nodes still named by a live
// place and how long ago the oldest of them departed; per interval the departures, joins done,
// deletions finished, aborts and give-ups. At the end: the share of viewer-time spent outside the
// forest, and a census of the dead region's live boundary (regionCensus, below). Diagnostic, not
// a speed figure.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-peer-churn.bench.ts [join modes, e.g. registry,walk] [seed]
import type { NodeId } from '../src/core/ids.ts'
import { createRng } from '../src/core/rng.ts'
import {
  checkForest,
  type ForestView,
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
  const alive = new Set(sim.liveViewers())
  const census = regionCensus(peerForestView(2, sim.sourceId, [...alive], nodeOf), alive)
  console.log(
    `join ${join}: boundary at ${END_MS / 1000} s: orphans ${census.orphanLeaves} leaves + ${census.orphanSubtrees} with a subtree, freed slots ${census.freedSlots}, re-attachable ${census.matchedLeaves} + ${census.matchedSubtrees}, per-tree freed - orphans ${census.imbalance.join(' / ')}`,
  )
  console.log(
    `join ${join}: viewers outside the forest ${((100 * outsideMs) / viewerMs).toFixed(1)} % of viewer-time`,
  )
}

function sumOf(values: readonly number[] | undefined): number {
  return (values ?? []).reduce((a, b) => a + b, 0)
}

// The dead region's live boundary in a peer forest, per tree: for the region rebuild that issue 4's
// sustained churn still needs (docs/architecture/p2pcast.md, peer mode, "Leaf re-attach"). An
// *orphan* is a live member whose parent in tree t is dead; a *freed slot* is a live member's edge
// to a dead child in t (dropping it frees the slot). The matching counts how many orphans could
// take a freed slot in the same tree without breaking the forest rules: the adopter is not the
// orphan's parent in another tree (distinct parents), an orphan with a subtree in t needs an adopter
// internal in t (an incomplete node's children are leaves) that is not inside that subtree (no cycle).
// Greedy (leaves first), so a lower bound on what a matching could re-attach.
interface RegionCensus {
  orphanLeaves: number
  orphanSubtrees: number
  freedSlots: number
  matchedLeaves: number
  matchedSubtrees: number
  /** Per tree, freed slots minus orphans: what re-attaching alone cannot balance. */
  imbalance: number[]
}

function regionCensus(view: ForestView, alive: ReadonlySet<NodeId>): RegionCensus {
  const isDead = (n: NodeId) => n !== view.source && n !== view.special && !alive.has(n)
  const members = view.peers().filter((id) => id !== view.special)
  const census: RegionCensus = {
    orphanLeaves: 0,
    orphanSubtrees: 0,
    freedSlots: 0,
    matchedLeaves: 0,
    matchedSubtrees: 0,
    imbalance: [],
  }
  for (let t = 0; t < view.f; t++) {
    const free = new Map<NodeId, number>()
    for (const q of members) {
      const n = view.childrenOf(q, t).filter(isDead).length
      if (n > 0) free.set(q, n)
    }
    const orphans = members.filter((m) => {
      const p = view.parentOf(m, t)
      return p !== undefined && isDead(p)
    })
    let freed = 0
    for (const n of free.values()) freed += n
    census.freedSlots += freed
    census.imbalance.push(freed - orphans.length)
    // Leaves first: they fit under any adopter, so the subtrees get the internal adopters left.
    const leafFirst = [...orphans].sort((a, b) => view.childrenOf(a, t).length - view.childrenOf(b, t).length)
    for (const m of leafFirst) {
      const subtree = view.childrenOf(m, t).length > 0
      if (subtree) census.orphanSubtrees++
      else census.orphanLeaves++
      const otherParents = new Set<NodeId | undefined>()
      for (let u = 0; u < view.f; u++) if (u !== t) otherParents.add(view.parentOf(m, u))
      const adopter = [...free.keys()].find(
        (q) =>
          q !== m &&
          !otherParents.has(q) &&
          (!subtree || (view.childrenOf(q, t).length === view.f && !below(view, t, q, m))),
      )
      if (adopter === undefined) continue
      const left = (free.get(adopter) ?? 1) - 1
      if (left === 0) free.delete(adopter)
      else free.set(adopter, left)
      if (subtree) census.matchedSubtrees++
      else census.matchedLeaves++
    }
  }
  return census
}

/** Is q at or below m in tree t (following live parents up)? */
function below(view: ForestView, t: number, q: NodeId, m: NodeId): boolean {
  const seen = new Set<NodeId>()
  for (let n: NodeId | undefined = q; n !== undefined && !seen.has(n); n = view.parentOf(n, t)) {
    if (n === m) return true
    seen.add(n)
  }
  return false
}
