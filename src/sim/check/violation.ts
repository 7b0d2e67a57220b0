import type { Violation } from './invariants.ts'

/**
 * Thrown by randomized runs when an invariant breaks. The message carries everything needed to
 * replay the failure: the seed, the step, the simulated time, and what broke where.
 */
export class InvariantViolationError extends Error {
  override readonly name = 'InvariantViolationError'

  constructor(
    readonly seed: number,
    readonly step: number | string,
    readonly timeMs: number,
    readonly violations: readonly Violation[],
  ) {
    const shown = violations.slice(0, 10).map((v) => `  [${v.invariant}] node ${v.node}: ${v.detail}`)
    const more = violations.length > 10 ? `\n  ... and ${violations.length - 10} more` : ''
    super(
      `invariant violated (seed ${seed}, step ${step}, t=${timeMs.toFixed(1)} ms); replay with this seed:\n${shown.join('\n')}${more}`,
    )
  }
}

/** Throw if any violation was found. */
export function assertNoViolations(
  violations: readonly Violation[],
  where: { seed: number; step: number | string; timeMs: number },
): void {
  if (violations.length > 0)
    throw new InvariantViolationError(where.seed, where.step, where.timeMs, violations)
}
