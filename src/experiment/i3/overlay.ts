import type { Overlay } from '../../core/protocol.ts'
import { I3ServerNode, i3 } from '../../overlays/i3/index.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'

/**
 * How servers forward an id they do not own: 'chord' (i3: cached owner, else Chord fingers) or
 * 'direct' (straight to the owner; every server knows the static ring). Same delivery; 'direct'
 * skips the first packet's Chord walk, which joins pay on every query and reply (see i3.md).
 */
export type ServerRouting = 'chord' | 'direct'

/** The i3 overlay the presets run (tests may wrap it, e.g. to observe sends). */
export function defaultI3Overlay(routing: ServerRouting = 'chord'): Overlay<I3Message, I3Params> {
  if (routing === 'chord') return i3
  return {
    ...i3,
    createNode: (env, ctx, params) =>
      ctx.role === 'server'
        ? new I3ServerNode(env, ctx, params, { routing })
        : i3.createNode(env, ctx, params),
  }
}
