import { lineChart, type Point } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import {
  measureRefresh,
  type RefreshPoint,
  type RefreshScheme,
  type RefreshSetup,
} from '../i3/refresh-run.ts'
import { SweepProgress } from '../i3/run-progress.ts'
import { fmt } from './p2pcast-common.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface I3RefreshConfig extends RefreshSetup {
  sizes: readonly number[]
  schemes: readonly RefreshScheme[]
}

export const I3_REFRESH_DEFAULTS: I3RefreshConfig = {
  sizes: [16, 64, 256, 1024, 4096],
  schemes: ['naive', 'unif', 'level'],
  servers: 8192,
  joinsPerS: 20,
  // Two lifetimes: every timer has fired (and been suppressed) several times since the last join.
  settleS: 60,
  periods: 3,
  params: { triggerLifetimeMs: 30_000, refreshLossFactor: 3, maxTriggersPerId: 9 /* D = 8 */ },
}

/**
 * What the paper says about Fig. 12. Its curves are not in the text we have, so only the stated
 * findings are kept, and §4's model bound.
 */
export const I3_REFRESH_PAPER = {
  figure: 'Fig. 12: maximum and average number of refreshes per trigger per refresh period vs group size',
  readFrom:
    '§6.2 text: "the average number of refreshes are roughly the same for both schemes (i.e., about 1.5), with refresh-unif performing slightly better"; "the refresh-level scheme reduces the maximum number of refreshes per trigger significantly and the difference increases as the size of the group increases". No per-size values are given in the text.',
  averagePerRefreshPeriod: 1.5,
  maxTrend: 'refresh-level below refresh-unif, the gap growing with group size',
  schemes: {
    unif: 'every trigger on the path: U[T/2, T)',
    level: 'one and two levels up: U[T/2, 3T/4); further up: U[3T/4, T)',
  },
  model:
    '§4: n refreshers with timers U[αT, βT) and instant REFRESH_ACKs give 1/(α + (β-α)/(n+1)) refreshes per period, at most 2 for α = 1/2, β = 1; propagation delay of the acks adds n·v/(T(β-α))',
  modelBoundPerRefreshPeriod: 2,
  triggerLifetimeMs: 30_000,
  refreshLossFactor: 3,
  normalisation:
    'timers are divided by k = 3 (§4), so a trigger gets about k times the per-period count in each T; we read the figure\'s "refresh period" as T/k (our per-T counts divided by k), the only reading under which the stated average of 1.5 is possible (one refresher with U[T/2, T)/k alone gives 4 per T)',
}

const SCHEME_NAMES: Record<RefreshScheme, string> = {
  naive: 'naive',
  unif: 'refresh-unif',
  level: 'refresh-level',
}

function row(p: RefreshPoint) {
  return {
    receivers: p.receivers,
    scheme: p.scheme,
    joined: p.joined,
    neverJoined: p.neverJoined,
    treeTriggers: p.tree.triggers,
    meanPerPeriod: p.treePerRefreshPeriod.mean,
    maxPerPeriod: p.treePerRefreshPeriod.maxMean,
    maxMaxPerPeriod: p.treePerRefreshPeriod.maxMax,
    meanPerT: p.tree.mean,
    maxPerT: p.tree.maxMean,
    hostTargetMeanPerT: p.hostTargets.mean,
  }
}

/**
 * Fig. 12: refreshes per trigger of the tree of triggers under naive, refresh-unif and
 * refresh-level, vs group size. The simulation runs inside report() (the i3 swarm has servers
 * and is not a Scenario), one run per size and scheme, all with the same seed and underlay.
 */
