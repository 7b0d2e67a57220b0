import type { NodeId } from '../../core/ids.ts'
import type { I3HostNode } from '../../overlays/i3/host/host-node.ts'
import { I3_METRIC } from '../../overlays/i3/host/metrics.ts'
import { prefixOf, recoveryGroupId, ZERO_SUFFIX } from '../../overlays/i3/ids.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import { type Summary, summarize } from '../../stream/summary.ts'
import { hopLossRates } from './loss-rates.ts'
import { observeSends } from './observe-sends.ts'
import { defaultI3Overlay } from './overlay.ts'
import { type PresetSwarmSetup, presetSwarmOptions } from './preset-swarm.ts'
import { ReliabilityLog, type ReliabilityMetrics } from './reliability-metrics.ts'
import { type I3RunProgress, startRunProgress } from './run-progress.ts'
import { buildI3Swarm, hasJoined, runUntilJoined } from './swarm.ts'

/** §5's two ways to pick the member that answers a repair request. */
export type RecoveryScheme = 'loss' | 'random'

/** What every run of the i3-reliability preset shares. */
export interface ReliabilitySetup extends PresetSwarmSetup {
  chunkRateHz: number
  /** Loss on (after every join), then this long before the window: loss estimates settle. */
  lossWarmupS: number
  /** Sequence numbers published during this many seconds are measured. */
  windowS: number
  /** Run on after the window so its last drops are detected and repaired. */
  tailS: number
  i3HopMax: number
  lastHopMax: number
}

export interface ReliabilityRunSpec extends ReliabilitySetup {
  seed: number
  receivers: number
  scheme: RecoveryScheme
  onProgress?: I3RunProgress
}

export interface ReliabilityPoint extends ReliabilityMetrics {
  scheme: RecoveryScheme
  joined: number
  neverJoined: number
  fromSeq: number
  toSeq: number
  /** Repair requests that reached the source (it is no receiver and is left out of the max). */
  repairRequestsAtSource: number
  /** Messages the network lost from loss-on to the end. */
  lostMessages: number
  /**
   * The end hosts' own counts (Env.metric, src/overlays/i3/host/metrics.ts) from the window's
   * start to the end of the run, all sequence numbers: a cross-check of the observed figures and
   * the split of requests into first tries / re-sends (repairRequestsSent) and escalations.
   */
  hostMetrics: HostRecoveryMetrics
}

export interface HostRecoveryMetrics {
  lossesDetected: number
  repairRequestsSent: number
  repairEscalations: number
  repairRequestsReceived: number
  repairsSent: number
  repairsAbandoned: number
  duplicates: number
  recoveryMs: Summary
}

const HOST_COUNTS = [
  'lossesDetected',
  'repairRequestsSent',
  'repairEscalations',
  'repairRequestsReceived',
  'repairsSent',
  'repairsAbandoned',
  'duplicates',
] as const

/** What the hosts recorded after `mark` (metric name -> values recorded before it). */
function hostMetricsSince(
  metrics: ReadonlyMap<string, readonly number[]>,
  mark: ReadonlyMap<string, number>,
): HostRecoveryMetrics {
  const since = (name: string) => (metrics.get(name) ?? []).slice(mark.get(name) ?? 0)
  const counts = Object.fromEntries(HOST_COUNTS.map((k) => [k, since(I3_METRIC[k]).length])) as Record<
    (typeof HOST_COUNTS)[number],
    number
  >
  return { ...counts, recoveryMs: summarize(since(I3_METRIC.recoveryMs)) }
}

function markMetrics(metrics: ReadonlyMap<string, readonly number[]>): Map<string, number> {
  return new Map([...metrics].map(([name, values]) => [name, values.length]))
}

/**
 * One Fig. 13 / Table 1 point: build the tree without loss, switch §6.3's per-hop loss on, let
 * it settle, then follow every receiver over a window of sequence numbers: what reached it (from
 * the simulator's transmit hook, after loss) and which repair requests it sent (from its Env,
 * before loss) and received.
 */
