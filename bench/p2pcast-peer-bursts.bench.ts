// P2PCast peer mode under the conformance suite's bursts, over more seeds than the suite runs:
// 40 viewers join 100 ms apart, then at 10 s a burst of departures (12 crashes or 12 graceful
// leaves 400 ms apart, or 6 crashes 700 ms apart with 1% message loss). At 40 s: is the forest the
// peers hold whole (checkForest) and is every live viewer a member? Prints one line per seed, so a
// failing seed can be replayed; this is a robustness figure, not a speed one.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-peer-bursts.bench.ts [seeds per kind] [join modes, e.g. registry,walk]
import { createRng } from '../src/core/rng.ts'
import {
  checkForest,
  type P2PCastPeerNode,
  PEER_METRIC,
  parseParams,
  peerForestView,
} from '../src/overlays/p2pcast/index.ts'
import { peerModeSim } from './p2pcast-peer-sim.ts'

const PER_KIND = Number(process.argv[2] ?? 8)
const JOINS = (process.argv[3] ?? 'registry').split(',') as ('registry' | 'walk')[]
const KINDS = [
  { kind: 'crash', firstSeed: 301, count: 12, gapMs: 400, loss: 0 },
  { kind: 'leave', firstSeed: 201, count: 12, gapMs: 400, loss: 0 },
  { kind: 'crash+loss', firstSeed: 501, count: 6, gapMs: 700, loss: 0.01 },
] as const

const LAST_RESORTS = [
  PEER_METRIC.forestResets,
  PEER_METRIC.txGiveUps,
  PEER_METRIC.deadPlaceLookups,
  PEER_METRIC.deadPlaceScrubs,
  PEER_METRIC.deadPlacesAssembled,
  PEER_METRIC.deadShortSlots,
  PEER_METRIC.transitionErrors,
  PEER_METRIC.islandRejoins,
]
console.log(`machine: ${process.arch}, Node ${process.version}`)
for (const join of JOINS)
  for (const k of KINDS) {
    let whole = 0
    const fallbacks = new Map<string, number>()
    for (let seed = k.firstSeed; seed < k.firstSeed + PER_KIND; seed++) {
      const params = parseParams({ mode: 'peer', join })
      const { sim, link } = peerModeSim('bench', seed, params, k.loss)
      const rng = createRng(seed, 77)
      for (let i = 0; i < 40; i++) sim.at(i * 100, () => sim.addViewer(link))
      for (let i = 0; i < k.count; i++) {
        sim.at(10_000 + i * k.gapMs, () => {
          const live = sim.liveViewers()
          const victim = live[rng.int(live.length)]!
          if (k.kind === 'leave') sim.leave(victim)
          else sim.crash(victim)
        })
      }
      sim.runUntil(40_000)
      const live = sim.liveViewers()
      const nodeOf = (id: number | string) => sim.protocol(id) as P2PCastPeerNode
      const problems = checkForest(peerForestView(2, sim.sourceId, live, nodeOf))
      const outside = live.filter((id) => !nodeOf(id).isMember).length
      const ok = problems.length === 0 && outside === 0
      if (ok) whole++
      // Last-resort rules used (counted by the nodes): forest resets and the like.
      const used: string[] = []
      for (const name of LAST_RESORTS) {
        const n = (sim.protocolMetrics().get(name) ?? []).reduce((a, b) => a + b, 0)
        fallbacks.set(name, (fallbacks.get(name) ?? 0) + n)
        if (n > 0) used.push(`${name} ${n}`)
      }
      const detail = ok ? 'whole' : `${problems.length} violations (${problems[0] ?? ''}), ${outside} outside`
      console.log(
        `${join.padEnd(8)} ${k.kind.padEnd(10)} seed ${seed}: ${detail}${used.length ? `; ${used.join(', ')}` : ''}`,
      )
    }
    const used = [...fallbacks].map(([name, n]) => `${name} ${n}`).join(', ')
    console.log(`join ${join}, ${k.kind}: whole in ${whole} of ${PER_KIND} seeds (${used})`)
  }
