import { lineChart } from '../../report/charts.ts'
import { linearRegression } from '../../report/fit.ts'
import { textTable } from '../../report/table.ts'
import type { RunOutcome } from '../run.ts'
import { parseScenario } from '../scenario.ts'
import { runFacts } from './facts.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

const DEFAULT_CHAIN_LENGTH = 15
const JOIN_INTERVAL_S = 2
/** The paper averaged packet delay over a one-minute run once the chain stood. */
const MEASURE_S = 60

/**
 * SpreadIt Fig. 7: packet delay vs hop count on a chain. Every node (source included) takes at
 * most one child, so viewers joining one after another line up one hop deeper each.
 */
export const spreaditChain: Preset = {
  name: 'spreadit-chain',
  description:
    'SpreadIt Fig. 7: mean packet delay vs hop count on a chain (maxChildren 1, no churn), linear fit',

  plan(opts: PresetOptions): PlannedRun[] {
    const viewers = opts.peers ?? DEFAULT_CHAIN_LENGTH
    const scenario = parseScenario({
      name: `spreadit-chain-${viewers}`,
      seed: opts.seed,
      durationS: 1 + viewers * JOIN_INTERVAL_S + MEASURE_S,
      overlay: { name: 'spreadit', params: { addPolicy: 'random', deletePolicy: 'root', maxChildren: 1 } },
      underlay: { kind: 'transit-stub' },
      stream: { kbps: 300, chunkRateHz: 10 },
      sourceLink: { uploadKbps: 1000, downloadKbps: 1000 },
      viewerLinks: [{ uploadKbps: 1000, downloadKbps: 4000 }],
      viewers: { count: viewers, startS: 1, intervalS: JOIN_INTERVAL_S },
      sampling: { intervalS: 10 },
    })
    return [{ label: `chain of ${viewers}`, scenario }]
  },

  runDetails(run: RunOutcome) {
    return { viewers: run.viewers }
  },

  async report(runs: readonly RunOutcome[]): Promise<ExperimentReport> {
    const run = runs[0]!
    // Hop count of a chain member is fixed; its mean over received chunks is that integer.
    const points = run.viewers
      .filter((v) => v.meanHops !== null && v.meanChunkDelayMs !== null)
      .map((v) => ({ viewer: v.id, hops: v.meanHops!, meanDelayMs: v.meanChunkDelayMs! }))
      .sort((a, b) => a.hops - b.hops)
    const fit = linearRegression(
      points.map((p) => p.hops),
      points.map((p) => p.meanDelayMs),
    )
    const hops = points.map((p) => p.hops)
    const xMin = Math.min(...hops, 1)
    const xMax = Math.max(...hops, 1)
    const svg = await lineChart(
      {
        title: 'SpreadIt chain: mean packet delay vs hop count (Fig. 7)',
        subtitle: runFacts(run.scenario, `chain of ${run.scenario.viewers.count} viewers`),
        xTitle: 'hops from the source',
        yTitle: 'mean packet delay (ms)',
        integerX: true,
      },
      points.map((p) => ({ x: p.hops, y: p.meanDelayMs })),
      {
        slope: fit.slope,
        intercept: fit.intercept,
        xMin,
        xMax,
        label: `fit: ${fit.slope.toFixed(1)} ms/hop + ${fit.intercept.toFixed(1)} ms, R² = ${fit.r2.toFixed(3)}`,
      },
    )
    const table = [
      textTable(
        ['hops', 'viewer', 'mean delay ms'],
        points.map((p) => [p.hops, String(p.viewer), p.meanDelayMs]),
      ),
      '',
      `linear fit: delay = ${fit.slope.toFixed(2)} ms/hop × hops + ${fit.intercept.toFixed(2)} ms, R² = ${fit.r2.toFixed(4)} (n = ${fit.n})`,
    ].join('\n')
    return {
      analysis: {
        fit: { slopeMsPerHop: fit.slope, interceptMs: fit.intercept, r2: fit.r2, n: fit.n },
        points,
      },
      figures: [{ file: 'delay-vs-hops.svg', svg }],
      table,
    }
  },
}
