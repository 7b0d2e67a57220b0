import type { Message } from '../core/codec.ts'
import type { Overlay } from '../core/protocol.ts'
import { i3 } from '../overlays/i3/index.ts'
import { p2pcast } from '../overlays/p2pcast/index.ts'
import { spreadit } from '../overlays/spreadit/index.ts'
import { ScenarioError } from './scenario.ts'

/**
 * Overlays a scenario can name. Each overlay that lands registers here (one line), so the CLI,
 * presets and scenario files reach all of them through the same `Overlay` contract.
 */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds overlays of every message/param type
const overlays: Record<string, Overlay<any, any>> = {
  spreadit,
  p2pcast,
  // Needs infrastructure: a scenario running i3 sets `servers` (rendezvous servers).
  i3,
}

export function overlayNames(): string[] {
  return Object.keys(overlays).sort()
}

export function resolveOverlay(name: string): Overlay<Message, unknown> {
  const overlay = overlays[name]
  if (!overlay) {
    throw new ScenarioError(
      `scenario.overlay.name: unknown overlay "${name}" (known: ${overlayNames().join(', ')})`,
    )
  }
  return overlay
}

/** The overlay's own parameter check, with its complaint attributed to the scenario field. */
export function parseOverlayParams(
  overlay: Overlay<Message, unknown>,
  raw: Record<string, unknown>,
): unknown {
  try {
    return overlay.parseParams(raw)
  } catch (err) {
    throw new ScenarioError(`scenario.overlay.params: ${(err as Error).message}`)
  }
}
