import { MAX_STRIPES, MIN_STRIPES } from '../stream/stripes.ts'
import { parseWholeNumber, UsageError } from './usage-error.ts'

/** Help text of `--stripes <f>` wherever a command takes it. */
export const STRIPES_HELP = `p2pcast: stripes f (${MIN_STRIPES}..${MAX_STRIPES}), f-1 data + 1 parity`

/**
 * `--stripes F` → P2PCast's stripe count. With `overlay` (broadcast, demo) the flag is refused for
 * any overlay but p2pcast; simulate checks it against the preset instead.
 */
export function parseStripesFlag(raw: string, overlay?: string): number {
  if (overlay !== undefined && overlay !== 'p2pcast')
    throw new UsageError(`--stripes applies to --overlay p2pcast only (got --overlay ${overlay})`)
  return parseWholeNumber('--stripes', raw, MIN_STRIPES, MAX_STRIPES)
}
