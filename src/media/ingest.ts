import { TsChunker, type TsChunkerOptions, type TsChunkerStats } from './chunker.ts'
import type { MediaChunk } from './media-chunk.ts'
import type { ProgramInfo } from './psi.ts'
import { TsPacketReader, type TsPacketReaderOptions, type TsPacketReaderStats } from './ts-packets.ts'

export interface TsIngestOptions extends TsChunkerOptions {
  reader?: TsPacketReaderOptions
}

export interface TsIngestStats {
  reader: TsPacketReaderStats
  chunker: TsChunkerStats
  program: ProgramInfo | null
}

/**
 * Bytes in, chunks out: the broadcaster's MPEG-TS path (packet alignment, then chunking). Raw,
 * unaligned reads from a pipe, file or socket go in; chunks that start on packet boundaries, with
 * keyframe chunks carrying PAT+PMT, come out. Throws NotMpegTsError when the input is not TS.
 */
export class TsIngest {
  readonly reader: TsPacketReader
  readonly chunker: TsChunker

  constructor(options: TsIngestOptions) {
    this.reader = new TsPacketReader(options.reader)
    this.chunker = new TsChunker(options)
  }

  push(bytes: Uint8Array, now: number): MediaChunk[] {
    const out: MediaChunk[] = []
    for (const packet of this.reader.push(bytes)) out.push(...this.chunker.push(packet, now))
    return out
  }

  end(now: number): MediaChunk[] {
    const out: MediaChunk[] = []
    for (const packet of this.reader.end()) out.push(...this.chunker.push(packet, now))
    out.push(...this.chunker.flush(now))
    return out
  }

  stats(): TsIngestStats {
    return {
      reader: { ...this.reader.stats },
      chunker: { ...this.chunker.stats },
      program: this.chunker.psi.program,
    }
  }
}

/** Runs an async byte source through TsIngest, stamping chunks with `clock()` (ms). */
export async function* ingestTs(
  input: AsyncIterable<Uint8Array>,
  options: TsIngestOptions,
  clock: () => number,
): AsyncGenerator<MediaChunk> {
  const ingest = new TsIngest(options)
  for await (const bytes of input) yield* ingest.push(bytes, clock())
  yield* ingest.end(clock())
}
