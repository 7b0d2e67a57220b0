import { barChart, cdfChart } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import { cdf } from '../../stream/summary.ts'
import type { RunOutcome } from '../run.ts'
import { runFacts } from './facts.ts'
import {
  type Contender,
  comparisonRow,
  contenderOf,
  fmt,
  linksFacts,
  ratiosOf,
  stripesField,
  stripesOf,
  swarmScenario,
  titleWithF,
} from './p2pcast-common.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface FairnessConfig {
  peers: number
  rampS: number
  durationS: number
}

export const FAIRNESS_DEFAULTS: FairnessConfig = { peers: 1000, rampS: 60, durationS: 180 }

/** The issue's target: every non-special peer uploads what it downloads, 1.00 ± 0.05. */
export const RATIO_TOLERANCE = 0.05

const CONTENDERS: readonly Contender[] = ['p2pcast', 'spreadit']

function row(run: RunOutcome) {
  const ratios = ratiosOf(run)
  const within = ratios.filter((r) => Math.abs(r - 1) <= RATIO_TOLERANCE).length
  return {
    ...comparisonRow(run),
    viewersMeasured: ratios.length,
    ratioMin: ratios[0] ?? 0,
    ratioMax: ratios[ratios.length - 1] ?? 0,
    ratioMean: ratios.length === 0 ? 0 : ratios.reduce((a, b) => a + b, 0) / ratios.length,
    fractionWithinTolerance: ratios.length === 0 ? 0 : within / ratios.length,
  }
}

/**
 * Who carries the stream: each viewer's data upload / data download over the run (no crashes,
 * so no repairs), and the source's upload, for P2PCast and SpreadIt on the same swarm and links.
 * The special node is hosted by the source and is not a viewer, so every viewer here is a
 * non-special peer.
 */
export function p2pcastFairnessPreset(config: FairnessConfig = FAIRNESS_DEFAULTS): Preset {
  return {
    name: 'p2pcast-fairness',
    takes: { stripes: true },
    description: `P2PCast vs SpreadIt: CDF of per-viewer upload/download and source upload, ${config.peers} peers, no churn (--peers N)`,

    plan(opts: PresetOptions): PlannedRun[] {
      const peers = opts.peers ?? config.peers
      return CONTENDERS.map((c) => ({
        label: `${c} N=${peers}`,
        scenario: swarmScenario(
          c,
          { peers, durationS: config.durationS, rampS: config.rampS, crashesPerMin: 0, seed: opts.seed },
          'p2pcast-fairness',
          stripesOf(opts),
        ),
      }))
    },

    async report(runs: readonly RunOutcome[], opts: PresetOptions): Promise<ExperimentReport> {
      const f = stripesOf(opts)
      const rows = runs.map(row)
      const first = runs[0]!.scenario
      const peers = first.churn[0]?.maxPeers ?? 0
      const subtitle = `${runFacts(first, `N=${peers} peers joining over ${config.rampS} s, no churn`)}, ${linksFacts(f)}`
      const figures = [
        {
          file: 'cdf-upload-download-ratio.svg',
          svg: await cdfChart(
            {
              title: titleWithF('CDF of data upload / data download per viewer', f),
              subtitle,
              xTitle: 'upload / download (bytes of chunks over the run)',
              yTitle: 'fraction of viewers',
            },
            runs.map((r) => ({ name: contenderOf(r.scenario), points: cdf(ratiosOf(r)) })),
          ),
        },
        {
          file: 'source-upload.svg',
          svg: await barChart(
            {
              title: titleWithF('Source upload by overlay', f),
              subtitle,
              xTitle: 'overlay',
              yTitle: 'source upload / stream rate',
            },
            rows.map((r) => ({ category: r.overlay, value: r.sourceUploadRatio })),
          ),
        },
        {
          file: 'zero-upload-fraction.svg',
          svg: await barChart(
            {
              title: titleWithF('Viewers that uploaded no data', f),
              subtitle,
              xTitle: 'overlay',
              yTitle: 'fraction of viewers',
            },
            rows.map((r) => ({ category: r.overlay, value: r.zeroUploadFraction })),
          ),
        },
      ]
      const table = textTable(
        [
          'overlay',
          'viewers',
          'ratio min',
          'ratio mean',
          'ratio max',
          `within ±${RATIO_TOLERANCE}`,
          'zero-up',
          'src up',
          'cont mean',
          'depth max',
        ],
        rows.map((r) => [
          r.overlay,
          r.viewersMeasured,
          fmt(r.ratioMin, 3),
          fmt(r.ratioMean, 3),
          fmt(r.ratioMax, 3),
          fmt(r.fractionWithinTolerance, 3),
          fmt(r.zeroUploadFraction, 3),
          `${r.sourceUploadRatio.toFixed(2)}x`,
          fmt(r.continuityMean, 4),
          r.depthMax,
        ]),
      )
      return {
        analysis: { ...stripesField(f), comparison: rows, ratioTolerance: RATIO_TOLERANCE },
        figures,
        table: `${table}\n(ratio = a viewer's chunk bytes uploaded / downloaded over the whole run; zero-up = fraction uploading nothing; src up = source upload / stream rate)`,
      }
    },
  }
}

export const p2pcastFairness: Preset = p2pcastFairnessPreset()
