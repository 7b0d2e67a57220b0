import { createRng } from '../core/rng.ts'
import { installChurn } from '../sim/churn.ts'
import { Simulation } from '../sim/simulation.ts'
import { createUnderlay, linkSampler } from './build.ts'
import { parseOverlayParams, resolveOverlay } from './overlays.ts'
import {
  computeDistributions,
  computeRunMetrics,
  type RunDistributions,
  type RunMetrics,
  type ViewerRecord,
  viewerRecord,
} from './run-metrics.ts'
import type { Scenario } from './scenario.ts'
import { treeDepths } from './tree-depth.ts'

/** The swarm at one sampling instant (results.json "samples"). */
export interface Sample {
  tS: number
  liveViewers: number
  /** Live viewers whose protocol reports a working feed. */
  connected: number
  inTree: number
  maxDepth: number
  meanDepth: number
  /** Mean continuity so far over live viewers that have started playing. */
  meanContinuity: number | null
  sourceUploadRatio: number
}

export interface RunOutcome {
  scenario: Scenario
  metrics: RunMetrics
  samples: Sample[]
  distributions: RunDistributions
  /** Every viewer that joined, in id order (kept in memory for presets; not all are written out). */
  viewers: ViewerRecord[]
  eventsProcessed: number
}

export interface RunHooks {
  /** Simulated progress, called often (throttle the display yourself). */
  onProgress?: (simMs: number, totalMs: number) => void
  onSample?: (sample: Sample) => void
}

/** Distinct salts so the underlay, the link draws and each churn phase draw independent streams. */
const SALT_UNDERLAY = 0x5e1
const SALT_LINKS = 0x11c
const SALT_CHURN = 0xc4a

/** Run one scenario to its end in the deterministic simulator and collect its results. */
export function runScenario(scenario: Scenario, hooks: RunHooks = {}): RunOutcome {
  const overlay = resolveOverlay(scenario.overlay.name)
  const params = parseOverlayParams(overlay, scenario.overlay.params)
  const underlay = createUnderlay(scenario.underlay, createRng(scenario.seed, SALT_UNDERLAY))
  const sim = new Simulation({
    seed: scenario.seed,
    overlay,
    params,
    underlay,
    stream: { ...scenario.stream },
    playout: { chunkRateHz: scenario.stream.chunkRateHz, ...scenario.playout },
    sourceLink: scenario.sourceLink,
    lossRate: scenario.lossRate,
    maxQueueMs: scenario.maxQueueMs,
    ...(scenario.servers === undefined ? {} : { servers: { count: scenario.servers } }),
  })

  const link = linkSampler(scenario.viewerLinks)
  const linkRng = createRng(scenario.seed, SALT_LINKS)
  const { count, startS, intervalS } = scenario.viewers
  for (let i = 0; i < count; i++) {
    sim.at((startS + i * intervalS) * 1000, () => {
      sim.addViewer(link(linkRng))
    })
  }
  scenario.churn.forEach((phase, i) => {
    const { maxPeers, ...rest } = phase
    installChurn(
      sim,
      { ...rest, ...(maxPeers === undefined ? {} : { maxPeers }), link },
      createRng(scenario.seed, SALT_CHURN + i),
    )
  })

  const totalMs = scenario.durationS * 1000
  const stepMs = scenario.sampling.intervalS * 1000
  const samples: Sample[] = []
  const progress = hooks.onProgress ? (now: number) => hooks.onProgress!(now, totalMs) : undefined
  for (let t = Math.min(stepMs, totalMs); ; t = Math.min(t + stepMs, totalMs)) {
    sim.runUntil(t, progress)
    const sample = takeSample(sim, t)
    samples.push(sample)
    hooks.onSample?.(sample)
    if (t >= totalMs) break
  }

  const allStats = sim.allNodeStats()
  const viewers = allStats.filter((s) => s.id !== sim.sourceId && !sim.isServer(s.id)).map(viewerRecord)
  const live = sim.liveViewers()
  const depth = treeDepths(
    sim.sourceId,
    live,
    (id) => sim.isAlive(id),
    (id) => sim.topology(id),
  )
  const protocolMetrics = sim.protocolMetrics()
  return {
    scenario,
    metrics: computeRunMetrics(
      viewers,
      allStats,
      protocolMetrics,
      depth,
      live.length,
      sim.sourceUploadRatio(),
    ),
    samples,
    distributions: computeDistributions(viewers, protocolMetrics),
    viewers,
    eventsProcessed: sim.eventsProcessed,
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any overlay's simulation
function takeSample(sim: Simulation<any, any>, nowMs: number): Sample {
  const live = sim.liveViewers()
  let connected = 0
  let continuitySum = 0
  let started = 0
  for (const id of live) {
    if (sim.topology(id).connected) connected++
    const c = sim.nodeStats(id).qoe.continuity
    if (c !== null) {
      continuitySum += c
      started++
    }
  }
  const depth = treeDepths(
    sim.sourceId,
    live,
    (id) => sim.isAlive(id),
    (id) => sim.topology(id),
  )
  return {
    tS: nowMs / 1000,
    liveViewers: live.length,
    connected,
    inTree: depth.inTree,
    maxDepth: depth.maxDepth,
    meanDepth: depth.meanDepth,
    meanContinuity: started === 0 ? null : continuitySum / started,
    sourceUploadRatio: sim.sourceUploadRatio(),
  }
}
