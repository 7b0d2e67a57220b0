import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GopCache } from '../../src/media/gop-cache.ts'
import { mediaInputKind } from '../../src/media/input-source.ts'
import { RawChunker } from '../../src/media/raw-chunker.ts'

const chunk = (seq: number, keyframe: boolean, size = 100) => ({ seq, keyframe, size })

test('keeps the latest keyframe group, starting at its keyframe', () => {
  const cache = new GopCache<ReturnType<typeof chunk>>(10_000)
  assert.deepEqual(cache.snapshot(), [])
  cache.add(chunk(0, false)) // before any keyframe: nothing to start from
  assert.deepEqual(cache.snapshot(), [])
  for (let seq = 1; seq <= 12; seq++) cache.add(chunk(seq, seq % 5 === 1))
  assert.deepEqual(
    cache.snapshot().map((c) => c.seq),
    [11, 12],
  )
  assert.equal(cache.bytes, 200)
})

test('a group that outgrows the bound is dropped until the next keyframe', () => {
  const cache = new GopCache<ReturnType<typeof chunk>>(350)
  cache.add(chunk(0, true))
  cache.add(chunk(1, false))
  cache.add(chunk(2, false))
  assert.equal(cache.snapshot().length, 3)
  cache.add(chunk(3, false))
  assert.deepEqual(cache.snapshot(), [])
  assert.equal(cache.bytes, 0)
  cache.add(chunk(4, false))
  assert.deepEqual(cache.snapshot(), [])
  cache.add(chunk(5, true))
  assert.deepEqual(
    cache.snapshot().map((c) => c.seq),
    [5],
  )
  cache.add(chunk(6, true, 400)) // a keyframe chunk alone above the bound
  assert.deepEqual(cache.snapshot(), [])
})

test('a hole in the sequence invalidates the group', () => {
  const cache = new GopCache<ReturnType<typeof chunk>>(10_000)
  cache.add(chunk(0, true))
  cache.add(chunk(1, false))
  cache.add(chunk(3, false))
  assert.deepEqual(cache.snapshot(), [])
})

test('raw chunker cuts exact sizes across reads, every chunk joinable', () => {
  const raw = new RawChunker(1000, 7)
  const out = [...raw.push(new Uint8Array(2500).fill(1), 10), ...raw.push(new Uint8Array(700).fill(2), 20)]
  out.push(...raw.end(30))
  assert.deepEqual(
    out.map((c) => [c.seq, c.size, c.sourceTime, c.keyframe]),
    [
      [7, 1000, 10],
      [8, 1000, 10],
      [9, 1000, 20],
      [10, 200, 30],
    ].map((x) => [...x, true]),
  )
  assert.deepEqual([...out[2]!.payload.subarray(495, 505)], [1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
  assert.throws(() => new RawChunker(0))
})

test('input kinds: "-" is stdin, http(s) a URL, anything else a file', () => {
  assert.equal(mediaInputKind('-'), 'stdin')
  assert.equal(mediaInputKind('https://example.org/live.ts'), 'url')
  assert.equal(mediaInputKind('HTTP://x/y'), 'url')
  assert.equal(mediaInputKind('assets/sample.ts'), 'file')
})
