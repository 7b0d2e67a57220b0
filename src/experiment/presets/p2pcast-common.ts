import { stripeKbps } from '../../overlays/p2pcast/params.ts'
import { MAX_STRIPES, MIN_STRIPES } from '../../stream/stripes.ts'
import type { RunOutcome } from '../run.ts'
import { uploadDownloadRatio, type ViewerRecord } from '../run-metrics.ts'
import { type ChurnPhase, parseScenario, type Scenario } from '../scenario.ts'

/**
 * What the three p2pcast-* presets share: one stream, one link for every viewer of both overlays,
 * and a scenario builder that differs only in the overlay. P2PCast's premise (§1.3) is that every
 * peer uploads f/(f-1) × the stream rate (2× with f = 2: 600 kbit/s here); 1,000 kbit/s leaves
 * room for chunk headers, parity headers and control. SpreadIt gets the same link (3 children).
 */
export const STREAM = { kbps: 300, chunkRateHz: 5 }
export const VIEWER_LINK = { uploadKbps: 1000, downloadKbps: 2000 }
export const SOURCE_LINK = { uploadKbps: 1500, downloadKbps: 1500 }
/** f when --stripes is not given: the case the paper details. */
export const DEFAULT_STRIPES = 2

/** The stripe count a p2pcast preset runs: PresetOptions.stripes, checked (the CLI checks it too). */
export function stripesOf(opts: { stripes?: number }): number {
  const f = opts.stripes ?? DEFAULT_STRIPES
  if (!Number.isInteger(f) || f < MIN_STRIPES || f > MAX_STRIPES)
    throw new RangeError(`p2pcast presets take ${MIN_STRIPES}..${MAX_STRIPES} stripes, got ${f}`)
  return f
}

/**
 * A P2PCast viewer's link at f stripes: upload f/(f-1) × the stream plus the room f = 2 leaves
 * for chunk and parity headers and control (1,000 - 2 × 300 = 400 kbit/s), e.g. 850 kbit/s at
 * f = 3. The room is added, not scaled: with f = 2's 5/3 × instead, f = 8 got 571 kbit/s and
 * continuity 0.93 (p2pcast-fairness, 100 peers, seed 1), 743 kbit/s gave 0.9996. SpreadIt keeps
 * VIEWER_LINK at every f, so its runs stay as they are.
 */
export function viewerLinkOf(c: Contender, f: number): typeof VIEWER_LINK {
  if (c === 'spreadit' || f === DEFAULT_STRIPES) return VIEWER_LINK
  const relayKbps = (stripes: number) => stripes * stripeKbps(STREAM.kbps, stripes)
  const room = VIEWER_LINK.uploadKbps - relayKbps(DEFAULT_STRIPES)
  const uploadKbps = Math.round(relayKbps(f) + room)
  return { uploadKbps, downloadKbps: VIEWER_LINK.downloadKbps }
}

/** The links clause of the plots' subtitles. */
export function linksFacts(f: number): string {
  const { uploadKbps, downloadKbps } = VIEWER_LINK
  if (f === DEFAULT_STRIPES) return `same ${uploadKbps}/${downloadKbps} kbit/s links for both overlays`
  const p2p = viewerLinkOf('p2pcast', f)
  return `P2PCast f = ${f}: ${p2p.uploadKbps}/${p2p.downloadKbps} kbit/s links (f/(f-1) × the stream + f = 2's room for headers and control), SpreadIt ${uploadKbps}/${downloadKbps} kbit/s`
}

/** "P2PCast …" titles name f when it is not the default (f = 2 titles stay as they were). */
export function titleWithF(title: string, f: number): string {
  return f === DEFAULT_STRIPES ? title : `${title} (f = ${f})`
}

/** results.json says which f ran: `stripes` in the analysis when f is not the default 2. */
export function stripesField(f: number): { stripes?: number } {
  return f === DEFAULT_STRIPES ? {} : { stripes: f }
}

/** Both overlays' players buffer the same 4 s before starting. */
const PLAYOUT_BUFFER_S = 4

export type Contender = 'p2pcast' | 'p2pcast-noparity' | 'spreadit'

