// Holes in the chunk sequence must reach the player as a clean splice, never as corrupt frames.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { TsIngest } from '../../src/media/ingest.ts'
import type { MediaChunk } from '../../src/media/media-chunk.ts'
import { TsSplicer } from '../../src/media/ts-splicer.ts'
import { decodeTs, ffmpegMissing, makeTestTs } from './ffmpeg.ts'

const SECONDS = 6
const chunks: MediaChunk[] = (() => {
  if (ffmpegMissing) return []
  const ingest = new TsIngest({ targetBytes: 4000 })
  const bytes = makeTestTs({ seconds: SECONDS })
  return [...ingest.push(bytes, 0), ...ingest.end(0)]
})()

function joined(parts: { payload: Uint8Array }[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.payload.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p.payload, at)
    at += p.payload.length
  }
  return out
}

/** The chunks with a few random single and multi-chunk holes (never the first keyframe). */
function withHoles(seed: number): MediaChunk[] {
  const rng = createRng(seed)
  const lost = new Set<number>()
  for (let i = 0; i < 4; i++) {
    const start = 30 + rng.int(chunks.length - 40)
    const length = 1 + rng.int(3)
    for (let k = 0; k < length; k++) lost.add(start + k)
  }
  return chunks.filter((c) => !lost.has(c.seq))
}

test('holes are spliced out: the output decodes with zero complaints', { skip: ffmpegMissing }, () => {
  for (const seed of [1, 2, 3]) {
    const splicer = new TsSplicer()
    const segments = withHoles(seed).flatMap((c) => splicer.write(c))
    assert.ok(splicer.stats.gaps >= 1, `seed ${seed}`)
    const result = decodeTs(joined(segments))
    assert.deepEqual(result.complaints, [], `seed ${seed}`)
    assert.ok(result.videoFrames >= 25, `seed ${seed}: ${result.videoFrames} frames`)
  }
})

test('counter-check: the same holes passed straight through make the decoder complain', {
  skip: ffmpegMissing,
}, () => {
  const result = decodeTs(joined(withHoles(1)))
  assert.ok(result.complaints.length > 0)
})

test('without holes the splicer only delays bytes: output equals input from the first keyframe', {
  skip: ffmpegMissing,
}, () => {
  const splicer = new TsSplicer()
  const segments = chunks.flatMap((c) => splicer.write(c))
  const firstKeyframe = chunks.find((c) => c.keyframe)!.seq
  const expected = joined(chunks.slice(firstKeyframe))
  // The tail of the last chunk is held until a next chunk (or the end) proves its PES complete.
  const beforeEnd = joined(segments)
  assert.ok(beforeEnd.length < expected.length && beforeEnd.length > expected.length - 64 * 1024)
  assert.deepEqual(joined([...segments, ...splicer.flush()]), expected)
  assert.equal(segments.filter((s) => s.keyframe).length, SECONDS)
})

test('non-TS payloads (raw streams) pass through unchanged', () => {
  const splicer = new TsSplicer()
  const payload = new TextEncoder().encode('not a transport stream')
  const out = splicer.write({ seq: 0, keyframe: false, payload })
  assert.equal(out.length, 1)
  assert.deepEqual(out[0]!.payload, payload)
})
