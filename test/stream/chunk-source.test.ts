import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChunkSource } from '../../src/stream/chunk-source.ts'
import {
  chunkBytes,
  chunkPeriodMs,
  type StreamSpec,
  validateStreamSpec,
} from '../../src/stream/stream-spec.ts'

const spec: StreamSpec = { streamId: 'abc', kbps: 500, chunkRateHz: 4, keyframeEveryChunks: 3 }

test('chunkBytes rounds kbps * 1000 / 8 / chunkRateHz', () => {
  assert.equal(chunkBytes(spec), 15625)
  assert.equal(chunkBytes({ ...spec, kbps: 300, chunkRateHz: 7 }), Math.round(300000 / 8 / 7))
  assert.equal(chunkPeriodMs(spec), 250)
})

test('validateStreamSpec names the bad field', () => {
  assert.throws(() => validateStreamSpec({ ...spec, kbps: 0 }), /kbps/)
  assert.throws(() => validateStreamSpec({ ...spec, chunkRateHz: Number.NaN }), /chunkRateHz/)
  assert.throws(() => validateStreamSpec({ ...spec, keyframeEveryChunks: 1.5 }), /keyframeEveryChunks/)
  assert.throws(() => validateStreamSpec({ ...spec, kbps: 0.001, chunkRateHz: 1000 }), /empty chunks/)
  assert.equal(validateStreamSpec(spec), spec)
})

test('ChunkSource cuts virtual chunks with seq, sourceTime, size and keyframes', () => {
  const source = new ChunkSource(spec, 1000)
  assert.equal(source.periodMs, 250)
  const chunks = []
  for (let i = 0; i < 7; i++) chunks.push(source.next(source.nextDueMs()))
  assert.deepEqual(
    chunks.map((c) => c.seq),
    [0, 1, 2, 3, 4, 5, 6],
  )
  assert.deepEqual(
    chunks.map((c) => c.sourceTime),
    [1000, 1250, 1500, 1750, 2000, 2250, 2500],
  )
  assert.deepEqual(
    chunks.map((c) => c.keyframe),
    [true, false, false, true, false, false, true],
  )
  for (const c of chunks) {
    assert.equal(c.stream, 'abc')
    assert.equal(c.size, 15625)
    assert.equal(c.payload, null)
    assert.equal(c.stripe, -1)
  }
  assert.equal(source.seq, 7)
})

test('the schedule does not drift at awkward rates', () => {
  const source = new ChunkSource({ ...spec, chunkRateHz: 30 }, 0)
  for (let i = 0; i < 30 * 3600; i++) source.next(source.nextDueMs())
  assert.equal(source.nextDueMs(), 3_600_000)
})

test('ChunkSource rejects time going backwards', () => {
  const source = new ChunkSource(spec, 0)
  source.next(100)
  assert.throws(() => source.next(99), { name: 'LocalProtocolError' })
})
