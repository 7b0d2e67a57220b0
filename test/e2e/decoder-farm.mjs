// Spawns ffmpeg decoders on behalf of a test process that hosts a testbed. spawn() blocks its
// caller until exec (40-100 ms per ffmpeg on a loaded 2-core VM); done from the process whose
// event loop runs 20 peers, a burst of spawns stalls all of them at once. Plain JS: starts fast.
//
// stdin: JSON lines {id, url, seconds, timeoutMs}; stdout: JSON lines {id, complaints, videoFrames,
// exitCode, timedOut}. Exits when stdin ends and every decoder has finished; SIGTERM kills them.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const running = new Set()
let inputEnded = false
/**
 * Decoders start this far apart: 21 ffmpegs starting at once on a loaded 2-core machine starve
 * the live encoder for a second or more (its -re input then stalls and bursts).
 */
const STAGGER_MS = 150
let nextStart = 0
let pending = 0

function decode({ id, url, seconds, timeoutMs }) {
  const child = spawn('ffmpeg', [
    ...['-hide_banner', '-nostats', '-v', 'warning', '-progress', 'pipe:1'],
    ...['-rw_timeout', String(timeoutMs * 1000), '-i', url, '-t', String(seconds), '-f', 'null', '-'],
  ])
  running.add(child)
  let stdout = ''
  let stderr = ''
  let timedOut = false
  child.stdout.on('data', (d) => (stdout += d.toString()))
  child.stderr.on('data', (d) => (stderr += d.toString()))
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  child.once('close', (code) => {
    clearTimeout(timer)
    running.delete(child)
    const frames = [...stdout.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1]))
    const complaints = stderr.split('\n').filter((line) => line.trim() !== '')
    process.stdout.write(
      `${JSON.stringify({ id, complaints, videoFrames: frames.at(-1) ?? 0, exitCode: code, timedOut })}\n`,
    )
    if (inputEnded && running.size === 0 && pending === 0) process.exit(0)
  })
}

process.on('SIGTERM', () => {
  for (const child of running) child.kill('SIGKILL')
  process.exit(1)
})
const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (line.trim() === '') return
  const request = JSON.parse(line)
  const now = Date.now()
  nextStart = Math.max(nextStart, now)
  pending++
  setTimeout(() => {
    pending--
    decode(request)
  }, nextStart - now)
  nextStart += STAGGER_MS
})
lines.on('close', () => {
  inputEnded = true
  if (running.size === 0 && pending === 0) process.exit(0)
})
