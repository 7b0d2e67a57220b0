import type { RunOutcome } from '../run.ts'
import type { Scenario } from '../scenario.ts'

export interface PresetOptions {
  seed: number
  /** --peers: restrict or resize the experiment to this many viewers (meaning is per preset). */
  peers?: number
  /** --stripes: p2pcast presets: stripes f, 2..16 (default 2); others refuse it (Preset.takes). */
  stripes?: number
  /**
   * Progress of the simulations a preset runs itself inside report() (the i3 presets: their
   * swarms are not Scenarios). Display only: it never changes what is simulated or written.
   */
  progress?: PresetProgress
}

/**
 * The calls runExperiment's hooks get for planned runs (experiment.ts), for runs inside report():
 * per run a start with its planned simulated length, simulated time rising to that length, an end.
 */
export interface PresetProgress {
  onRunStart?: (index: number, count: number, label: string, totalMs: number) => void
  onProgress?: (simMs: number, totalMs: number) => void
  onRunEnd?: (index: number, count: number, label: string) => void
}

export interface PlannedRun {
  /** Short and unique within the experiment, e.g. "random/root N=1000". */
  label: string
  scenario: Scenario
}

export interface Figure {
  /** File name inside the output directory, e.g. "delay-vs-hops.svg". */
  file: string
  svg: string
}

export interface ExperimentReport {
  /** Preset-specific findings for results.json (e.g. the fitted slope); deterministic values only. */
  analysis: Record<string, unknown>
  figures: Figure[]
  /** Short plain-text summary for the terminal. */
  table: string
}

/** A named experiment: one or more scenario runs, then a report over all of them. */
export interface Preset {
  readonly name: string
  /** One line for `peercaster simulate --help` and the unknown-preset message. */
  readonly description: string
  /** Options beyond seed and peers that this preset honours; the CLI refuses the others. */
  readonly takes?: { readonly stripes?: boolean }
  plan(opts: PresetOptions): PlannedRun[]
  report(runs: readonly RunOutcome[], opts: PresetOptions): Promise<ExperimentReport>
  /** Per-run fields to write besides metrics and samples (e.g. per-viewer records for small runs). */
  runDetails?(run: RunOutcome): Record<string, unknown>
}
