import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'
import type { I3ServerNode } from '../../overlays/i3/server/server-node.ts'
import type { Simulation } from '../../sim/simulation.ts'
import { type PresetSwarmSetup, presetSwarmOptions } from './preset-swarm.ts'
import { type RefreshPeriod, type RefreshStats, refreshStats } from './refresh-metrics.ts'
import { type I3RunProgress, startRunProgress } from './run-progress.ts'
import { buildI3Swarm, runUntilJoined } from './swarm.ts'

export type RefreshScheme = 'naive' | 'unif' | 'level'

/** What every run of the i3-refresh preset shares. */
export interface RefreshSetup extends PresetSwarmSetup {
  /** After the last join, before measuring: every refresh timer has fired a few times. */
  settleS: number
  /** Measured periods, each of length T. */
  periods: number
}

export interface RefreshRunSpec extends RefreshSetup {
  seed: number
  receivers: number
  scheme: RefreshScheme
  onProgress?: I3RunProgress
}

export interface RefreshPoint {
  receivers: number
  scheme: RefreshScheme
  joined: number
  neverJoined: number
  triggerLifetimeMs: number
  refreshLossFactor: number
  /**
   * Tree triggers: (x -> y) with an id target, the edges of the tree of triggers that a whole
   * subtree refreshes (§4). Counts per period T.
   */
  tree: RefreshStats
  /** Triggers with a host target (receivers' own, jset/fset and recovery memberships). */
  hostTargets: RefreshStats
  /** The tree figures per refresh period T/k (the timers' scale; Fig. 12 "per refresh period"). */
  treePerRefreshPeriod: { mean: number; maxMean: number; maxMax: number }
  measuredFromMs: number
}

function serverOf(sim: Simulation<I3Message, I3Params>, id: number | string): I3ServerNode {
  return sim.protocol(id) as unknown as I3ServerNode
}

/**
 * One Fig. 12 point: build the tree of `receivers` with one refresh scheme, let it settle, then
 * for each of `periods` periods of length T read every server's per-trigger refresh counts.
 */
export function measureRefresh(spec: RefreshRunSpec): RefreshPoint {
  const swarm = buildI3Swarm(
    presetSwarmOptions(spec, {
      seed: spec.seed,
      receivers: spec.receivers,
      scheme: { refresh: spec.scheme },
    }),
  )
  const { sim, params } = swarm
  const periodMs = params.triggerLifetimeMs
  const progress = startRunProgress(
    spec.onProgress,
    swarm.lastJoinMs + spec.settleS * 1000 + spec.periods * periodMs,
  )
  const joins = runUntilJoined(swarm, progress ? { onProgress: progress } : {})
  sim.runUntil(sim.now + spec.settleS * 1000, progress)
  const measuredFromMs = sim.now
  const tree: RefreshPeriod[] = []
  const host: RefreshPeriod[] = []
  for (let p = 0; p < spec.periods; p++) {
    for (const s of swarm.servers) serverOf(sim, s).resetRefreshStats(sim.now)
    sim.runUntil(sim.now + periodMs, progress)
    const treeCounts: number[] = []
    const hostCounts: number[] = []
    for (const s of swarm.servers) {
      for (const t of serverOf(sim, s).table.triggers()) {
        if (t.removed || t.expiresAt <= sim.now) continue
        ;(t.target.kind === 'id' ? treeCounts : hostCounts).push(t.refreshes)
      }
    }
    tree.push({ counts: treeCounts })
    host.push({ counts: hostCounts })
  }
  const treeStats = refreshStats(tree)
  const k = params.refreshLossFactor
  return {
    receivers: spec.receivers,
    scheme: spec.scheme,
    joined: joins.joined,
    neverJoined: joins.neverJoined,
    triggerLifetimeMs: periodMs,
    refreshLossFactor: k,
    tree: treeStats,
    hostTargets: refreshStats(host),
    treePerRefreshPeriod: {
      mean: treeStats.mean / k,
      maxMean: treeStats.maxMean / k,
      maxMax: treeStats.maxMax / k,
    },
    measuredFromMs,
  }
}
