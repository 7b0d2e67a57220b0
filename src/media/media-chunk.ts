import type { Chunk } from '../stream/chunk.ts'

/**
 * A chunk as the media path cuts it: the Chunk contract minus what the source adds (stream id and
 * authentication), with a real payload. `{ ...mediaChunk, stream, auth }` is a Chunk.
 */
export interface MediaChunk extends Omit<Chunk, 'stream' | 'auth' | 'payload'> {
  readonly payload: Uint8Array
}
