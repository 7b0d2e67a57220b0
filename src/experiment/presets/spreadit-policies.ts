import { ADD_POLICIES, DELETE_POLICIES } from '../../overlays/spreadit/params.ts'
import { barChart, cdfChart } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import type { CdfPoint } from '../../stream/summary.ts'
import type { RunOutcome } from '../run.ts'
import { parseScenario, type Scenario } from '../scenario.ts'
import { runFacts } from './facts.ts'
import type { ExperimentReport, Figure, PlannedRun, Preset, PresetOptions } from './preset.ts'

const SIZES = [1000, 10_000] as const
/** Arrivals ramp up the swarm, then sustained churn holds it near N for the rest of the run. */
const RAMP_S = 60
const SUSTAIN_S = 120
const MEAN_SESSION_S = 300
const CRASH_FRACTION = 0.2
const STREAM = { kbps: 300, chunkRateHz: 5 }
/** Players buffer a few seconds before they start (RealPlayer buffered up to 30 s in the paper). */
const PLAYOUT_BUFFER_S = 4

/**
 * Access links: the mix leaves 1.7 children of spare upload per viewer on average, so the tree
 * can hold everyone but the placement policy matters (a fifth of viewers cannot relay at all).
 */
const VIEWER_LINKS = [
  { share: 0.5, uploadKbps: 1000, downloadKbps: 4000 },
  { share: 0.3, uploadKbps: 600, downloadKbps: 2000 },
  { share: 0.2, uploadKbps: 256, downloadKbps: 1500 },
]

export function policyScenario(
  addPolicy: string,
  deletePolicy: string,
  peers: number,
  seed: number,
): Scenario {
  return parseScenario({
    name: `spreadit-${addPolicy}-${deletePolicy}-${peers}`,
    seed,
    durationS: RAMP_S + SUSTAIN_S,
    // Headroom below 1: chunk headers and control traffic ride on top of the stream rate, and a
    // relay filled to exactly its upload capacity builds an ever-growing queue.
    overlay: { name: 'spreadit', params: { addPolicy, deletePolicy, uploadHeadroom: 0.9 } },
    underlay: { kind: 'transit-stub' },
    stream: STREAM,
    playout: { startupChunks: PLAYOUT_BUFFER_S * STREAM.chunkRateHz, maxBufferChunks: 256 },
    sourceLink: { uploadKbps: 1500, downloadKbps: 1500 },
    viewerLinks: VIEWER_LINKS,
    churn: [
      {
        arrivalsPerS: peers / RAMP_S,
        startS: 0,
        endS: RAMP_S,
        session: { dist: 'exponential', meanS: MEAN_SESSION_S },
        crashFraction: CRASH_FRACTION,
        maxPeers: peers,
      },
      {
        // Replaces departures at the rate they happen in steady state (N / mean session).
        arrivalsPerS: peers / MEAN_SESSION_S,
        startS: RAMP_S,
        endS: RAMP_S + SUSTAIN_S,
        session: { dist: 'exponential', meanS: MEAN_SESSION_S },
        crashFraction: CRASH_FRACTION,
        maxPeers: peers,
      },
    ],
    sampling: { intervalS: 10 },
  })
}

function pairLabel(s: Scenario): { add: string; del: string } {
  const p = s.overlay.params as { addPolicy: string; deletePolicy: string }
  return { add: p.addPolicy, del: p.deletePolicy }
}

function peersOf(s: Scenario): number {
  return s.churn[0]?.maxPeers ?? 0
}

/** One row of the comparison: the figures the paper's policy discussion turns on. */
function row(run: RunOutcome) {
  const m = run.metrics
  const { add, del } = pairLabel(run.scenario)
  const discovery = m.protocol.parentDiscoveryMs
  const transience = m.protocol.transienceMs
  return {
    add,
    del,
    peers: peersOf(run.scenario),
    parentDiscoveryP50Ms: discovery?.p50 ?? null,
    parentDiscoveryP90Ms: discovery?.p90 ?? null,
    transienceP50Ms: transience?.p50 ?? null,
    transienceP90Ms: transience?.p90 ?? null,
    transienceEvents: transience?.count ?? 0,
    depthMax: m.treeDepthAtEnd.max,
    depthMean: m.treeDepthAtEnd.mean,
    hopsMax: m.hops.max,
    hopsMean: m.hops.mean,
    continuityMean: m.continuity.mean,
    continuityP10: m.continuity.p10,
    startupP50Ms: m.startupDelayMs.p50,
    startupP90Ms: m.startupDelayMs.p90,
    playoutLagP50Ms: m.playoutLagMs.p50,
    playoutLagP95Ms: m.playoutLagMs.p95,
    sourceUploadRatio: m.sourceUploadRatio,
    controlOverhead: m.controlOverhead,
    redirects: m.protocol.redirects?.count ?? 0,
    resourceUnavailable: m.protocol.resourceUnavailable?.count ?? 0,
  }
}
type Row = ReturnType<typeof row>

