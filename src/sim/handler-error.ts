import type { NodeId } from '../core/ids.ts'

/**
 * A protocol handler threw inside the simulator. Handlers must not throw on peer input, so this is
 * a bug in our code: the simulation stops and says which node, when, and what it was handling.
 * The original error is `cause`.
 */
export class ProtocolHandlerError extends Error {
  override readonly name = 'ProtocolHandlerError'

  constructor(
    readonly nodeId: NodeId,
    readonly timeMs: number,
    readonly event: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    super(`node ${nodeId} threw at t=${timeMs} ms while handling ${event}: ${why}`, { cause })
  }
}
