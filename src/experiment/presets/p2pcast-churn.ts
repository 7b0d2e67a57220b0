import { cdfChart, lineChart } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import type { RunOutcome } from '../run.ts'
import { runFacts } from './facts.ts'
import {
  type Contender,
  comparisonRow,
  contenderOf,
  fmt,
  linksFacts,
  stripesField,
  stripesOf,
  swarmScenario,
  titleWithF,
} from './p2pcast-common.ts'
import type { ExperimentReport, Figure, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface ChurnConfig {
  peers: number
  /** Crashes per minute as a percentage of the live peers. */
  crashRatesPctPerMin: readonly number[]
  rampS: number
  durationS: number
}

export const CHURN_DEFAULTS: ChurnConfig = {
  peers: 1000,
  crashRatesPctPerMin: [0, 2, 5, 10, 20],
  rampS: 60,
  durationS: 180,
}

const CONTENDERS: readonly Contender[] = ['p2pcast', 'p2pcast-noparity', 'spreadit']

function rateOf(run: RunOutcome): number {
  const s = run.scenario.churn[0]?.session
  return s?.dist === 'exponential' ? Math.round(((100 * 60) / s.meanS) * 1e6) / 1e6 : 0
}

function row(run: RunOutcome) {
  const m = run.metrics
  const repair = contenderOf(run.scenario) === 'spreadit' ? m.protocol.transienceMs : m.protocol.repairMs
  return {
    crashRatePctPerMin: rateOf(run),
    ...comparisonRow(run),
    viewersWithLoss: run.viewers.filter((v) => v.continuity !== null && v.continuity < 1).length,
    viewersPlaying: run.viewers.filter((v) => v.continuity !== null).length,
    repairP50Ms: repair?.p50 ?? null,
    repairP90Ms: repair?.p90 ?? null,
    repairs: repair?.count ?? 0,
  }
}
type Row = ReturnType<typeof row>

/**
 * P2PCast under crashes, with and without its parity stripe, and SpreadIt on the same swarm:
 * continuity and repair time vs the crash rate.
 */
export function p2pcastChurnPreset(config: ChurnConfig = CHURN_DEFAULTS): Preset {
  return {
    name: 'p2pcast-churn',
    takes: { stripes: true },
    description: `P2PCast with/without parity vs SpreadIt: continuity and repair time at ${config.crashRatesPctPerMin.join(', ')} %/min crashes, ${config.peers} peers (--peers N)`,

    plan(opts: PresetOptions): PlannedRun[] {
      const peers = opts.peers ?? config.peers
      const runs: PlannedRun[] = []
      for (const rate of config.crashRatesPctPerMin)
        for (const c of CONTENDERS)
          runs.push({
            label: `${c} ${rate}%/min N=${peers}`,
            scenario: swarmScenario(
              c,
              {
                peers,
                durationS: config.durationS,
                rampS: config.rampS,
                crashesPerMin: rate / 100,
                seed: opts.seed,
              },
              `p2pcast-churn-${rate}pct`,
              stripesOf(opts),
            ),
          })
      return runs
    },

    async report(runs: readonly RunOutcome[], opts: PresetOptions): Promise<ExperimentReport> {
      const f = stripesOf(opts)
      const rows = runs.map(row)
      const first = runs[0]!.scenario
      const peers = first.churn[0]?.maxPeers ?? 0
      const subtitle = `${runFacts(first, `N=${peers} peers, crashes replaced`)}, ${linksFacts(f)}`
      const byContender = (key: keyof Row) =>
        rows.map((r) => ({ x: r.crashRatePctPerMin, y: (r[key] as number | null) ?? 0, series: r.overlay }))
      const figures: Figure[] = [
        {
          file: 'continuity-mean-vs-crash-rate.svg',
          svg: await lineChart(
            {
              title: titleWithF('Continuity index (mean over viewers) vs crash rate', f),
              subtitle,
              xTitle: 'crashes per minute (% of live peers)',
              yTitle: 'continuity index',
            },
            byContender('continuityMean'),
          ),
        },
        {
          file: 'continuity-worst-vs-crash-rate.svg',
          svg: await lineChart(
            {
              title: titleWithF('Continuity index of the worst viewer vs crash rate', f),
              subtitle,
              xTitle: 'crashes per minute (% of live peers)',
              yTitle: 'continuity index (min over viewers)',
            },
            byContender('continuityMin'),
          ),
        },
        {
          file: 'viewers-with-loss-vs-crash-rate.svg',
          svg: await lineChart(
            {
              title: titleWithF('Viewers that missed at least one chunk vs crash rate', f),
              subtitle,
              xTitle: 'crashes per minute (% of live peers)',
              yTitle: 'viewers with continuity < 1',
            },
            byContender('viewersWithLoss'),
          ),
        },
      ]
      const highest = Math.max(...rows.map((r) => r.crashRatePctPerMin))
      const atHighest = runs.filter((r) => rateOf(r) === highest)
      figures.push({
        file: 'cdf-repair-time.svg',
        svg: await cdfChart(
          {
            title: titleWithF(
              `Repair time at ${highest} %/min crashes: P2PCast stripe outage, SpreadIt transience`,
              f,
            ),
            subtitle,
            xTitle: 'repair time (ms)',
            yTitle: 'fraction',
          },
          atHighest.map((r) => ({
            name: contenderOf(r.scenario),
            // Repair time: P2PCast's stripe outage per affected child; SpreadIt's transience.
            points:
              contenderOf(r.scenario) === 'spreadit'
                ? r.distributions.transienceMs
                : r.distributions.repairMs,
          })),
        ),
      })
      // Headline: crash rates where parity kept every viewer whole while SpreadIt lost chunks.
      const rates = [...new Set(rows.map((r) => r.crashRatePctPerMin))]
      const headline = rates.map((rate) => {
        const of = (c: Contender) => rows.find((r) => r.crashRatePctPerMin === rate && r.overlay === c)
        return {
          crashRatePctPerMin: rate,
          p2pcastAllViewersWhole: (of('p2pcast')?.viewersWithLoss ?? 1) === 0,
          p2pcastContinuityMin: of('p2pcast')?.continuityMin ?? null,
          noParityContinuityMin: of('p2pcast-noparity')?.continuityMin ?? null,
          spreaditContinuityMin: of('spreadit')?.continuityMin ?? null,
          spreaditViewersWithLoss: of('spreadit')?.viewersWithLoss ?? null,
        }
      })
      const ms = (v: number | null) => (v === null ? '-' : v.toFixed(0))
      const table = textTable(
        [
          '%/min',
          'overlay',
          'crashes',
          'cont mean',
          'cont p10',
          'cont min',
          'lossy',
          'repair p50',
          'repair p90',
          'depth max',
          'zero-up',
          'src up',
        ],
        rows.map((r) => [
          r.crashRatePctPerMin,
          r.overlay,
          r.crashes,
          fmt(r.continuityMean, 4),
          fmt(r.continuityP10, 4),
          fmt(r.continuityMin, 4),
          `${r.viewersWithLoss}/${r.viewersPlaying}`,
          ms(r.repairP50Ms),
          ms(r.repairP90Ms),
          r.depthMax,
          fmt(r.zeroUploadFraction, 2),
          `${r.sourceUploadRatio.toFixed(2)}x`,
        ]),
      )
      return {
        analysis: { ...stripesField(f), comparison: rows, headline },
        figures,
        table:
          `${table}\n(lossy = viewers with continuity < 1 / viewers that played; repair = P2PCast stripe outage` +
          ' from the last chunk or beat of a dead parent to the new parent, SpreadIt transience; zero-up = fraction' +
          ' of viewers at the end that uploaded no data; src up = source upload / stream rate; depth max = deepest' +
          ' stripe of any viewer at the end, each stripe followed through its own parents)',
      }
    },
  }
}

export const p2pcastChurn: Preset = p2pcastChurnPreset()
