/**
 * Bad input from the person at the terminal (unknown preset, invalid scenario, bad flag value).
 * main() prints its message as one line, without a stack trace, and exits with code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Errors whose message is meant for the user as is (ours, and the scenario validator's). */
export function isUserFacingError(err: unknown): err is Error {
  return err instanceof Error && (err.name === 'UsageError' || err.name === 'ScenarioError')
}

export function parseWholeNumber(flag: string, raw: string, min: number, max: number): number {
  const v = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${raw}"`)
  }
  return v
}
