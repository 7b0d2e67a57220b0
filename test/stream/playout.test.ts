import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { Chunk } from '../../src/stream/chunk.ts'
import { PlayoutBuffer, playoutConfig } from '../../src/stream/playout.ts'
import type { QoeSnapshot } from '../../src/stream/qoe.ts'
import { PlayoutModel } from './playout-model.ts'

// 10 chunks/s: period 100 ms; the source cuts seq s at sourceTime s * 100.
const RATE_HZ = 10
const PERIOD = 100

function chunk(seq: number, sourceTime = seq * PERIOD): Chunk {
  return {
    stream: 's',
    seq,
    sourceTime,
    stripe: -1,
    size: 1,
    payload: null,
    keyframe: seq % 4 === 0,
    auth: null,
  }
}

function assertIdentities(q: QoeSnapshot, maxBufferChunks: number): void {
  assert.equal(q.chunksDue, q.chunksPlayed + q.chunksMissing)
  assert.equal(
    q.chunksReceived,
    q.chunksPlayed + q.chunksBuffered + q.chunksDiscarded + q.chunksLate + q.duplicates + q.overflow,
  )
  assert.ok(q.chunksBuffered >= 0 && q.chunksBuffered <= maxBufferChunks, `buffered ${q.chunksBuffered}`)
  if (q.continuity !== null) assert.ok(q.continuity >= 0 && q.continuity <= 1)
  else assert.equal(q.chunksDue, 0)
}

test('startup delay and playout lag are exact in a hand-computed scenario', () => {
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 2, maxBufferChunks: 8 }), 1000)
  buf.push(1050, chunk(10), 1)
  assert.equal(buf.qoe.snapshot().startupDelayMs, null, 'one chunk is not enough to start')
  buf.push(1150, chunk(11), 2)
  const q = buf.qoe.snapshot()
  // Run {10, 11} complete at 1150: playback starts at seq 10, 150 ms after the join.
  assert.equal(q.startupDelayMs, 150)
  // Seq 10 plays at 1150 and was cut at 1000.
  assert.equal(q.playoutLagMs, 150)
  assert.equal(q.chunksPlayed, 1)
  assert.equal(q.meanHops, 1.5)
  assert.equal(q.maxHops, 2)
  buf.advance(1250)
  const q2 = buf.qoe.snapshot()
  assert.equal(q2.chunksPlayed, 2)
  assert.equal(q2.playoutLagMs, 150, 'lag stays constant on a constant-rate source')
  assert.equal(q2.continuity, 1)
})

test('startup waits for consecutive chunks and starts at the earliest of the run', () => {
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 3, maxBufferChunks: 16 }), 0)
  buf.push(10, chunk(5), 1)
  buf.push(20, chunk(7), 1)
  buf.push(30, chunk(9), 1)
  buf.push(40, chunk(2), 1)
  assert.equal(buf.isPlaying, false)
  buf.push(50, chunk(6), 1) // run 5,6,7 complete
  assert.equal(buf.isPlaying, true)
  const q = buf.qoe.snapshot()
  assert.equal(q.startupDelayMs, 50)
  assert.equal(q.chunksDiscarded, 1, 'seq 2 is older than the run and never due')
  assert.equal(q.chunksPlayed, 1)
  assert.equal(buf.playheadSeq, 6)
  // Seq 8 is a hole: at 50 + 3*100 it is counted missing, seq 9 plays at 450.
  buf.advance(450)
  const q2 = buf.qoe.snapshot()
  assert.equal(q2.chunksDue, 5)
  assert.equal(q2.chunksPlayed, 4)
  assert.equal(q2.chunksMissing, 1)
  assert.equal(q2.continuity, 4 / 5)
})

