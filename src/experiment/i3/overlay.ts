import type { Overlay } from '../../core/protocol.ts'
import { i3 } from '../../overlays/i3/index.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'

/** The i3 overlay the presets run (tests may wrap it, e.g. to observe sends). */
export function defaultI3Overlay(): Overlay<I3Message, I3Params> {
  return i3
}
