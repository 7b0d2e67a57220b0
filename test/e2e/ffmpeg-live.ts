// Real ffmpeg for the end-to-end tests: a live H.264/AAC MPEG-TS encoder (paced by -re, one
// keyframe per second) and a decoder that plays a viewer's /live.ts for N seconds and reports
// every warning/error line. ffmpeg exits 0 on corrupt input, so stderr lines are the verdict.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export { ffmpegMissing } from '../media/ffmpeg.ts'

export interface LiveEncoderOptions {
  /** Total target bitrate; video gets it minus 48 kbit/s of audio. */
  readonly kbps: number
  readonly size?: string
  /** Frames per keyframe (25 fps, so 25 = one keyframe per second). */
  readonly gop?: number
}

/** The ffmpeg arguments of a live test source up to (not including) the output. */
export function liveEncoderArgs(opts: LiveEncoderOptions): string[] {
  const { kbps, size = '320x180', gop = 25 } = opts
  const videoKbps = Math.max(64, kbps - 48)
  return [
    ...['-hide_banner', '-nostats', '-loglevel', 'error', '-re'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(gop)],
    ...['-sc_threshold', '0', '-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`],
    ...['-bufsize', `${videoKbps}k`, '-threads', '1'],
    ...['-c:a', 'aac', '-b:a', '48k', '-ac', '1', '-f', 'mpegts'],
  ]
}

export interface LiveEncoder {
  /** Where the broadcaster reads the live TS (one client; ffmpeg serves it over HTTP). */
  readonly url: string
  readonly child: ChildProcess
  stop(): Promise<void>
}

/** A free TCP port on 127.0.0.1 (tiny race between closing it and ffmpeg binding it; fine on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Kills a child (SIGKILL after a grace period) and resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(hard)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/**
 * Starts a live encoder serving MPEG-TS at http://127.0.0.1:PORT/live-source.ts (ffmpeg's own
 * HTTP server, `-listen 1`): the broadcaster reads it as a URL input, as it would a camera's.
 */
export async function startLiveEncoder(opts: LiveEncoderOptions): Promise<LiveEncoder> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/live-source.ts`
  const child = spawn('ffmpeg', [...liveEncoderArgs(opts), '-listen', '1', url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString()
  })
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`live encoder exited (${code}): ${stderr}`))),
  )
  exited.catch(() => {})
  // Wait until ffmpeg listens (it opens the output before encoding the first frame).
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) await exited
    if (await isListening(port)) break
    if (Date.now() > deadline) {
      await stopChild(child)
      throw new Error(`live encoder did not listen on ${url} within 10 s: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url, child, stop: () => stopChild(child) }
}

/**
 * Whether something listens on 127.0.0.1:port, from /proc/net/tcp (Linux): probing with a connect
 * would make ffmpeg's single-client `-listen 1` server take the probe as its client, and probing
 * with a bind could steal the port from ffmpeg. Elsewhere: assume yes after a moment.
 */
async function isListening(port: number): Promise<boolean> {
  let table: string
  try {
    table = await readFile('/proc/net/tcp', 'utf8')
  } catch {
    await new Promise((r) => setTimeout(r, 1000))
    return true
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  return table.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/)
    return fields[1] === local && fields[3] === '0A'
  })
}

/** Spawns the live encoder writing TS to its stdout (to pipe into `peercaster broadcast --input -`). */
export function spawnLiveEncoderToStdout(opts: LiveEncoderOptions): ChildProcess {
  return spawn('ffmpeg', [...liveEncoderArgs(opts), 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] })
}

export interface LiveDecodeResult {
  /** Every warning/error line ffmpeg printed while decoding. */
  readonly complaints: string[]
  readonly videoFrames: number
  readonly exitCode: number | null
  /** True when we had to kill ffmpeg at the timeout (the stream stalled). */
  readonly timedOut: boolean
}

/**
 * Plays `url` through ffmpeg's decoders for `seconds` of stream time (live, so about as much
 * wall time), counting complaint lines. Bounded: killed after `timeoutMs`.
 */
export function decodeLive(url: string, seconds: number, timeoutMs: number): Promise<LiveDecodeResult> {
  const child = spawn('ffmpeg', [
    ...['-hide_banner', '-nostats', '-v', 'warning', '-progress', 'pipe:1'],
    ...['-rw_timeout', String(timeoutMs * 1000), '-i', url, '-t', String(seconds), '-f', 'null', '-'],
  ])
  let stdout = ''
  let stderr = ''
  let timedOut = false
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      const frames = [...stdout.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1]))
      resolve({
        complaints: stderr.split('\n').filter((line) => line.trim() !== ''),
        videoFrames: frames.at(-1) ?? 0,
        exitCode: code,
        timedOut,
      })
    })
  })
}

/**
 * Decodes several live URLs at once through test/e2e/decoder-farm.mjs, a small helper process
 * that spawns the ffmpegs: spawn() blocks its caller until exec, and 21 spawns in a row from
 * the process hosting an in-process testbed stalled its event loop for 2 s, long enough for every
 * peer to miss chunk deadlines at once. Results come back in the order of `urls`.
 */
export async function decodeLiveMany(
  urls: readonly string[],
  seconds: number,
  timeoutMs: number,
): Promise<LiveDecodeResult[]> {
  const farm = spawn(process.execPath, [fileURLToPath(new URL('./decoder-farm.mjs', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const results = new Map<number, LiveDecodeResult>()
  let buffered = ''
  farm.stdout.on('data', (d: Buffer) => {
    buffered += d.toString()
    let nl = buffered.indexOf('\n')
    while (nl >= 0) {
      const { id, ...result } = JSON.parse(buffered.slice(0, nl)) as LiveDecodeResult & { id: number }
      results.set(id, result)
      buffered = buffered.slice(nl + 1)
      nl = buffered.indexOf('\n')
    }
  })
  const done = new Promise<void>((resolve) => farm.once('exit', () => resolve()))
  for (const [id, url] of urls.entries())
    farm.stdin.write(`${JSON.stringify({ id, url, seconds, timeoutMs })}\n`)
  farm.stdin.end()
  const hard = setTimeout(() => farm.kill('SIGTERM'), timeoutMs + 5000)
  await done
  clearTimeout(hard)
  return urls.map(
    (url, id) =>
      results.get(id) ?? {
        complaints: [`decoder farm lost ${url}`],
        videoFrames: 0,
        exitCode: null,
        timedOut: true,
      },
  )
}