test('a late chunk is skipped without stalling the output', () => {
  const buf = new PlayoutBuffer(
    playoutConfig(RATE_HZ, { startupChunks: 2, maxBufferChunks: 8, keepChunks: true }),
    0,
  )
  const out: Chunk[] = []
  buf.push(0, chunk(0), 1)
  buf.push(0, chunk(1), 1)
  buf.push(0, chunk(3), 1)
  buf.advance(250, out) // seq 0 at 0, 1 at 100, 2 (hole) at 200
  buf.push(260, chunk(2), 1) // after its deadline: late
  buf.advance(300, out) // seq 3 plays on schedule
  assert.deepEqual(
    out.map((c) => c.seq),
    [0, 1, 3],
  )
  const q = buf.qoe.snapshot()
  assert.equal(q.chunksLate, 1)
  assert.equal(q.chunksMissing, 1)
  assert.equal(q.chunksPlayed, 3)
  assert.equal(q.continuity, 3 / 4)
  buf.push(300, chunk(2), 1)
  assert.equal(buf.qoe.snapshot().duplicates, 1, 'a second copy of a late chunk is a duplicate')
})

test('a chunk arriving exactly at its deadline still plays', () => {
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 1, maxBufferChunks: 8 }), 0)
  buf.push(0, chunk(0), 1)
  buf.push(100, chunk(1), 1)
  const q = buf.qoe.snapshot()
  assert.equal(q.chunksPlayed, 2)
  assert.equal(q.chunksLate, 0)
})

test('a chunk plays exactly at its play time even where division rounds down', () => {
  // At 7 chunks/s, seq 15 plays at 15 * 1000 / 7 ms, but (15 * 1000 / 7) * 7 / 1000 < 15 in floats.
  const buf = new PlayoutBuffer(playoutConfig(7, { startupChunks: 1, maxBufferChunks: 32 }), 0)
  for (let s = 0; s < 20; s++) buf.push(0, chunk(s), 1)
  buf.advance((15 * 1000) / 7)
  assert.equal(buf.qoe.snapshot().chunksPlayed, 16)
})

test('the buffer bound holds when fed 10x maxBufferChunks ahead', () => {
  const N = 32
  const buf = new PlayoutBuffer(
    playoutConfig(RATE_HZ, { startupChunks: 2, maxBufferChunks: N, keepChunks: true }),
    0,
  )
  buf.push(0, chunk(0), 1)
  buf.push(0, chunk(1), 1) // playing from seq 0; seq 0 played at once, playhead 1
  for (let s = 2; s < 10 * N; s++) buf.push(0, chunk(s), 1)
  const q = buf.qoe.snapshot()
  // Window [1, N]: seqs 2..N accepted, N+1 .. 10N-1 dropped.
  assert.equal(q.chunksBuffered, N)
  assert.equal(q.overflow, 10 * N - 1 - N)
  assertIdentities(q, N)
  const out: Chunk[] = []
  buf.advance(10 * N * PERIOD, out)
  assert.equal(out.length, N + 1)
  assert.deepEqual(
    out.map((c) => c.seq),
    Array.from({ length: N + 1 }, (_, i) => i),
  )
  const q2 = buf.qoe.snapshot()
  assert.equal(q2.chunksMissing, q2.chunksDue - q2.chunksPlayed)
  assert.equal(q2.chunksDue, 10 * N + 1)
})

test('chunks played inside push wait for the player, at most maxBufferChunks of them', () => {
  const N = 4
  const buf = new PlayoutBuffer(
    playoutConfig(RATE_HZ, { startupChunks: 1, maxBufferChunks: N, keepChunks: true }),
    0,
  )
  // Each chunk arrives exactly at its deadline and plays inside push; the host never drains.
  for (let s = 0; s < 100; s++) buf.push(s * PERIOD, chunk(s), 1)
  const out: Chunk[] = []
  buf.advance(99 * PERIOD, out)
  assert.equal(buf.qoe.snapshot().chunksPlayed, 100)
  assert.deepEqual(
    out.map((c) => c.seq),
    [96, 97, 98, 99],
  )
})

