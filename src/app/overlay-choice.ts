import type { Message } from '../core/codec.ts'
import type { Overlay } from '../core/protocol.ts'
import { overlayNames, resolveOverlay } from '../experiment/overlays.ts'

/** A name or parameter the user gave that no overlay accepts (a usage error for the CLI). */
export class OverlayChoiceError extends Error {
  override readonly name = 'OverlayChoiceError'
}

export interface ChosenOverlay {
  readonly overlay: Overlay<Message, unknown>
  readonly params: unknown
}

/**
 * The overlay and its validated parameters, through the one overlay registry the simulator uses
 * too (src/experiment/overlays.ts), so a new overlay becomes broadcastable by registering there.
 */
export function chooseOverlay(name: string, rawParams: Record<string, unknown>): ChosenOverlay {
  if (!overlayNames().includes(name)) {
    throw new OverlayChoiceError(`unknown overlay "${name}" (available: ${overlayNames().join(', ')})`)
  }
  const overlay = resolveOverlay(name)
  try {
    return { overlay, params: overlay.parseParams(rawParams) }
  } catch (err) {
    // One line for the terminal: the validator prints one issue per line.
    throw new OverlayChoiceError((err as Error).message.replace(/\n\s*/g, ' '))
  }
}

/**
 * Parameters the app sets for real streams where the overlay's own default keeps the paper's
 * behaviour (and the simulator's results) unchanged. Explicit parameters win. SpreadIt's fast
 * start: a new child gets its parent's last 4 chunks at once (one second at 4 chunks/s, so the
 * burst holds a keyframe when the source sends one a second); see docs/architecture/app.md.
 */
export const APP_OVERLAY_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  spreadit: { burstChunks: 4 },
}

/** The app's defaults for `name` under the parameters given (those win). */
export function withAppDefaults(name: string, params: Record<string, unknown>): Record<string, unknown> {
  return { ...(APP_OVERLAY_DEFAULTS[name] ?? {}), ...params }
}
