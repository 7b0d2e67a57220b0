import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { installChurn } from '../../src/sim/churn.ts'
import { floodOverlay } from './fixtures/flood-overlay.ts'
import { starOverlay } from './fixtures/star-overlay.ts'
import { makeSim, UNLIMITED } from './helpers.ts'

const VIEWER = { uploadKbps: 8000, downloadKbps: 20_000 }

function floodRun(seed: number) {
  const sim = makeSim(
    floodOverlay,
    { degree: 4 },
    { seed, sourceLink: { uploadKbps: 2000, downloadKbps: 2000 } },
  )
  for (let i = 0; i < 20; i++) sim.addViewer(VIEWER)
  installChurn(
    sim,
    {
      arrivalsPerS: 2,
      startS: 1,
      endS: 15,
      session: { dist: 'exponential', meanS: 8 },
      crashFraction: 0.3,
      link: (rng) => ({ uploadKbps: 4000 + rng.int(8000), downloadKbps: 20_000 }),
    },
    createRng(seed, 99),
  )
  sim.runUntil(20_000)
  return sim
}

test('same seed gives identical results; another seed differs', () => {
  const a = floodRun(7)
  const b = floodRun(7)
  const c = floodRun(8)
  const json = (sim: ReturnType<typeof floodRun>) =>
    JSON.stringify({ stats: sim.allNodeStats(), events: sim.eventsProcessed, live: sim.liveViewers() })
  assert.equal(json(a), json(b))
  assert.notEqual(json(a), json(c))
  // The run did something worth comparing: churn, crashes and chunks reached viewers.
  const stats = a.allNodeStats()
  assert.ok(stats.length > 30, `${stats.length} nodes`)
  assert.ok(
    stats.some((s) => s.crashed),
    'some viewer crashed',
  )
  assert.ok(
    stats.some((s) => s.leftAtMs !== null && !s.crashed),
    'some viewer left',
  )
  const played = stats.slice(1, 21).map((s) => s.qoe.chunksPlayed)
  assert.ok(
    played.every((n) => n > 180),
    `chunks played: ${played}`,
  )
})

test('star: every viewer plays everything; source upload is N times the stream', () => {
  const sim = makeSim(starOverlay, {})
  for (let i = 0; i < 5; i++) sim.addViewer(VIEWER)
  sim.runUntil(10_000)
  for (const id of sim.liveViewers()) {
    const s = sim.nodeStats(id)
    assert.equal(s.qoe.continuity, 1, `viewer ${id}`)
    assert.equal(s.qoe.duplicates, 0)
    assert.equal(s.qoe.maxHops, 1)
    assert.ok(s.qoe.startupDelayMs !== null && s.qoe.startupDelayMs < 400, `startup ${s.qoe.startupDelayMs}`)
    assert.equal(s.invalidChunks, 0)
  }
  // Chunk frames carry ~140 bytes of header and auth on 500-byte chunks.
  const ratio = sim.sourceUploadRatio()
  assert.ok(ratio > 5 && ratio < 5 * 1.35, `ratio ${ratio}`)
  assert.equal(sim.topology(0).children.length, 5)
})

test('star: chunk delay = upload serialization in send order + latency + download serialization', () => {
  // One chunk per second so only one chunk is in flight; source uplink 1000 kbit/s.
  const stream = { streamId: 'd', kbps: 8, chunkRateHz: 1, keyframeEveryChunks: 1 }
  const sim = makeSim(starOverlay, {}, { stream, sourceLink: { uploadKbps: 1000, downloadKbps: 1000 } })
  const ids = [
    sim.addViewer(UNLIMITED),
    sim.addViewer(UNLIMITED),
    sim.addViewer({ uploadKbps: 1, downloadKbps: 100 }),
  ]
  sim.runUntil(1999) // the viewers' hellos arrive at 10 ms: chunk 1 (t = 1000) is the only one delivered
  const bytes = starCodecChunkBytes(1000)
  const up = (bytes * 8) / 1000
  const delays = ids.map((id) => sim.nodeStats(id).meanChunkDelayMs!)
  const expected = [up + 10, 2 * up + 10, 3 * up + 10 + (bytes * 8) / 100]
  for (const [i, d] of delays.entries()) {
    assert.ok(Math.abs(d - expected[i]!) < 1e-9, `viewer ${i}: ${d} vs ${expected[i]}`)
  }
})

function starCodecChunkBytes(size: number): number {
  // sizeOf of the chunk frame: fixed part + payload + default auth allowance.
  return 76 + size + 64
}

test('leave is graceful (the protocol says bye), crash is silent', () => {
  const sim = makeSim(starOverlay, {})
  const [a, b, c] = [sim.addViewer(VIEWER), sim.addViewer(VIEWER), sim.addViewer(VIEWER)]
  sim.runUntil(1000)
  sim.leave(a)
  sim.crash(b)
  sim.runUntil(2000)
  assert.deepEqual(sim.topology(0).children, [b, c], 'the source heard a leave but not b crash')
  assert.deepEqual(sim.liveViewers(), [c])
  assert.equal(sim.liveViewerCount, 1)
  const sa = sim.nodeStats(a)
  assert.equal(sa.leftAtMs, 1000)
  assert.equal(sa.crashed, false)
  assert.ok(sa.controlUploadBytes === 4, 'hello + bye')
  // QoE is frozen at departure: nothing was due after 1000 ms.
  assert.ok(sa.qoe.chunksDue <= 10, `due ${sa.qoe.chunksDue}`)
  assert.ok(sim.nodeStats(c).qoe.chunksDue > 15, 'c kept playing')
})

test('verifyChunk rejects before the protocol sees the chunk, and is counted', () => {
  const sim = makeSim(starOverlay, {}, { verifyChunk: (c) => c.seq % 5 !== 4 })
  const v = sim.addViewer(VIEWER)
  sim.runUntil(3000)
  const s = sim.nodeStats(v)
  // Chunks 1..29 reached the viewer (its hello arrived after chunk 0 was sent); 4, 9, ..., 29 fail.
  assert.equal(s.invalidChunks, 6)
  assert.equal(s.qoe.chunksReceived, 23)
  assert.ok(s.qoe.chunksMissing >= 5, `missing ${s.qoe.chunksMissing}`)
})

test('roundTripCodec delivers decoded copies and the overlay still works', () => {
  const sim = makeSim(floodOverlay, { degree: 3 }, { roundTripCodec: true })
  for (let i = 0; i < 8; i++) sim.addViewer(VIEWER)
  sim.runUntil(5000)
  for (const id of sim.liveViewers()) {
    const c = sim.nodeStats(id).qoe.continuity
    assert.ok((c ?? 0) > 0.9, `viewer ${id} continuity ${c}`)
  }
})

test('metrics recorded through Env.metric are collected by name', () => {
  const sim = makeSim(starOverlay, {})
  const v = sim.addViewer(VIEWER)
  sim.at(5, () => {
    const env = (sim.protocol(v) as unknown as { env: { metric(n: string, x: number): void } }).env
    env.metric('x', 1)
    env.metric('x', 2)
  })
  sim.runUntil(10)
  assert.deepEqual(sim.protocolMetrics().get('x'), [1, 2])
})

test('misuse is reported clearly', () => {
  const sim = makeSim(starOverlay, {})
  sim.runUntil(100)
  assert.throws(() => sim.at(50, () => {}), /before now/)
  assert.throws(() => sim.leave(42), /no node 42/)
  assert.throws(() => sim.addViewer({ uploadKbps: 0, downloadKbps: 1 }), /uploadKbps must be > 0/)
})