function overlayOf(c: Contender, f: number): { name: string; params: Record<string, unknown> } {
  if (c === 'spreadit') return { name: 'spreadit', params: { uploadHeadroom: 0.9 } }
  return { name: 'p2pcast', params: { stripes: f, parity: c === 'p2pcast' } }
}

export interface SwarmShape {
  peers: number
  durationS: number
  /** Viewers arrive evenly over [0, rampS). */
  rampS: number
  /** Crashes per minute as a fraction of the live peers (0: nobody leaves). */
  crashesPerMin: number
  seed: number
}

/**
 * The swarm every contender faces (same seed: same arrivals, same links, same crash draws as long
 * as the overlays do not change the live count). Crashing peers are replaced at the same rate,
 * capped at N live, so the swarm stays near N while crashes go on.
 */
export function swarmScenario(
  c: Contender,
  shape: SwarmShape,
  tag: string,
  f: number = DEFAULT_STRIPES,
): Scenario {
  const { peers, durationS, rampS, crashesPerMin, seed } = shape
  const session: ChurnPhase['session'] =
    crashesPerMin === 0
      ? { dist: 'fixed', s: 10 * durationS }
      : { dist: 'exponential', meanS: 60 / crashesPerMin }
  const churn = [
    { arrivalsPerS: peers / rampS, startS: 0, endS: rampS, session, crashFraction: 1, maxPeers: peers },
  ]
  if (crashesPerMin > 0 && durationS > rampS)
    churn.push({
      arrivalsPerS: peers * (crashesPerMin / 60),
      startS: rampS,
      endS: durationS,
      session,
      crashFraction: 1,
      maxPeers: peers,
    })
  return parseScenario({
    name: c === 'spreadit' || f === DEFAULT_STRIPES ? `${tag}-${c}-${peers}` : `${tag}-${c}-f${f}-${peers}`,
    seed,
    durationS,
    overlay: overlayOf(c, f),
    underlay: { kind: 'delay-space' },
    stream: STREAM,
    playout: { startupChunks: PLAYOUT_BUFFER_S * STREAM.chunkRateHz, maxBufferChunks: 256 },
    sourceLink: SOURCE_LINK,
    viewerLinks: [viewerLinkOf(c, f)],
    churn,
    sampling: { intervalS: 10 },
  })
}

export function contenderOf(s: Scenario): Contender {
  if (s.overlay.name === 'spreadit') return 'spreadit'
  return (s.overlay.params as { parity?: boolean }).parity === false ? 'p2pcast-noparity' : 'p2pcast'
}

/** Viewers that stayed to the end: their traffic covers the whole steady period. */
export function stayers(run: RunOutcome): ViewerRecord[] {
  return run.viewers.filter((v) => v.leftAtMs === null)
}

/** Upload/download ratios of the viewers that stayed, ascending. */
export function ratiosOf(run: RunOutcome): number[] {
  const out: number[] = []
  for (const v of stayers(run)) {
    const r = uploadDownloadRatio(v)
    if (r !== null) out.push(r)
  }
  return out.sort((a, b) => a - b)
}

/** The comparison columns every p2pcast-* preset reports for each run. */
export function comparisonRow(run: RunOutcome) {
  const m = run.metrics
  const ratios = ratiosOf(run)
  const zeroUpload = ratios.filter((r) => r === 0).length
  return {
    overlay: contenderOf(run.scenario),
    continuityMean: m.continuity.mean,
    continuityP10: m.continuity.p10,
    continuityMin: m.continuity.min,
    zeroUploadFraction: ratios.length === 0 ? 0 : zeroUpload / ratios.length,
    // Depth at the end: each stripe followed through its own parents (tree-depth.ts); a viewer's
    // depth is its deepest stripe. Hops: what the chunks actually travelled over the run.
    depthMax: m.treeDepthAtEnd.max,
    depthMean: m.treeDepthAtEnd.mean,
    inTreeAtEnd: m.treeDepthAtEnd.inTree,
    hopsMax: m.hops.max,
    hopsMean: m.hops.mean,
    viewersAtEnd: m.viewersAtEnd,
    crashes: m.crashes,
    sourceUploadRatio: m.sourceUploadRatio,
    controlOverhead: m.controlOverhead,
  }
}
export type ComparisonRow = ReturnType<typeof comparisonRow>

export function fmt(v: number, digits = 3): string {
  return v.toFixed(digits)
}
