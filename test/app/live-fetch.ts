// Helpers for the app tests: read the head of a live HTTP body, decode a live URL with ffmpeg.
import { spawn } from 'node:child_process'
import { get } from 'node:http'

/** The first `bytes` bytes of a live body (a viewer's /live.ts); rejects after `timeoutMs`. */
export function fetchHead(url: string, bytes: number, timeoutMs = 10_000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`timed out after ${timeoutMs} ms reading ${bytes} bytes of ${url} (got ${size})`))
    }, timeoutMs)
    const req = get(url, (res) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer)
        res.resume()
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`))
        return
      }
      res.on('data', (d: Buffer) => {
        parts.push(d)
        size += d.length
        if (size >= bytes) {
          clearTimeout(timer)
          req.destroy()
          resolve(new Uint8Array(Buffer.concat(parts)).subarray(0, bytes))
        }
      })
    })
    req.on('error', (err) => {
      clearTimeout(timer)
      if (size < bytes) reject(err)
    })
  })
}

/**
 * `ffmpeg -v warning -i URL -t SECONDS -f null -`: decodes a live URL for a few seconds of media
 * and returns every line ffmpeg printed (warnings and errors; ffmpeg exits 0 on corrupt input).
 * Killed after `timeoutMs` so a stalled stream cannot hang the test.
 */
export function decodeLive(
  url: string,
  seconds: number,
  timeoutMs: number,
): Promise<{ lines: string[]; frames: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', [
      ...['-hide_banner', '-nostats', '-v', 'warning', '-progress', 'pipe:1'],
      ...['-i', url, '-t', String(seconds), '-f', 'null', '-'],
    ])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', () => {
      clearTimeout(timer)
      const frames = [...stdout.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1]))
      resolve({
        lines: stderr.split('\n').filter((l) => l.trim() !== ''),
        frames: frames.length > 0 ? frames[frames.length - 1]! : 0,
      })
    })
  })
}

export async function waitUntil(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
