// Simulator engine speed and memory:
//   1. raw event queue: push + pop with random times at several queue sizes (events/s);
//   2. a full Simulation with the test flood overlay (events/s, wall time);
//   3. memory of 100,000 joined viewers (flood overlay, heap after GC).
// Run: node --expose-gc --import ./scripts/polyfills.mjs --import tsx bench/engine.bench.ts
import { createRng } from '../src/core/rng.ts'
import { EventQueue } from '../src/sim/event-queue.ts'
import { Simulation } from '../src/sim/simulation.ts'
import type { Underlay } from '../src/sim/underlay/underlay.ts'
import { playoutConfig } from '../src/stream/playout.ts'
import { floodOverlay } from '../test/sim/fixtures/flood-overlay.ts'
import { MatrixUnderlay } from '../test/sim/fixtures/matrix-underlay.ts'

const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 })

/** CPU seconds (user + system) of this process: steadier than wall time on a shared machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

const RANDOM_COUNT = 1 << 20
const randoms = new Float64Array(RANDOM_COUNT)
{
  const rng = createRng(1)
  for (let i = 0; i < RANDOM_COUNT; i++) randoms[i] = rng.next() * 1000
}

/** Events per CPU second for a queue holding `size` events (random draws precomputed). */
function rawQueue(size: number, ops: number): number {
  const q = new EventQueue(1024, 1 << 24)
  for (let i = 0; i < size; i++) q.push(randoms[i & (RANDOM_COUNT - 1)]!, 1, i, 0, 0, undefined)
  const t0 = cpuSeconds()
  for (let i = 0; i < ops; i++) {
    const h = q.pop()
    const now = q.poppedTime
    q.release(h)
    q.push(now + randoms[i & (RANDOM_COUNT - 1)]!, 1, i, 0, 0, undefined)
  }
  return ops / (cpuSeconds() - t0)
}

/**
 * A simulator-like mix instead of uniform times: 40% one-second timers (heartbeats), 59.8%
 * messages 5-120 ms ahead, 0.2% churn departures 10-600 s ahead (these pile up as the queue runs).
 */
function mixedDelay(u: number, v: number): number {
  if (u < 0.4) return 1000
  if (u < 0.998) return 5 + v * 115
  return 10_000 + v * 590_000
}

function mixedQueue(size: number, ops: number): number {
  const q = new EventQueue(1024, 1 << 24)
  const r = (i: number) => randoms[i & (RANDOM_COUNT - 1)]! / 1000
  for (let i = 0; i < size; i++) q.push(mixedDelay(r(2 * i), r(2 * i + 1)), 1, i, 0, 0, undefined)
  const t0 = cpuSeconds()
  for (let i = 0; i < ops; i++) {
    const h = q.pop()
    const now = q.poppedTime
    q.release(h)
    q.push(now + mixedDelay(r(2 * i + 7), r(2 * i + 8)), 1, i, 0, 0, undefined)
  }
  return ops / (cpuSeconds() - t0)
}

/** Latency from a jittered grid of positions: cheap, varied, deterministic. */
function gridUnderlay(): Underlay {
  return new MatrixUnderlay((a, b) => 5 + (((a * 7919) ^ (b * 104729)) % 60) + ((a + b) % 7))
}

function floodSim(viewers: number, seconds: number) {
  const stream = { streamId: 'bench', kbps: 300, chunkRateHz: 5, keyframeEveryChunks: 5 }
  const sim = new Simulation({
    seed: 1,
    overlay: floodOverlay,
    params: { degree: 4 },
    underlay: gridUnderlay(),
    stream,
    playout: playoutConfig(stream.chunkRateHz),
    sourceLink: { uploadKbps: 5000, downloadKbps: 5000 },
  })
  for (let i = 0; i < viewers; i++) sim.addViewer({ uploadKbps: 4000, downloadKbps: 20_000 })
  const t0 = cpuSeconds()
  sim.runUntil(seconds * 1000)
  return { sim, cpuS: cpuSeconds() - t0 }
}

console.log('Rates are per CPU second (user + system), so other load on the machine does not skew them.')
console.log('event queue, push+pop pairs with uniformly random times (1 event = 1 push + 1 pop):')
for (const size of [1_000, 100_000, 1_000_000]) {
  rawQueue(size, 200_000) // warm-up
  const rate = rawQueue(size, 3_000_000)
  console.log(`  ${fmt(size).padStart(9)} pending: ${fmt(rate / 1e6)} M events/s`)
}

console.log('event queue, simulator-like delays (40% +1 s timers, 59.8% +5..120 ms, 0.2% +10..600 s):')
for (const size of [10_000, 250_000, 1_000_000]) {
  mixedQueue(size, 200_000) // warm-up
  const rate = mixedQueue(size, 3_000_000)
  console.log(`  ${fmt(size).padStart(9)} pending: ${fmt(rate / 1e6)} M events/s`)
}

{
  floodSim(200, 5) // warm-up
  const viewers = 2000
  const seconds = 30
  const { sim, cpuS } = floodSim(viewers, seconds)
  const stats = sim.allNodeStats().slice(1)
  const continuity = stats.reduce((a, s) => a + (s.qoe.continuity ?? 0), 0) / stats.length
  console.log(
    `simulation, flood overlay, ${viewers} viewers, 300 kbit/s at 5 chunks/s, ${seconds} s simulated:` +
      `\n  ${fmt(sim.eventsProcessed)} events in ${fmt(cpuS)} CPU s = ${fmt(sim.eventsProcessed / cpuS / 1e6)} M events/s` +
      ` (${fmt(seconds / cpuS)}x real time; mean continuity ${fmt(continuity)})`,
  )
}

{
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage().heapUsed
  const viewers = 100_000
  const { sim, cpuS } = floodSim(viewers, 2)
  gc?.()
  const after = process.memoryUsage().heapUsed
  console.log(
    `memory, flood overlay, ${fmt(viewers)} viewers joined, 2 s simulated (${fmt(cpuS)} CPU s):` +
      `\n  heap ${fmt((after - before) / 2 ** 20)} MB = ${fmt((after - before) / viewers)} bytes/viewer` +
      (gc ? '' : ' (run with --expose-gc for a figure after GC)') +
      `; ${fmt(sim.eventsProcessed)} events`,
  )
}
