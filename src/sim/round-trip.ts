import type { Message, MessageCodec } from '../core/codec.ts'
import { LocalProtocolError } from '../core/errors.ts'
import type { Chunk } from '../stream/chunk.ts'

/**
 * Debug mode `roundTripCodec`: every message goes through encode + decode and the receiver gets
 * the decoded copy, proving on small runs that the overlay's codec carries everything the
 * overlay reads. Chunks must then have real payloads (the simulator materializes them).
 */
export function roundTrip<M extends Message>(codec: MessageCodec<M>, msg: M): M {
  let bytes: Uint8Array
  try {
    bytes = codec.encode(msg)
  } catch (err) {
    throw new LocalProtocolError(`roundTripCodec: ${codec.name} cannot encode ${msg.type}: ${describe(err)}`)
  }
  try {
    const decoded = codec.decode(bytes)
    if (decoded.type !== msg.type) {
      throw new Error(`decoded as ${decoded.type}`)
    }
    return decoded
  } catch (err) {
    throw new LocalProtocolError(
      `roundTripCodec: ${codec.name} cannot decode its own ${msg.type}: ${describe(err)}`,
    )
  }
}

/** A chunk with a zero-filled payload of its declared size (round-trip mode only). */
export function materialize(chunk: Chunk): Chunk {
  return chunk.payload !== null ? chunk : { ...chunk, payload: new Uint8Array(chunk.size) }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
