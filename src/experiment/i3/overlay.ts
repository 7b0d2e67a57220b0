import { LocalProtocolError } from '../../core/errors.ts'
import type { Overlay } from '../../core/protocol.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'

/**
 * The i3 overlay the presets run. The end host and the `i3` overlay object
 * (src/overlays/i3/index.ts) are being written in parallel; until they land, callers pass
 * `overlay` explicitly.
 */
export function defaultI3Overlay(): Overlay<I3Message, I3Params> {
  throw new LocalProtocolError(
    'the i3 overlay (src/overlays/i3/index.ts) has not landed yet: pass buildI3Swarm({ overlay })',
  )
}
