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
    // Lock the body now: undici cancels the body of a garbage-collected Response whose stream is
    // neither locked nor read yet (nodejs/undici#3199), and the broadcaster sets up its host
    // between opening the input and reading it; the input then ended silently after a GC.
    return readAll(response.body.getReader())
  }
  const info = await stat(spec).catch(() => null)
  if (info === null || !info.isFile()) throw new Error(`cannot read "${spec}": no such file`)
  return new PacedTsFileReader(spec, fileOptions)
}

async function* readAll(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    // The consumer stopped early (return/throw) or the body ended: release the connection.
    await reader.cancel().catch(() => {})
  }
}