test('before playback the buffer keeps only the newest maxBufferChunks seqs', () => {
  const N = 8
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 3, maxBufferChunks: N }), 0)
  for (let s = 0; s < 100; s += 2) buf.push(0, chunk(s), 1) // never two consecutive
  const q = buf.qoe.snapshot()
  assert.equal(q.startupDelayMs, null)
  assert.equal(q.chunksBuffered, N / 2)
  assert.equal(q.chunksDiscarded, 50 - N / 2)
  assertIdentities(q, N)
  buf.push(0, chunk(2), 1) // far behind the window: discarded, never buffered
  assert.equal(buf.qoe.snapshot().chunksBuffered, N / 2)
})

test('seqs remembered from before playback do not shadow new seqs after it starts', () => {
  const N = 4
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 2, maxBufferChunks: N }), 0)
  buf.push(0, chunk(0), 1)
  buf.push(0, chunk(5), 1) // seq 0 falls out of the waiting window: discarded, remembered as received
  buf.push(0, chunk(6), 1) // playback starts at seq 5
  buf.push(0, chunk(8), 1) // seq 8 shares seq 0's slot in the 2N ring: it must be new, not a duplicate
  const q = buf.qoe.snapshot()
  assert.equal(q.duplicates, 0)
  assert.equal(q.chunksBuffered, 2)
  assertIdentities(q, N)
})

test('a viewer left unattended for an hour catches up in bounded work', () => {
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 1, maxBufferChunks: 4 }), 0)
  buf.push(0, chunk(0), 1)
  buf.push(0, chunk(1), 1)
  const hour = 3_600_000
  buf.advance(hour)
  const q = buf.qoe.snapshot()
  assert.equal(q.chunksDue, hour / PERIOD + 1)
  assert.equal(q.chunksPlayed, 2)
  buf.push(hour, chunk(hour / PERIOD + 1), 1)
  buf.push(hour, chunk(5), 1)
  const q2 = buf.qoe.snapshot()
  assert.equal(q2.chunksBuffered, 1)
  assert.equal(q2.chunksLate, 1)
})

test('misuse is a LocalProtocolError', () => {
  assert.throws(
    () => new PlayoutBuffer(playoutConfig(RATE_HZ, { startupChunks: 9, maxBufferChunks: 8 }), 0),
    { name: 'LocalProtocolError' },
  )
  const buf = new PlayoutBuffer(playoutConfig(RATE_HZ), 100)
  assert.throws(() => buf.push(50, chunk(0), 1), { name: 'LocalProtocolError' })
  assert.throws(() => buf.push(100, chunk(-1), 1), { name: 'LocalProtocolError' })
  assert.throws(() => buf.advance(200, []), { name: 'LocalProtocolError' }, 'out needs keepChunks')
})

// Random schedules: chunks arrive out of order, duplicated, late or never.
type Step = { dt: number; kind: 'push'; seq: number; hops: number } | { dt: number; kind: 'advance' | 'peek' }

const stepArb = (maxSeq: number): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        dt: fc.integer({ min: 0, max: 150 }),
        kind: fc.constant('push' as const),
        seq: fc.integer({ min: 0, max: maxSeq }),
        hops: fc.integer({ min: 1, max: 6 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ dt: fc.integer({ min: 0, max: 400 }), kind: fc.constant('advance' as const) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ dt: fc.integer({ min: 0, max: 400 }), kind: fc.constant('peek' as const) }),
    },
  )

const cfgArb = fc.record({
  startupChunks: fc.integer({ min: 1, max: 4 }),
  // Odd rates give periods like 33.33 ms that test the floating-point deadline arithmetic.
  rateHz: fc.constantFrom(10, 25, 30, 7),
})

