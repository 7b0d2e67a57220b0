// Real ffmpeg for the media tests: generate a live-ish H.264/AAC MPEG-TS, decode bytes and count
// decoder complaints. ffmpeg exits 0 on corrupt input, so stderr lines are the verdict.
import { spawn, spawnSync } from 'node:child_process'

export const ffmpegMissing: string | false =
  spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0
    ? false
    : 'ffmpeg not found: install it (apt-get install -y ffmpeg) to run the media end-to-end tests'

export interface TestStreamOptions {
  seconds: number
  gop?: number
  size?: string
}

/** A small live-style TS: testsrc2 + sine, one keyframe every `gop` frames (25 fps). */
export function makeTestTs(options: TestStreamOptions): Uint8Array {
  const { seconds, gop = 25, size = '320x180' } = options
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(gop)],
      ...['-sc_threshold', '0', '-b:v', '600k', '-threads', '1'],
      ...['-c:a', 'aac', '-b:a', '64k', '-ac', '1', '-f', 'mpegts', 'pipe:1'],
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  )
  if (r.status !== 0) throw new Error(`ffmpeg failed to generate a test stream: ${r.stderr.toString()}`)
  return new Uint8Array(r.stdout)
}

export interface DecodeResult {
  /** Every warning/error line ffmpeg printed while decoding. */
  complaints: string[]
  videoFrames: number
}

const DECODE_ARGS = ['-hide_banner', '-nostats', '-v', 'warning', '-progress', 'pipe:1']

function parseDecode(stdout: string, stderr: string): DecodeResult {
  const frames = [...stdout.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1]))
  return {
    complaints: stderr.split('\n').filter((line) => line.trim() !== ''),
    videoFrames: frames.length > 0 ? frames[frames.length - 1]! : 0,
  }
}

/** Decodes TS bytes fully (stdin) and reports what ffmpeg complained about. */
export function decodeTs(bytes: Uint8Array): DecodeResult {
  const r = spawnSync('ffmpeg', [...DECODE_ARGS, '-i', 'pipe:0', '-f', 'null', '-'], {
    input: bytes,
    maxBuffer: 16 * 1024 * 1024,
  })
  return parseDecode(r.stdout.toString(), r.stderr.toString())
}

/** Starts decoding a URL; resolves when ffmpeg exits (the server ends the stream). */
export function decodeUrl(url: string): { done: Promise<DecodeResult> } {
  const child = spawn('ffmpeg', [...DECODE_ARGS, '-i', url, '-f', 'null', '-'])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<DecodeResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', () => resolve(parseDecode(stdout, stderr)))
  })
  return { done }
}
