import type { Message } from '../../core/codec.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Env, Overlay } from '../../core/protocol.ts'

/** Sees every message a node's protocol sends, before the network can lose it. */
export type SendObserver<M extends Message> = (from: NodeId, to: NodeId, msg: M) => void

/**
 * The same overlay, with every node's Env.send reported to `observe` first. The simulator's
 * onTransmit hook sees a message only once it survived loss, so counting what protocols *send*
 * (repair requests lost on their first hop included) needs this seam. The protocol objects are
 * the overlay's own (sim.protocol(id) still returns them); only the Env they get is wrapped.
 */
export function observeSends<M extends Message, P>(
  overlay: Overlay<M, P>,
  observe: SendObserver<M>,
): Overlay<M, P> {
  return {
    name: overlay.name,
    codec: overlay.codec,
    parseParams: (raw) => overlay.parseParams(raw),
    createNode(env, ctx, params) {
      const watched: Env<M> = {
        self: env.self,
        rng: env.rng,
        send(to, msg) {
          observe(env.self, to, msg)
          env.send(to, msg)
        },
        setTimer: (delayMs, kind, arg) => env.setTimer(delayMs, kind, arg),
        cancelTimer: (id) => env.cancelTimer(id),
        deliver: (chunk, hops) => env.deliver(chunk, hops),
        locate: () => env.locate(),
        distance: (a, b) => env.distance(a, b),
        metric: (name, value) => env.metric(name, value),
        disconnect: (peer) => env.disconnect(peer),
        ...(env.sign ? { sign: env.sign.bind(env) } : {}),
      }
      return overlay.createNode(watched, ctx, params)
    },
  }
}