export function i3RefreshPreset(config: I3RefreshConfig = I3_REFRESH_DEFAULTS): Preset {
  const sizesFor = (opts: PresetOptions) => (opts.peers === undefined ? [...config.sizes] : [opts.peers])
  return {
    name: 'i3-refresh',
    description: `i3 Fig. 12: max and mean refreshes per trigger per period, ${config.schemes.join('/')} at ${config.sizes.join(', ')} receivers (--peers N: one size)`,

    plan(): PlannedRun[] {
      return []
    },

    async report(_runs, opts: PresetOptions): Promise<ExperimentReport> {
      const points: RefreshPoint[] = []
      const { sizes: _, schemes, ...setup } = config
      const runSizes = sizesFor(opts)
      const sweep = new SweepProgress(opts.progress, runSizes.length * schemes.length)
      for (const receivers of runSizes)
        for (const scheme of schemes)
          points.push(
            sweep.run(`N=${receivers} ${SCHEME_NAMES[scheme]}`, (progress) =>
              measureRefresh({ ...setup, seed: opts.seed, receivers, scheme, ...progress }),
            ),
          )
      const rows = points.map(row)
      const first = points[0]
      const T = first?.triggerLifetimeMs ?? 0
      const k = first?.refreshLossFactor ?? 0
      const facts = `T = ${T / 1000} s, k = ${k}, ${config.servers} servers, transit-stub underlay, joins at ${config.joinsPerS}/s, ${config.settleS} s settling, ${config.periods} periods measured, seed ${opts.seed}`

      const maxPoints: Point[] = []
      const meanPoints: Point[] = []
      for (const r of rows) {
        const x = Math.log2(r.receivers)
        // naive grows with the subtree (k per receiver below): the table has it, the plot would be all naive.
        if (r.scheme !== 'naive')
          maxPoints.push({ x, y: r.maxPerPeriod, series: `${SCHEME_NAMES[r.scheme]} max` })
        meanPoints.push({ x, y: r.meanPerPeriod, series: `${SCHEME_NAMES[r.scheme]} mean` })
      }
      const sizes = [...new Set(rows.map((r) => r.receivers))]
      for (const n of sizes) {
        meanPoints.push({
          x: Math.log2(n),
          y: I3_REFRESH_PAPER.averagePerRefreshPeriod,
          series: 'paper mean ≈ 1.5',
        })
        maxPoints.push({
          x: Math.log2(n),
          y: I3_REFRESH_PAPER.modelBoundPerRefreshPeriod,
          series: '§4 bound (2)',
        })
      }
      const figures = [
        {
          file: 'refresh-max-vs-size.svg',
          svg: await lineChart(
            {
              title: 'Maximum refreshes per tree trigger per refresh period (T/k) vs group size',
              subtitle: `per period T the largest count over all (x -> id) triggers, divided by k, mean over periods (naive: see the table); ${facts}`,
              xTitle: 'log2 group size',
              yTitle: 'max refreshes per T/k',
            },
            maxPoints,
          ),
        },
        {
          file: 'refresh-mean-vs-size.svg',
          svg: await lineChart(
            {
              title: 'Mean refreshes per tree trigger per refresh period (T/k) vs group size',
              subtitle: `paper: about 1.5 for both schemes (§6.2); ${facts}`,
              xTitle: 'log2 group size',
              yTitle: 'mean refreshes per T/k',
            },
            meanPoints,
          ),
        },
      ]

      const table = [
        `i3-refresh (${facts}); counts per refresh period T/k over tree triggers (x -> id):`,
        textTable(
          ['N', 'scheme', 'joined', 'tree triggers', 'mean/(T/k)', 'max/(T/k)', 'max max', 'mean/T', 'max/T'],
          rows.map((r) => [
            r.receivers,
            SCHEME_NAMES[r.scheme],
            `${r.joined}/${r.receivers}`,
            fmt(r.treeTriggers, 0),
            fmt(r.meanPerPeriod, 2),
            fmt(r.maxPerPeriod, 2),
            fmt(r.maxMaxPerPeriod, 2),
            fmt(r.meanPerT, 2),
            fmt(r.maxPerT, 2),
          ]),
        ),
        `paper (§6.2): mean about ${I3_REFRESH_PAPER.averagePerRefreshPeriod} for both, refresh-level's max well below refresh-unif's and the gap grows with N`,
      ].join('\n')
      return {
        analysis: {
          points,
          rows,
          paper: I3_REFRESH_PAPER,
          method: {
            facts,
            triggers:
              "tree triggers = live triggers with an id target (x -> id) on every server at the end of each period T; host-target triggers (a receiver's own, jset/fset and recovery memberships, refreshed by one node) are reported apart as hostTargets",
            counting:
              'server-side counts of refresh-flagged inserts per stored trigger since resetRefreshStats at the start of the period (lost refreshes do not count; this preset runs without loss)',
          },
        },
        figures,
        table,
      }
    },
  }
}

export const i3Refresh: Preset = i3RefreshPreset()
