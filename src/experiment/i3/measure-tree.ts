import type { NodeId } from '../../core/ids.ts'
import type { I3HostNode } from '../../overlays/i3/host/host-node.ts'
import { ringKey } from '../../overlays/i3/ids.ts'
import { ChordRing } from '../../overlays/i3/server/chord-ring.ts'
import { linkStress } from '../../sim/underlay/link-stress.ts'
import { treeDepths } from '../tree-depth.ts'
import { I3WireTrace } from './chunk-trace.ts'
import { modelJoins } from './join-model.ts'
import {
  type LevelRow,
  meanSd,
  queriesByLevel,
  type ReceiverDelay,
  type StressStats,
  type StretchStats,
  stressStats,
  stretchStats,
} from './metrics.ts'
import { type I3RunProgress, startRunProgress } from './run-progress.ts'
import { buildI3Swarm, type I3Swarm, type I3SwarmOptions, runUntilJoined, UNLIMITED_LINK } from './swarm.ts'

export interface TreeRunOptions extends Omit<I3SwarmOptions, 'onTransmit'> {
  /** After everyone joined: let data flow and caches fill before tracing a chunk (default 5 s). */
  settleMs?: number
  /** A join still unfinished this long after the last arrival is given up on (default 120 s). */
  maxJoinExtraMs?: number
  onProgress?: I3RunProgress
}

/** The join model (join-model.ts) over one swarm's placement and join order. */
export interface TreeModel {
  stretch: StretchStats
  stress: StressStats
  depthMax: number
  /** The same with idg held by the source's own server (what the end host does now; equal to the above unless idg lives elsewhere). */
  rootAtSource: StretchStats
  /** Source -> the server holding idg. */
  rootDetourMs: number
}

/** One i3 tree, built and measured: Fig. 11's and Table 2's quantities for one group size. */
export interface TreeMeasurement {
  receivers: number
  joined: number
  /** Joins still unfinished at the bound. */
  neverJoined: number
  /** Joined receivers that got no copy of the traced chunk. */
  missedTracedChunk: number
  tracedSeq: number | null
  stretch: StretchStats
  stress: StressStats
  depth: { inTree: number; max: number; mean: number; sd: number }
  levels: LevelRow[]
  /**
   * Fig. 4 on exact latencies over the very same placement and join order (join-model.ts): what
   * the algorithm gives without protocol measurements or races; `rootAtSource` also without the
   * detour through the server holding the group id idg.
   */
  model: TreeModel
  /** Simulated time when everyone had joined (or the bound), and at the end. */
  joinedAtS: number
  endS: number
  events: number
}

/** Level of every live receiver whose parent chain reaches the source (source = 0). */
export function levelsOf(swarm: I3Swarm): Map<NodeId, number> {
  const { sim } = swarm
  const isAlive = (id: NodeId) => sim.isAlive(id)
  const topology = (id: NodeId) => sim.topology(id)
  const out = new Map<NodeId, number>([[sim.sourceId, 0]])
  for (const id of swarm.receivers) {
    if (!sim.isAlive(id)) continue
    // One receiver at a time: an i3 receiver has one parent, so each walk is its depth.
    const d = treeDepths(sim.sourceId, [id], isAlive, topology)
    if (d.inTree === 1) out.set(id, d.maxDepth)
  }
  return out
}

/**
 * Build the swarm, let every receiver join, settle, then trace one chunk from the source to
 * everyone: its per-receiver delay against IP unicast (stretch, RMD, RAD), the copies per
 * physical link (stress), plus the tree's levels and the query messages each level processed.
 */