/** Metrics drawn as grouped bars (category = add policy, bar colour = delete policy). */
const BAR_METRICS: { key: keyof Row; file: string; title: string; unit: string }[] = [
  {
    key: 'parentDiscoveryP90Ms',
    file: 'parent-discovery-p90',
    title: 'Time to discover a parent, p90',
    unit: 'ms',
  },
  { key: 'transienceP90Ms', file: 'transience-p90', title: 'Transience time, p90', unit: 'ms' },
  { key: 'depthMax', file: 'tree-depth-max', title: 'Tree depth at the end, max', unit: 'hops' },
  { key: 'depthMean', file: 'tree-depth-mean', title: 'Tree depth at the end, mean', unit: 'hops' },
  {
    key: 'continuityMean',
    file: 'continuity-mean',
    title: 'Continuity index, mean over viewers',
    unit: 'fraction',
  },
  {
    key: 'continuityP10',
    file: 'continuity-p10',
    title: 'Continuity index, 10th percentile',
    unit: 'fraction',
  },
  { key: 'startupP90Ms', file: 'startup-delay-p90', title: 'Startup delay, p90', unit: 'ms' },
  { key: 'playoutLagP95Ms', file: 'playout-lag-p95', title: 'Playout lag, p95', unit: 'ms' },
  {
    key: 'controlOverhead',
    file: 'control-overhead',
    title: 'Control overhead (control / data bytes)',
    unit: 'ratio',
  },
]

/** Which runs a CDF compares: one policy dimension varies, the other is held at the paper's choice. */
const CDFS: {
  file: string
  title: string
  xTitle: string
  pick: (r: RunOutcome) => readonly CdfPoint[]
  vary: 'add' | 'del'
  hold: string
}[] = [
  {
    file: 'cdf-parent-discovery',
    title: 'CDF of time to discover a parent, by add policy (delete policy root)',
    xTitle: 'time to discover a parent (ms)',
    pick: (r) => r.distributions.parentDiscoveryMs,
    vary: 'add',
    hold: 'root',
  },
  {
    file: 'cdf-startup-delay',
    title: 'CDF of startup delay, by add policy (delete policy root)',
    xTitle: 'startup delay (ms)',
    pick: (r) => r.distributions.startupDelayMs,
    vary: 'add',
    hold: 'root',
  },
  {
    file: 'cdf-transience',
    title: 'CDF of transience time, by delete policy (add policy random)',
    xTitle: 'transience time (ms)',
    pick: (r) => r.distributions.transienceMs,
    vary: 'del',
    hold: 'random',
  },
  {
    file: 'cdf-continuity',
    title: 'CDF of continuity index, by delete policy (add policy random)',
    xTitle: 'continuity index',
    pick: (r) => r.distributions.continuity,
    vary: 'del',
    hold: 'random',
  },
]

export const spreaditPolicies: Preset = {
  name: 'spreadit-policies',
  description: `SpreadIt add × delete policies (5 × 4) at ${SIZES.join(' and ')} peers under churn; --peers N picks one size`,

  plan(opts: PresetOptions): PlannedRun[] {
    const sizes = opts.peers === undefined ? [...SIZES] : [opts.peers]
    const runs: PlannedRun[] = []
    for (const peers of sizes)
      for (const add of ADD_POLICIES)
        for (const del of DELETE_POLICIES)
          runs.push({
            label: `${add}/${del} N=${peers}`,
            scenario: policyScenario(add, del, peers, opts.seed),
          })
    return runs
  },

  async report(runs: readonly RunOutcome[]): Promise<ExperimentReport> {
    const rows = runs.map(row)
    const figures: Figure[] = []
    for (const peers of [...new Set(rows.map((r) => r.peers))]) {
      const ofSize = runs.filter((r) => peersOf(r.scenario) === peers)
      const rowsOfSize = rows.filter((r) => r.peers === peers)
      const subtitle = runFacts(ofSize[0]!.scenario, `N=${peers} peers under churn`)
      for (const metric of BAR_METRICS) {
        const bars = rowsOfSize.map((r) => ({
          category: r.add,
          group: r.del,
          value: (r[metric.key] as number | null) ?? 0,
        }))
        figures.push({
          file: `${metric.file}-N${peers}.svg`,
          svg: await barChart(
            {
              title: `${metric.title} by add/delete policy`,
              subtitle,
              xTitle: 'add policy',
              yTitle: metric.unit,
            },
            bars,
          ),
        })
      }
      for (const c of CDFS) {
        const series = ofSize
          .filter((r) => {
            const { add, del } = pairLabel(r.scenario)
            return c.vary === 'add' ? del === c.hold : add === c.hold
          })
          .map((r) => {
            const { add, del } = pairLabel(r.scenario)
            return { name: c.vary === 'add' ? add : del, points: c.pick(r) }
          })
        figures.push({
          file: `${c.file}-N${peers}.svg`,
          svg: await cdfChart({ title: c.title, subtitle, xTitle: c.xTitle, yTitle: 'fraction' }, series),
        })
      }
    }
    const ms = (v: number | null) => (v === null ? null : v.toFixed(0))
    const table = textTable(
      [
        'N',
        'add',
        'delete',
        'disc p50',
        'disc p90',
        'trans p90',
        'depth',
        'cont',
        'cont p10',
        'start p50',
        'lag p50',
        'src up',
        'ctrl',
      ],
      rows.map((r) => [
        r.peers,
        r.add,
        r.del,
        ms(r.parentDiscoveryP50Ms),
        ms(r.parentDiscoveryP90Ms),
        ms(r.transienceP90Ms),
        r.depthMax,
        r.continuityMean.toFixed(3),
        r.continuityP10.toFixed(3),
        ms(r.startupP50Ms),
        ms(r.playoutLagP50Ms),
        `${r.sourceUploadRatio.toFixed(2)}x`,
        `${(100 * r.controlOverhead).toFixed(2)}%`,
      ]),
    )
    return {
      analysis: { comparison: rows },
      figures,
      table:
        `${table}\n(times in ms; disc = time to discover a parent, trans = transience, depth = max at the end,` +
        ' cont = continuity, src up = source upload / stream rate, ctrl = control / data bytes)',
    }
  },
}
