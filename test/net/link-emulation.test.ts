import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { LinkShaper } from '../../src/net/link-emulation.ts'

/** Drive a shaper with an injected clock: offer `n` messages as fast as the pacer allows. */
function run(shaper: LinkShaper, n: number, size: number, offerEveryMs = 0) {
  let now = 0
  const arrivals: (number | null)[] = []
  const departures: number[] = []
  for (let i = 0; i < n; i++) {
    now = Math.max(now, i * offerEveryMs)
    now = Math.max(now, shaper.departureTime(now, size))
    departures.push(now)
    arrivals.push(shaper.transmit(now, size))
  }
  return { arrivals, departures }
}

test('delay and jitter: mean one-way delay is the configured delay, never reordered', () => {
  const profile = { delayMs: 40, jitterMs: 10, loss: 0, uploadKbps: Infinity }
  // Spaced wider than the jitter window, delays are exactly delay ± jitter with the right mean.
  const sparse = run(new LinkShaper(profile, createRng(1)), 5000, 100, 25)
  const delays = sparse.arrivals.map((a, i) => a! - sparse.departures[i]!)
  const mean = delays.reduce((s, d) => s + d, 0) / delays.length
  assert.ok(Math.abs(mean - 40) < 0.5, `mean delay ${mean}`)
  assert.ok(Math.min(...delays) >= 30 && Math.max(...delays) <= 50)
  assert.ok(Math.max(...delays) - Math.min(...delays) > 19, 'jitter spans its range')
  // Dense traffic: the no-reordering clamp only ever adds delay (up to the jitter), never reorders.
  const dense = run(new LinkShaper(profile, createRng(2)), 5000, 100, 1)
  dense.arrivals.forEach((a, i) => {
    const d = a! - dense.departures[i]!
    assert.ok(d >= 30 && d <= 50, `delay ${d}`)
    if (i > 0) assert.ok(a! >= dense.arrivals[i - 1]!, 'in order')
  })
})

test('loss: the measured loss rate matches, and a seed reproduces it exactly', () => {
  const profile = { delayMs: 5, jitterMs: 0, loss: 0.1, uploadKbps: Infinity }
  const lost = (seed: number) =>
    run(new LinkShaper(profile, createRng(seed)), 20_000, 100).arrivals.filter((a) => a === null).length
  const a = lost(3)
  assert.ok(Math.abs(a / 20_000 - 0.1) < 0.01, `loss ${a / 20_000}`)
  assert.equal(lost(3), a)
  assert.notEqual(lost(4), a)
})

test('upload cap: the departure rate never exceeds the cap beyond one burst', () => {
  const uploadKbps = 800 // 100 bytes per ms
  const burstBytes = 16 * 1024
  const shaper = new LinkShaper({ delayMs: 0, jitterMs: 0, loss: 0, uploadKbps, burstBytes }, createRng(1))
  const size = 1200
  const { departures } = run(shaper, 2000, size)
  const elapsed = departures[departures.length - 1]!
  const sent = 2000 * size
  // After the first burst, the bytes sent by time t stay within rate * t + burst.
  departures.forEach((t, i) => {
    assert.ok((i + 1) * size <= (t * uploadKbps) / 8 + burstBytes + size, `at ${i}`)
  })
  const rate = (sent - burstBytes) / elapsed
  assert.ok(Math.abs(rate - 100) < 1, `paced at ${rate} bytes/ms`)
})
