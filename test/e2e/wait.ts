/**
 * Waits until `cond()` holds (it may be async), polling every `everyMs`; rejects naming `what`
 * after `timeoutMs`. Every wait in the end-to-end tests is bounded: a stuck swarm fails the test
 * with a message instead of hanging the suite.
 */
export async function waitUntil(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  explain?: () => string,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `\n${explain()}` : ''}`)
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Lets the swarm run for `ms` (a measurement window, never an assertion by itself). */
export function runFor(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Rejects after `ms` with a message naming `what`, else resolves with `p`. */
export async function withTimeout<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