export function measureReliability(spec: ReliabilityRunSpec): ReliabilityPoint {
  const loss = hopLossRates({
    serverCount: spec.servers,
    i3HopMax: spec.i3HopMax,
    lastHopMax: spec.lastHopMax,
    seed: spec.seed,
  })
  let lossOn = false
  let lastSourceSeq = -1
  let log: ReliabilityLog | null = null
  let measured: ReadonlySet<NodeId> = new Set()
  let atSource = 0
  const source: NodeId = 0
  // Own requests go to the sender's own recovery group (that of the id it joined at);
  // escalations to the group above, whoever the repair is for.
  const ownGroupPrefix = (id: NodeId) => {
    const joinedAt = (swarm.sim.protocol(id) as unknown as I3HostNode).ancestors.at(-1)
    return joinedAt === undefined ? null : prefixOf(recoveryGroupId(joinedAt, ZERO_SUFFIX))
  }
  const overlay = observeSends(spec.overlay ?? defaultI3Overlay(), (from, _to, msg: I3Message) => {
    if (log !== null && msg.type === 'repair-req' && measured.has(from))
      log.repairRequestSent(from as number, msg.seq, prefixOf(msg.id) === ownGroupPrefix(from))
  })
  const swarm = buildI3Swarm({
    ...presetSwarmOptions(spec, {
      seed: spec.seed,
      receivers: spec.receivers,
      scheme: { recovery: spec.scheme },
    }),
    chunkRateHz: spec.chunkRateHz,
    overlay,
    lossOf: (from, to) => (lossOn ? loss.lossOf(from, to) : 0),
    onTransmit: (from, to, msg, _bytes, _sentAtMs, reachesAtMs) => {
      if (msg.type === 'chunk') {
        if (from === source && !msg.repair && msg.chunk.seq > lastSourceSeq) lastSourceSeq = msg.chunk.seq
        if (log !== null && measured.has(to))
          log.chunkArrived(to as number, msg.chunk.seq, msg.repair, reachesAtMs)
      } else if (msg.type === 'repair-req' && log !== null) {
        if (measured.has(to)) log.repairRequestReceived(to as number, msg.seq)
        else if (to === source && msg.seq >= log.window.fromSeq && msg.seq <= log.window.toSeq) atSource++
      }
    },
  })
  const { sim } = swarm
  const progress = startRunProgress(
    spec.onProgress,
    swarm.lastJoinMs + (spec.lossWarmupS + spec.windowS + spec.tailS) * 1000,
  )
  const joins = runUntilJoined(swarm, progress ? { onProgress: progress } : {})
  lossOn = true
  const lostBefore = sim.allNodeStats().reduce((s, n) => s + n.lostMessages, 0)
  sim.runUntil(sim.now + spec.lossWarmupS * 1000, progress)
  const fromSeq = lastSourceSeq + 1
  const toSeq = fromSeq + Math.max(1, Math.round(spec.windowS * spec.chunkRateHz)) - 1
  log = new ReliabilityLog({
    fromSeq,
    toSeq,
    marginSeqs: Math.max(1, Math.round(spec.tailS * spec.chunkRateHz)),
  })
  measured = new Set(swarm.receivers.filter((id) => hasJoined(swarm, id)))
  for (const id of measured) log.addReceiver(id as number)
  const mark = markMetrics(sim.protocolMetrics())
  sim.runUntil(sim.now + (spec.windowS + spec.tailS) * 1000, progress)
  const lostAfter = sim.allNodeStats().reduce((s, n) => s + n.lostMessages, 0)
  return {
    scheme: spec.scheme,
    joined: joins.joined,
    neverJoined: joins.neverJoined,
    fromSeq,
    toSeq,
    repairRequestsAtSource: atSource,
    lostMessages: lostAfter - lostBefore,
    hostMetrics: hostMetricsSince(sim.protocolMetrics(), mark),
    ...log.metrics(),
  }
}
