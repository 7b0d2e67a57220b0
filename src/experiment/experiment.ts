import type { ExperimentReport, Figure, Preset, PresetOptions } from './presets/preset.ts'
import { type RunOutcome, runScenario } from './run.ts'
import { stableJson } from './stable-json.ts'

export interface ExperimentHooks {
  onRunStart?: (index: number, count: number, label: string, totalMs: number) => void
  onProgress?: (simMs: number, totalMs: number) => void
  onRunEnd?: (index: number, count: number, label: string, run: RunOutcome) => void
}

export interface ExperimentResult {
  /** The results.json text: deterministic (no wall clock), sorted keys, rounded numbers. */
  resultsJson: string
  figures: Figure[]
  table: string
}

/** Run every planned scenario of a preset in order, then let the preset analyse and plot them. */
export async function runExperiment(
  preset: Preset,
  opts: PresetOptions,
  hooks: ExperimentHooks = {},
): Promise<ExperimentResult> {
  const plan = preset.plan(opts)
  const runs: RunOutcome[] = []
  const written: Record<string, unknown>[] = []
  plan.forEach(({ label, scenario }, i) => {
    hooks.onRunStart?.(i, plan.length, label, scenario.durationS * 1000)
    const run = runScenario(scenario, { onProgress: hooks.onProgress })
    hooks.onRunEnd?.(i, plan.length, label, run)
    runs.push(run)
    written.push({
      label,
      scenario: run.scenario,
      metrics: run.metrics,
      samples: run.samples,
      eventsProcessed: run.eventsProcessed,
      ...(preset.runDetails?.(run) ?? {}),
    })
  })
  const report: ExperimentReport = await preset.report(runs, opts)
  const results = {
    experiment: preset.name,
    description: preset.description,
    seed: opts.seed,
    peers: opts.peers ?? null,
    replay: `peercaster simulate ${preset.name} --seed ${opts.seed}${opts.peers === undefined ? '' : ` --peers ${opts.peers}`}`,
    analysis: report.analysis,
    runs: written,
  }
  return { resultsJson: stableJson(results), figures: report.figures, table: report.table }
}
