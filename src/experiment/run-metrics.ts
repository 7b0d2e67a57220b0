import type { NodeId } from '../core/ids.ts'
import type { NodeStats } from '../sim/simulation.ts'
import { type CdfPoint, cdf, type Summary, summarize } from '../stream/summary.ts'

/** Nearest-rank percentile (same convention as stream/summary.ts); 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!
}

/** What one viewer experienced, compact enough to keep for 10^4 viewers × many runs. */
export interface ViewerRecord {
  id: NodeId
  joinedAtMs: number
  leftAtMs: number | null
  crashed: boolean
  startupDelayMs: number | null
  continuity: number | null
  playoutLagMs: number | null
  meanHops: number | null
  maxHops: number | null
  meanChunkDelayMs: number | null
  uploadBytes: number
}

/** Data bytes one viewer sent and received (chunks only, control traffic excluded). */
export interface ViewerTraffic {
  dataUploadBytes: number
  dataDownloadBytes: number
}

/**
 * Kept beside the record rather than in it: presets that write their viewer records
 * (spreadit-chain) keep byte-identical results.json, and the fairness presets still see it.
 */
const trafficOfRecord = new WeakMap<ViewerRecord, ViewerTraffic>()

/** The data traffic of a record made by viewerRecord (undefined for a record built elsewhere). */
export function viewerTraffic(v: ViewerRecord): ViewerTraffic | undefined {
  return trafficOfRecord.get(v)
}

/** Data upload / data download of a viewer; null when it received nothing. */
export function uploadDownloadRatio(v: ViewerRecord): number | null {
  const t = trafficOfRecord.get(v)
  if (!t || t.dataDownloadBytes === 0) return null
  return t.dataUploadBytes / t.dataDownloadBytes
}

export function viewerRecord(s: NodeStats): ViewerRecord {
  const record = viewerRecordFields(s)
  trafficOfRecord.set(record, { dataUploadBytes: s.dataUploadBytes, dataDownloadBytes: s.dataDownloadBytes })
  return record
}

function viewerRecordFields(s: NodeStats): ViewerRecord {
  return {
    id: s.id,
    joinedAtMs: s.joinedAtMs,
    leftAtMs: s.leftAtMs,
    crashed: s.crashed,
    startupDelayMs: s.qoe.startupDelayMs,
    continuity: s.qoe.continuity,
    playoutLagMs: s.qoe.playoutLagMs,
    meanHops: s.qoe.meanHops,
    maxHops: s.qoe.maxHops,
    meanChunkDelayMs: s.meanChunkDelayMs,
    uploadBytes: s.uploadBytes,
  }
}

/** The figures every run reports (results.json "metrics"); presets pick from these. */
export interface RunMetrics {
  viewersJoined: number
  viewersAtEnd: number
  gracefulLeaves: number
  crashes: number
  neverStarted: number
  startupDelayMs: Summary
  continuity: Summary & { p10: number }
  playoutLagMs: Summary
  meanChunkDelayMs: Summary
  hops: { mean: number; max: number }
  treeDepthAtEnd: { inTree: number; max: number; mean: number }
  sourceUploadRatio: number
  /** Control bytes / data bytes, over all nodes' uploads. */
  controlOverhead: number
  totals: {
    uploadBytes: number
    dataUploadBytes: number
    controlUploadBytes: number
    droppedQueueMessages: number
    lostMessages: number
    invalidChunks: number
  }
  /** Every value recorded through Env.metric, summarised by name (parentDiscoveryMs, transienceMs, ...). */
  protocol: Record<string, Summary>
}

/** CDFs kept for plots (not written per viewer: 10^4 viewers × runs would bloat results.json). */
export interface RunDistributions {
  startupDelayMs: CdfPoint[]
  continuity: CdfPoint[]
  playoutLagMs: CdfPoint[]
  parentDiscoveryMs: CdfPoint[]
  transienceMs: CdfPoint[]
  /** P2PCast: a stripe's outage until the new parent is known (metric repairMs). */
  repairMs: CdfPoint[]
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v))
}

export function computeRunMetrics(
  viewers: readonly ViewerRecord[],
  allStats: readonly NodeStats[],
  protocolMetrics: ReadonlyMap<string, readonly number[]>,
  depth: { inTree: number; maxDepth: number; meanDepth: number },
  viewersAtEnd: number,
  sourceUploadRatio: number,
): RunMetrics {
  const continuity = present(viewers.map((v) => v.continuity))
  const meanHops = present(viewers.map((v) => v.meanHops))
  const totals = {
    uploadBytes: 0,
    dataUploadBytes: 0,
    controlUploadBytes: 0,
    droppedQueueMessages: 0,
    lostMessages: 0,
    invalidChunks: 0,
  }
  for (const s of allStats) {
    totals.uploadBytes += s.uploadBytes
    totals.dataUploadBytes += s.dataUploadBytes
    totals.controlUploadBytes += s.controlUploadBytes
    totals.droppedQueueMessages += s.droppedQueueMessages
    totals.lostMessages += s.lostMessages
    totals.invalidChunks += s.invalidChunks
  }
  const protocol: Record<string, Summary> = {}
  for (const name of [...protocolMetrics.keys()].sort())
    protocol[name] = summarize(protocolMetrics.get(name)!)
  return {
    viewersJoined: viewers.length,
    viewersAtEnd,
    gracefulLeaves: viewers.filter((v) => v.leftAtMs !== null && !v.crashed).length,
    crashes: viewers.filter((v) => v.crashed).length,
    neverStarted: viewers.filter((v) => v.startupDelayMs === null).length,
    startupDelayMs: summarize(present(viewers.map((v) => v.startupDelayMs))),
    continuity: { ...summarize(continuity), p10: percentile(continuity, 0.1) },
    playoutLagMs: summarize(present(viewers.map((v) => v.playoutLagMs))),
    meanChunkDelayMs: summarize(present(viewers.map((v) => v.meanChunkDelayMs))),
    hops: {
      mean: meanHops.length === 0 ? 0 : meanHops.reduce((a, b) => a + b, 0) / meanHops.length,
      max: present(viewers.map((v) => v.maxHops)).reduce((a, b) => Math.max(a, b), 0),
    },
    treeDepthAtEnd: { inTree: depth.inTree, max: depth.maxDepth, mean: depth.meanDepth },
    sourceUploadRatio,
    controlOverhead: totals.dataUploadBytes === 0 ? 0 : totals.controlUploadBytes / totals.dataUploadBytes,
    totals,
    protocol,
  }
}

export function computeDistributions(
  viewers: readonly ViewerRecord[],
  protocolMetrics: ReadonlyMap<string, readonly number[]>,
): RunDistributions {
  return {
    startupDelayMs: cdf(present(viewers.map((v) => v.startupDelayMs))),
    continuity: cdf(present(viewers.map((v) => v.continuity))),
    playoutLagMs: cdf(present(viewers.map((v) => v.playoutLagMs))),
    parentDiscoveryMs: cdf(protocolMetrics.get('parentDiscoveryMs') ?? []),
    transienceMs: cdf(protocolMetrics.get('transienceMs') ?? []),
    repairMs: cdf(protocolMetrics.get('repairMs') ?? []),
  }
}
