import { LocalProtocolError } from '../core/errors.ts'
import { MAX_CHUNK_PAYLOAD_BYTES } from '../stream/chunk.ts'
import type { MediaChunk } from './media-chunk.ts'

/**
 * `--raw`: bytes that are not MPEG-TS, cut by size alone. Every chunk is marked as a keyframe,
 * since a byte stream without structure can be joined anywhere.
 */
export class RawChunker {
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private nextSeq: number

  constructor(
    private readonly targetBytes: number,
    firstSeq = 0,
  ) {
    if (!(targetBytes > 0 && targetBytes <= MAX_CHUNK_PAYLOAD_BYTES)) {
      throw new LocalProtocolError(
        `raw chunk size ${targetBytes} must lie in (0, ${MAX_CHUNK_PAYLOAD_BYTES}]`,
      )
    }
    this.nextSeq = firstSeq
  }

  push(bytes: Uint8Array, now: number): MediaChunk[] {
    const out: MediaChunk[] = []
    let from = 0
    while (from < bytes.length) {
      const take = Math.min(bytes.length - from, this.targetBytes - this.pendingBytes)
      this.pending.push(bytes.slice(from, from + take))
      this.pendingBytes += take
      from += take
      if (this.pendingBytes === this.targetBytes) out.push(this.cut(now))
    }
    return out
  }

  end(now: number): MediaChunk[] {
    return this.pendingBytes > 0 ? [this.cut(now)] : []
  }

  private cut(now: number): MediaChunk {
    const payload = new Uint8Array(this.pendingBytes)
    let at = 0
    for (const part of this.pending) {
      payload.set(part, at)
      at += part.length
    }
    this.pending = []
    this.pendingBytes = 0
    return { seq: this.nextSeq++, sourceTime: now, stripe: -1, size: payload.length, payload, keyframe: true }
  }
}
