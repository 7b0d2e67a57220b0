/**
 * Resolves on Ctrl-C / SIGTERM, when `done` settles, or when `failed()` turns true (polled once a
 * second), whichever comes first; the signal handlers are removed again.
 */
export function untilInterrupted(done?: Promise<unknown>, failed?: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      process.off('SIGINT', finish)
      process.off('SIGTERM', finish)
      clearInterval(poll)
      resolve()
    }
    process.once('SIGINT', finish)
    process.once('SIGTERM', finish)
    const poll = setInterval(() => {
      if (failed?.()) finish()
    }, 250)
    done?.then(finish, finish)
  })
}
