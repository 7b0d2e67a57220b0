import type { PresetProgress } from '../presets/preset.ts'

/**
 * How an i3 run reports its simulated clock: `plannedEndMs` is when the run ends if every join
 * finishes as it arrives. Called once at time 0, as soon as the swarm is built, then as it runs.
 */
export type I3RunProgress = (nowMs: number, plannedEndMs: number) => void

/**
 * Binds a run's planned end to its progress callback and reports time 0 at once, so that a
 * display knows the run's length before the first event. Returns what Simulation.runUntil takes.
 */
export function startRunProgress(
  onProgress: I3RunProgress | undefined,
  plannedEndMs: number,
): ((nowMs: number) => void) | undefined {
  if (!onProgress) return undefined
  onProgress(0, plannedEndMs)
  return (nowMs) => onProgress(nowMs, plannedEndMs)
}

/**
 * The runs of one i3 sweep (sizes x seeds or schemes), reported to PresetOptions.progress as
 * runExperiment reports planned runs: a start with the planned length, simulated time rising to
 * it, an end. A run may pass its planned end (a join that finishes late): the time shown then
 * waits at the planned end, so it never runs backwards nor past the total it announced.
 */
export class SweepProgress {
  private next = 0

  constructor(
    private readonly hooks: PresetProgress | undefined,
    private readonly count: number,
  ) {}

  /** Runs `run` as the sweep's next run, handing it the run options to spread: `{ onProgress }` or none. */
  run<T>(label: string, run: (progress: { onProgress?: I3RunProgress }) => T): T {
    const index = this.next++
    const hooks = this.hooks
    if (!hooks) return run({})
    let totalMs = -1
    let shownMs = 0
    const result = run({
      onProgress: (nowMs, plannedEndMs) => {
        if (totalMs < 0) {
          totalMs = plannedEndMs
          hooks.onRunStart?.(index, this.count, label, totalMs)
        }
        shownMs = Math.max(shownMs, Math.min(nowMs, totalMs))
        hooks.onProgress?.(shownMs, totalMs)
      },
    })
    // A run that reported nothing still shows as started and done.
    if (totalMs < 0) hooks.onRunStart?.(index, this.count, label, (totalMs = 0))
    hooks.onProgress?.(totalMs, totalMs)
    hooks.onRunEnd?.(index, this.count, label)
    return result
  }
}