test('property: agrees with the reference model while seqs stay inside the window', () => {
  fc.assert(
    fc.property(cfgArb, fc.array(stepArb(60), { maxLength: 120 }), ({ startupChunks, rateHz }, steps) => {
      const cfg = playoutConfig(rateHz, { startupChunks, maxBufferChunks: 64, keepChunks: true })
      const buf = new PlayoutBuffer(cfg, 0)
      const model = new PlayoutModel(rateHz, startupChunks, 0)
      const out: Chunk[] = []
      let now = 0
      for (const step of steps) {
        now += step.dt
        if (step.kind === 'push') {
          buf.push(now, chunk(step.seq, model.sourceTime(step.seq)), step.hops)
          model.push(now, step.seq)
        } else if (step.kind === 'advance') {
          buf.advance(now, out)
          model.advance(now)
        }
        const q = buf.qoe.snapshot()
        assertIdentities(q, 64)
        assert.equal(q.chunksPlayed, model.played.length)
        assert.equal(q.chunksMissing, model.missing)
        assert.equal(q.chunksLate, model.late)
        assert.equal(q.duplicates, model.duplicates)
        assert.equal(q.chunksDiscarded, model.discarded)
        assert.equal(q.chunksBuffered, model.held.size)
        assert.equal(q.startupDelayMs, model.playing ? model.playStart : null)
        const lag = model.lagMs()
        if (lag === null) assert.equal(q.playoutLagMs, null)
        else assert.ok(Math.abs(q.playoutLagMs! - lag) < 1e-9, `lag ${q.playoutLagMs} vs ${lag}`)
      }
      buf.advance(now, out)
      model.advance(now)
      // The player got exactly the played seqs, in order, each once.
      assert.deepEqual(
        out.map((c) => c.seq),
        model.played,
      )
      for (let i = 1; i < out.length; i++) assert.ok(out[i]!.seq > out[i - 1]!.seq)
    }),
    { seed: 20261122, numRuns: 300 },
  )
})

test('property: identities and bounds hold far outside the window too', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 16 }),
      fc.array(stepArb(400), { maxLength: 200 }),
      (maxBufferChunks, steps) => {
        const cfg = playoutConfig(RATE_HZ, { startupChunks: 2, maxBufferChunks, keepChunks: true })
        const buf = new PlayoutBuffer(cfg, 0)
        const out: Chunk[] = []
        let now = 0
        for (const step of steps) {
          now += step.dt
          if (step.kind === 'push') buf.push(now, chunk(step.seq), step.hops)
          else if (step.kind === 'advance') buf.advance(now, out)
          assertIdentities(buf.qoe.snapshot(), maxBufferChunks)
        }
        for (let i = 1; i < out.length; i++) assert.ok(out[i]!.seq > out[i - 1]!.seq, 'in order, never twice')
      },
    ),
    { seed: 7, numRuns: 300 },
  )
})

test('property: snapshots are pure, and snapshot(now) foresees advance(now)', () => {
  fc.assert(
    fc.property(
      fc.array(stepArb(80), { maxLength: 100 }),
      fc.integer({ min: 0, max: 5000 }),
      (steps, tail) => {
        const cfg = playoutConfig(30, { startupChunks: 2, maxBufferChunks: 16 })
        const watched = new PlayoutBuffer(cfg, 0)
        const quiet = new PlayoutBuffer(cfg, 0)
        let now = 0
        for (const step of steps) {
          now += step.dt
          if (step.kind === 'push') {
            watched.push(now, chunk(step.seq), step.hops)
            quiet.push(now, chunk(step.seq), step.hops)
          } else if (step.kind === 'advance') {
            watched.advance(now)
            quiet.advance(now)
          } else {
            watched.qoe.snapshot()
            watched.qoe.snapshot(now + step.dt)
          }
        }
        const foreseen = watched.qoe.snapshot(now + tail)
        assert.deepEqual(watched.qoe.snapshot(), quiet.qoe.snapshot())
        watched.advance(now + tail)
        assert.deepEqual(watched.qoe.snapshot(), foreseen)
      },
    ),
    { seed: 99, numRuns: 300 },
  )
})
