import { cdfChart, lineChart } from '../report/charts.ts'
import { textTable } from '../report/table.ts'
import { runFacts } from './presets/facts.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './presets/preset.ts'
import type { RunOutcome } from './run.ts'
import type { Scenario } from './scenario.ts'

/**
 * --peers on a scenario file: the number of viewers that join one by one, or, for a churn
 * scenario, the cap on live viewers of every churn phase.
 */
export function withPeers(s: Scenario, peers: number): Scenario {
  if (s.churn.length === 0) return { ...s, viewers: { ...s.viewers, count: peers } }
  return { ...s, churn: s.churn.map((phase) => ({ ...phase, maxPeers: peers })) }
}

function peersText(s: Scenario): string {
  if (s.churn.length === 0) return `${s.viewers.count} viewers`
  const cap = Math.max(...s.churn.map((c) => c.maxPeers ?? 0))
  return cap > 0 ? `up to ${cap} viewers under churn` : 'viewers under churn'
}

/** A scenario file run as a one-run experiment with a generic report. */
export function scenarioExperiment(scenario: Scenario, target: string): Preset {
  return {
    name: target,
    description: scenario.description ?? `scenario ${scenario.name}`,

    plan(opts: PresetOptions): PlannedRun[] {
      let s: Scenario = { ...scenario, seed: opts.seed }
      if (opts.peers !== undefined) s = withPeers(s, opts.peers)
      return [{ label: s.name, scenario: s }]
    },

    async report(runs: readonly RunOutcome[]): Promise<ExperimentReport> {
      const run = runs[0]!
      const s = run.scenario
      const m = run.metrics
      const subtitle = runFacts(s, peersText(s))
      const timeline = run.samples.flatMap((x) => [
        { x: x.tS, y: x.liveViewers, series: 'live viewers' },
        { x: x.tS, y: x.inTree, series: 'in the tree' },
        { x: x.tS, y: x.connected, series: 'receiving' },
      ])
      const figures = [
        {
          file: 'viewers-over-time.svg',
          svg: await lineChart(
            {
              title: `${s.name}: viewers over time`,
              subtitle,
              xTitle: 'simulated time (s)',
              yTitle: 'viewers',
            },
            timeline,
          ),
        },
        {
          file: 'cdf-startup-delay.svg',
          svg: await cdfChart(
            {
              title: `${s.name}: CDF of startup delay`,
              subtitle,
              xTitle: 'startup delay (ms)',
              yTitle: 'fraction',
            },
            [{ name: s.overlay.name, points: run.distributions.startupDelayMs }],
          ),
        },
        {
          file: 'cdf-continuity.svg',
          svg: await cdfChart(
            {
              title: `${s.name}: CDF of continuity index`,
              subtitle,
              xTitle: 'continuity index',
              yTitle: 'fraction',
            },
            [{ name: s.overlay.name, points: run.distributions.continuity }],
          ),
        },
      ]
      const table = textTable(
        ['metric', 'value'],
        [
          ['viewers joined', m.viewersJoined],
          ['viewers at end', m.viewersAtEnd],
          ['never started', m.neverStarted],
          ['startup delay p50 / p90 (ms)', `${fmt(m.startupDelayMs.p50)} / ${fmt(m.startupDelayMs.p90)}`],
          ['continuity mean / p10', `${fmt(m.continuity.mean, 3)} / ${fmt(m.continuity.p10, 3)}`],
          ['playout lag p50 / p95 (ms)', `${fmt(m.playoutLagMs.p50)} / ${fmt(m.playoutLagMs.p95)}`],
          ['tree depth max / mean', `${m.treeDepthAtEnd.max} / ${fmt(m.treeDepthAtEnd.mean, 2)}`],
          ['source upload (x stream rate)', fmt(m.sourceUploadRatio, 2)],
          ['control overhead (control/data)', fmt(m.controlOverhead, 4)],
        ],
      )
      return { analysis: {}, figures, table }
    },
  }
}

function fmt(v: number, digits = 0): string {
  return v.toFixed(digits)
}
