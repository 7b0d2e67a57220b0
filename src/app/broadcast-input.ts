import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { mediaInputKind, openMediaInput } from '../media/input-source.ts'
import { PacedTsFileReader } from '../media/paced-reader.ts'
import { SAMPLE_CLIP_PATH } from '../media/sample-clip.ts'
import { TsPacketReader } from '../media/ts-packets.ts'

/** `input: 'sample'` names the embedded clip (assets/sample.ts), looped by default. */
export const SAMPLE_INPUT = 'sample'

export interface BroadcastInputOptions {
  input: string
  /** Pace a file to real time (default true); stdin and URLs are live already. */
  realtime?: boolean
  loop?: boolean
  raw?: boolean
  /** Raw files have no clock of their own: they are paced at the declared stream rate. */
  streamKbps: number
  signal: AbortSignal
}

/** Input the user named that cannot be used: unreadable file, not MPEG-TS, HTTP error. */
export class BroadcastInputError extends Error {
  override readonly name = 'BroadcastInputError'
}

/** How many bytes of a file are checked for MPEG-TS structure before the source starts. */
const PROBE_BYTES = 64 * 1024

/**
 * Opens what `broadcast --input` names as a stream of byte reads. A file is checked up front
 * (exists, and is MPEG-TS unless raw), so a wrong file fails before the source goes live rather
 * than after viewers were handed a URI; stdin and URLs can only fail while streaming.
 */
export async function openBroadcastInput(opts: BroadcastInputOptions): Promise<AsyncIterable<Uint8Array>> {
  const { signal } = opts
  if (opts.input === SAMPLE_INPUT) {
    return new PacedTsFileReader(SAMPLE_CLIP_PATH, { loop: opts.loop ?? true, signal })
  }
  const kind = mediaInputKind(opts.input)
  if (kind !== 'file') {
    try {
      return await openMediaInput(opts.input, { signal })
    } catch (err) {
      throw new BroadcastInputError((err as Error).message)
    }
  }
  const path = opts.input
  const info = await stat(path).catch(() => null)
  if (info === null || !info.isFile()) throw new BroadcastInputError(`cannot read "${path}": no such file`)
  if (!opts.raw) await probeMpegTs(path)
  const realtime = opts.realtime ?? true
  if (opts.raw) {
    return realtime
      ? pacedRawFile(path, opts.streamKbps, opts.loop ?? false, signal)
      : createReadStream(path, { signal })
  }
  if (!realtime) return createReadStream(path, { signal })
  return new PacedTsFileReader(path, { loop: opts.loop ?? false, signal })
}

/** Throws the ingest's NotMpegTsError text (with its --raw hint) when the file's head is not TS. */
async function probeMpegTs(path: string): Promise<void> {
  let file: Awaited<ReturnType<typeof open>>
  try {
    file = await open(path, 'r')
  } catch (err) {
    throw new BroadcastInputError(`cannot read "${path}": ${(err as Error).message}`)
  }
  try {
    const head = new Uint8Array(PROBE_BYTES)
    const { bytesRead } = await file.read(head, 0, head.length, 0)
    if (bytesRead === 0) throw new BroadcastInputError(`"${path}" is empty`)
    const reader = new TsPacketReader()
    const packets = reader.push(head.subarray(0, bytesRead)).length + reader.end().length
    if (packets === 0) throw new BroadcastInputError(`"${path}" holds no complete MPEG-TS packet; use --raw`)
  } catch (err) {
    if (err instanceof BroadcastInputError) throw err
    throw new BroadcastInputError(`"${path}": ${(err as Error).message}`)
  } finally {
    await file.close()
  }
}

/** A raw file released at `kbps` in 100 ms slices, on a schedule computed from the start (no drift). */
async function* pacedRawFile(
  path: string,
  kbps: number,
  loop: boolean,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const sliceMs = 100
  const sliceBytes = Math.max(1, Math.round((kbps * 1000) / 8 / (1000 / sliceMs)))
  const file = await open(path, 'r')
  const started = performance.now()
  let slices = 0
  let position = 0
  try {
    while (!signal.aborted) {
      const buf = new Uint8Array(sliceBytes)
      const { bytesRead } = await file.read(buf, 0, sliceBytes, position)
      if (bytesRead === 0) {
        if (!loop || position === 0) return
        position = 0
        continue
      }
      position += bytesRead
      yield buf.subarray(0, bytesRead)
      slices++
      const wait = started + slices * sliceMs - performance.now()
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined)
    }
  } finally {
    await file.close()
  }
}
