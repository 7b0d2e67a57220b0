import type { MessageSpec } from '../core/codec.ts'
import type { Reader, Writer } from '../core/wire.ts'

/**
 * A piece of the live stream. In the simulator `payload` may be null (a virtual chunk of
 * `size` bytes) so 10^5 peers fit in memory; the protocol code path is the same. Chunk objects
 * are immutable and shared by every relay: per-hop facts (hop count) live in the message.
 */
export interface Chunk {
  /** Stream id, derived from the source's public key. */
  readonly stream: string
  readonly seq: number
  /** Source clock (ms) when the chunk was cut; playout lag is measured against it. */
  readonly sourceTime: number
  /** P2PCast stripe index; -1 for unstriped overlays. */
  readonly stripe: number
  /** Payload length in bytes (equals payload.length when the payload is real). */
  readonly size: number
  readonly payload: Uint8Array | null
  /** True when the chunk starts a decodable group (an MPEG-TS random access point). */
  readonly keyframe: boolean
  /** Source authentication: a signature or Merkle proof; null only in unauthenticated simulations. */
  readonly auth: Uint8Array | null
}

/** The data message every overlay uses to carry a chunk one hop. */
export interface ChunkMessage {
  readonly type: 'chunk'
  readonly chunk: Chunk
  /** Overlay hops from the source so far (1 = received straight from the source). */
  readonly hops: number
}

export const MAX_CHUNK_PAYLOAD_BYTES = 256 * 1024
export const MAX_CHUNK_AUTH_BYTES = 1024
export const MAX_STREAM_ID_BYTES = 128
/** Fixed part of a chunk frame: header, ids, seq, time, flags (payload and auth extra). */
const CHUNK_FIXED_BYTES = 2 + 1 + 52 + 5 + 8 + 2 + 1 + 3 + 2

export function chunkMessageSpec(code: number): MessageSpec<ChunkMessage> {
  return {
    code,
    data: true,
    maxBytes: CHUNK_FIXED_BYTES + MAX_STREAM_ID_BYTES + MAX_CHUNK_PAYLOAD_BYTES + MAX_CHUNK_AUTH_BYTES + 16,
    encode(w: Writer, msg: ChunkMessage) {
      const c = msg.chunk
      if (c.payload === null) throw new RangeError('cannot encode a virtual chunk: it has no payload')
      w.string(c.stream)
        .varint(c.seq)
        .f64(c.sourceTime)
        .varint(c.stripe + 1)
        .u8(c.keyframe ? 1 : 0)
      w.varint(msg.hops)
        .bytes(c.payload)
        .bytes(c.auth ?? new Uint8Array(0))
    },
    decode(r: Reader): ChunkMessage {
      const stream = r.string(MAX_STREAM_ID_BYTES)
      const seq = r.varint()
      const sourceTime = r.f64()
      const stripe = r.varint() - 1
      const keyframe = r.u8() === 1
      const hops = r.varint()
      const payload = r.bytes(MAX_CHUNK_PAYLOAD_BYTES)
      const auth = r.bytes(MAX_CHUNK_AUTH_BYTES)
      const chunk: Chunk = {
        stream,
        seq,
        sourceTime,
        stripe,
        size: payload.length,
        payload,
        keyframe,
        auth: auth.length > 0 ? auth : null,
      }
      return { type: 'chunk', chunk, hops }
    },
    sizeOf(msg: ChunkMessage) {
      return CHUNK_FIXED_BYTES + msg.chunk.size + (msg.chunk.auth?.length ?? 64)
    },
  }
}
