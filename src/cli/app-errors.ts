import { UsageError } from './usage-error.ts'

/**
 * A failure of `broadcast` / `watch` / `demo` the user can act on (port in use, file not TS,
 * bootstrap unreachable): main() prints its message as one line and exits with code 1.
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure'
}

// Matched by name (js-libp2p style), so the CLI need not load libp2p before a command runs.
const USAGE_ERRORS = new Set(['StreamUriError', 'OverlayChoiceError', 'RangeError'])
const OPERATIONAL_ERRORS = new Set(['PortInUseError', 'BroadcastInputError', 'NotMpegTsError'])

/** Maps what the app layer throws to the CLI's two error kinds; anything else is a bug (rethrown). */
export function toCommandError(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  if (USAGE_ERRORS.has(err.name)) return new UsageError(err.message)
  if (OPERATIONAL_ERRORS.has(err.name)) return new CommandFailure(err.message)
  if (/^Cannot (reach any bootstrap peer|join the stream)/.test(err.message))
    return new CommandFailure(err.message)
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(err.message)) {
    // libp2p wraps the socket error in a paragraph with a stack; keep the address.
    const addr = /address already in use (\S+)/.exec(err.message)?.[1]
    return new CommandFailure(
      `cannot listen on ${addr ?? 'a listen address'}: address already in use; pass --listen with a free port`,
    )
  }
  if (code === 'EACCES' || code === 'ENOENT' || code === 'EISDIR') return new CommandFailure(err.message)
  return err
}
