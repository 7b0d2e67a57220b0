import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { SteadyChunker, TS_NULL_PACKET } from '../../src/app/steady-chunker.ts'
import { createRng } from '../../src/core/rng.ts'
import { TsIngest } from '../../src/media/ingest.ts'
import type { MediaChunk } from '../../src/media/media-chunk.ts'
import { SAMPLE_CLIP_PATH } from '../../src/media/sample-clip.ts'

function piece(tag: number, keyframe = false, size = 100): { payload: Uint8Array; keyframe: boolean } {
  return { payload: new Uint8Array(size).fill(tag & 0xff), keyframe }
}

test('one chunk per period, cut half a period after each nominal boundary, whatever the input rate', () => {
  const c = new SteadyChunker({ chunkRateHz: 4, startMs: 1000, maxBytes: 1 << 20, raw: true })
  const out: MediaChunk[] = []
  const rng = createRng(7)
  // Bursty input: 0-5 pieces every 0-100 ms for 10 s.
  for (let t = 1000; t < 11_000; t += Math.floor(rng.next() * 100)) {
    const n = Math.floor(rng.next() * 6)
    for (let i = 0; i < n; i++) c.add(piece(i), t)
    out.push(...c.cut(t))
  }
  out.push(...c.cut(11_000))
  // Cuts at 1000 + 250(j+1) + 125 <= 11000  ->  j <= 38.5
  assert.equal(out.length, 39)
  assert.deepEqual(
    out.map((x) => x.seq),
    Array.from({ length: 39 }, (_, i) => i),
  )
  for (const x of out) assert.ok(x.keyframe, 'raw chunks can all be joined')
  assert.equal(c.nextCutTime(), 1000 + 250 * 40 + 125)
})

test('boundaries snap to keyframes within half a period; each keyframe opens a chunk; no byte lost', () => {
  const rate = 4
  const c = new SteadyChunker({ chunkRateHz: rate, startMs: 0, maxBytes: 1 << 20, raw: false })
  const rng = createRng(3)
  const pieces: { tag: number; keyframe: boolean; at: number }[] = []
  const out: MediaChunk[] = []
  let tag = 0
  // A piece every 20 ms; a keyframe about every second, at jittered times (GOP >= period).
  let nextKeyframe = 0
  for (let t = 0; t <= 20_000; t += 20) {
    const keyframe = t >= nextKeyframe
    if (keyframe) nextKeyframe = t + 900 + Math.floor(rng.next() * 200)
    const p = piece(tag, keyframe, 10)
    pieces.push({ tag: tag++, keyframe, at: t })
    c.add(p, t)
    out.push(...c.cut(t))
  }
  // Every keyframe piece starts a chunk, and a chunk is marked keyframe iff it starts with one.
  const chunkStarts = new Set<number>()
  let offset = 0
  for (const x of out) {
    if (x.size === 188 && x.payload[0] === 0x47) continue // an empty chunk's null packet (none here)
    const first = pieces[offset / 10]!
    assert.equal(x.keyframe, first.keyframe, `chunk ${x.seq}`)
    chunkStarts.add(first.tag)
    offset += x.size
  }
  const keyframeTags = pieces.filter((p) => p.keyframe && p.at <= 19_500).map((p) => p.tag)
  for (const k of keyframeTags) assert.ok(chunkStarts.has(k), `keyframe piece ${k} opens a chunk`)
  assert.ok(c.stats.keyframeSnaps >= 15, `${c.stats.keyframeSnaps} snaps`)
  // Bytes in order, none lost or duplicated (tags wrap at 256; compare the concatenation).
  const sent = out.flatMap((x) => [...x.payload])
  const expected = pieces.slice(0, sent.length / 10).flatMap((p) => Array(10).fill(p.tag & 0xff))
  assert.deepEqual(sent, expected)
  assert.equal(out.length, Math.floor((20_000 - 125) / 250))
})

test('an input stall gives empty chunks (a TS null packet), not a gap in the sequence', () => {
  const c = new SteadyChunker({ chunkRateHz: 10, startMs: 0, maxBytes: 4096, raw: false })
  c.add(piece(1, true), 0)
  const out = c.cut(1050) // cuts at 150, 250, ..., 1050
  assert.equal(out.length, 10)
  assert.equal(out[0]!.size, 100)
  assert.ok(out[0]!.keyframe)
  for (const x of out.slice(1)) {
    assert.deepEqual(x.payload, TS_NULL_PACKET)
    assert.equal(x.keyframe, false)
  }
  assert.equal(c.stats.emptyChunks, 9)
})

test('TS input before the first keyframe is not sent (no viewer could decode it)', () => {
  const c = new SteadyChunker({ chunkRateHz: 4, startMs: 0, maxBytes: 4096, raw: false })
  c.add(piece(1), 0)
  c.add(piece(2), 10)
  c.add(piece(3, true), 20)
  const [first] = c.cut(375)
  assert.equal(first!.payload[0], 3)
  assert.ok(first!.keyframe)
  assert.equal(c.stats.piecesBeforeFirstKeyframe, 2)
})

test('a chunk over maxBytes carries the rest into the next chunk; big raw reads are split', () => {
  const c = new SteadyChunker({ chunkRateHz: 4, startMs: 0, maxBytes: 1000, raw: true })
  c.add(piece(9, false, 2500), 0)
  const out = c.cut(1000)
  assert.deepEqual(
    out.map((x) => x.size),
    [1000, 1000, 500],
  )
  assert.equal(c.stats.oversizeCarries, 2)
})

test('the sample clip through TsIngest: 4 chunks/s, one a second starts with PAT+PMT at a keyframe', () => {
  const bytes = new Uint8Array(readFileSync(SAMPLE_CLIP_PATH))
  const ingest = new TsIngest({ targetBytes: 7 * 188 })
  const c = new SteadyChunker({ chunkRateHz: 4, startMs: 0, maxBytes: 256 * 1024, raw: false })
  const out: MediaChunk[] = []
  const step = 4 * 1316
  // Fed at ~840 kbit/s, roughly the clip's own rate: 105 bytes per ms.
  for (let i = 0; i < bytes.length; i += step) {
    const t = i / 105
    for (const p of ingest.push(bytes.subarray(i, i + step), t)) c.add(p, t)
    out.push(...c.cut(t))
  }
  const keyframes = out.filter((x) => x.keyframe)
  assert.ok(out.length >= 38, `${out.length} chunks`)
  assert.ok(keyframes.length >= 9, `${keyframes.length} keyframe chunks`)
  for (const k of keyframes) {
    assert.equal(k.payload[0], 0x47)
    assert.equal(((k.payload[1]! & 0x1f) << 8) | k.payload[2]!, 0, 'a keyframe chunk starts with the PAT')
  }
})
