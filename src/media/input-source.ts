import { stat } from 'node:fs/promises'
import { type PacedReaderOptions, PacedTsFileReader } from './paced-reader.ts'

export type MediaInputKind = 'stdin' | 'url' | 'file'

/** Where `broadcast` reads from: "-" is stdin, http(s):// a URL, anything else a file path. */
export function mediaInputKind(spec: string): MediaInputKind {
  if (spec === '-') return 'stdin'
  if (/^https?:\/\//i.test(spec)) return 'url'
  return 'file'
}

/**
 * Opens a broadcast input as a stream of byte reads. Stdin and URLs are live already (they are
 * consumed as fast as they arrive); a file is paced to real time by its PCR and may loop.
 */
export async function openMediaInput(
  spec: string,
  fileOptions: PacedReaderOptions = {},
): Promise<AsyncIterable<Uint8Array>> {
  const kind = mediaInputKind(spec)
  if (kind === 'stdin') return process.stdin
  if (kind === 'url') {
    const response = await fetch(spec, { signal: fileOptions.signal ?? null })
    if (!response.ok || response.body === null) {
      throw new Error(`cannot read ${spec}: HTTP ${response.status} ${response.statusText}`)
    }
    return response.body as unknown as AsyncIterable<Uint8Array>
  }
  const info = await stat(spec).catch(() => null)
  if (info === null || !info.isFile()) throw new Error(`cannot read "${spec}": no such file`)
  return new PacedTsFileReader(spec, fileOptions)
}