export function measureI3Tree(options: TreeRunOptions): TreeMeasurement {
  const { settleMs = 5000, maxJoinExtraMs = 120_000, onProgress, ...swarmOptions } = options
  const serverCount = swarmOptions.servers ?? 8192
  const trace = new I3WireTrace((id) => typeof id === 'number' && id >= 1 && id <= serverCount)
  const swarm = buildI3Swarm({ ...swarmOptions, onTransmit: trace.onTransmit })
  const { sim, underlay } = swarm
  // The next chunk is cut within one period; then give it ample time to reach every leaf.
  const periodMs = 1000 / swarm.stream.chunkRateHz
  const traceMs = periodMs + 10_000
  const progress = startRunProgress(onProgress, swarm.lastJoinMs + settleMs + traceMs)
  const joinOutcome = runUntilJoined(swarm, {
    maxExtraMs: maxJoinExtraMs,
    ...(progress ? { onProgress: progress } : {}),
  })
  sim.runUntil(sim.now + settleMs, progress)
  trace.traceNextChunk(sim.now)
  sim.runUntil(sim.now + traceMs, progress)

  const sourceHost = sim.hostOf(sim.sourceId)
  const levels = levelsOf(swarm)
  const delays: ReceiverDelay[] = []
  let missed = 0
  for (const id of swarm.receivers) {
    if (!levels.has(id)) continue
    const overlayMs = trace.delayAt(id)
    if (overlayMs === null) {
      missed++
      continue
    }
    delays.push({ overlayMs, unicastMs: underlay.latency(sourceHost, sim.hostOf(id)) })
  }
  const hops: [number, number][] = trace.hopFrom.map((from, i) => [
    sim.hostOf(from),
    sim.hostOf(trace.hopTo[i]!),
  ])
  const receiverLevels = [...levels.entries()].filter(([id]) => id !== sim.sourceId).map(([, l]) => l)
  const { mean, sd } = meanSd(receiverLevels)
  return {
    model: modelTree(swarm),
    receivers: swarm.receivers.length,
    joined: joinOutcome.joined,
    neverJoined: joinOutcome.neverJoined,
    missedTracedChunk: missed,
    tracedSeq: trace.tracedSeq,
    stretch: stretchStats(delays),
    stress: stressStats(linkStress(underlay, hops)),
    depth: {
      inTree: receiverLevels.length,
      max: receiverLevels.reduce((a, b) => Math.max(a, b), 0),
      mean,
      sd,
    },
    levels: queriesByLevel(levels, trace.queriesTo),
    joinedAtS: joinOutcome.atMs / 1000,
    endS: sim.now / 1000,
    events: sim.eventsProcessed,
  }
}

/** The join model on the swarm's own placement: source, idg's server and receivers in join order. */
function modelTree(swarm: Pick<I3Swarm, 'sim' | 'underlay' | 'servers' | 'receivers' | 'params'>): TreeModel {
  const { sim, underlay } = swarm
  const sourceHost = sim.hostOf(sim.sourceId)
  const rootServer = new ChordRing(swarm.servers).successor(
    ringKey((sim.protocol(sim.sourceId) as I3HostNode).treeId),
  )
  const rootHost = sim.hostOf(rootServer)
  const receiverHosts = swarm.receivers.map((id) => sim.hostOf(id))
  const unicast = receiverHosts.map((h) => underlay.latency(sourceHost, h))
  const run = (root: number) => {
    const m = modelJoins({
      underlay,
      sourceHost,
      rootHost: root,
      receiverHosts,
      // A receiver's own trigger takes one of its id's slots (see I3Params.maxTriggersPerId).
      maxChildren: swarm.params.maxTriggersPerId - 1,
    })
    const stats = stretchStats(unicast.map((unicastMs, i) => ({ overlayMs: m.delayMs[i]!, unicastMs })))
    // One copy per tree edge, plus the source's packet to idg's server.
    const hops: [number, number][] = [[sourceHost, root]]
    for (const [i, h] of receiverHosts.entries()) hops.push([m.feederHost[i]!, h])
    return {
      stats,
      stress: stressStats(linkStress(underlay, hops)),
      depthMax: m.level.reduce((a, b) => Math.max(a, b), 0),
    }
  }
  const atIdg = run(rootHost)
  return {
    stretch: atIdg.stats,
    stress: atIdg.stress,
    depthMax: atIdg.depthMax,
    rootAtSource: run(sourceHost).stats,
    rootDetourMs: underlay.latency(sourceHost, rootHost),
  }
}

/**
 * The join model alone for a size too large to simulate here: the swarm is built and its
 * receivers placed exactly as in a simulated run (placement draws do not depend on timing), but
 * no event runs.
 */
export function modelI3Placement(options: Omit<TreeRunOptions, 'onProgress'>): TreeModel {
  const { settleMs: _s, maxJoinExtraMs: _m, ...swarmOptions } = options
  const swarm = buildI3Swarm({ ...swarmOptions, receivers: 0 })
  const receivers = Array.from({ length: options.receivers }, () => swarm.sim.addViewer(UNLIMITED_LINK))
  return modelTree({ ...swarm, receivers })
}
