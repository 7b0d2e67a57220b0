// End to end through real ffmpeg: encoder -> unaligned reads (+ garbage) -> reader -> chunker,
// then the chunks from an arbitrary keyframe on must decode with zero complaints.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, type Rng } from '../../src/core/rng.ts'
import { TsIngest } from '../../src/media/ingest.ts'
import type { MediaChunk } from '../../src/media/media-chunk.ts'
import {
  PAT_PID,
  pidOf,
  randomAccessIndicator,
  startsPayloadUnit,
  TS_PACKET_BYTES,
} from '../../src/media/ts-header.ts'
import { decodeTs, ffmpegMissing, makeTestTs } from './ffmpeg.ts'

const SECONDS = 4
const stream = ffmpegMissing ? new Uint8Array(0) : makeTestTs({ seconds: SECONDS })

function ingest(bytes: Uint8Array, rng: Rng, targetBytes = 6000): { chunks: MediaChunk[]; ingest: TsIngest } {
  const ingest = new TsIngest({ targetBytes })
  const chunks: MediaChunk[] = []
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + rng.int(20_000)
    chunks.push(...ingest.push(bytes.subarray(at, at + n), at))
    at += n
  }
  chunks.push(...ingest.end(bytes.length))
  return { chunks, ingest }
}

function joined(chunks: MediaChunk[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.size, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c.payload, at)
    at += c.size
  }
  return out
}

function packetAt(chunk: MediaChunk, index: number): Uint8Array {
  return chunk.payload.subarray(index * TS_PACKET_BYTES, (index + 1) * TS_PACKET_BYTES)
}

test('program tables and keyframes are found; one keyframe chunk per GOP', { skip: ffmpegMissing }, () => {
  const { chunks, ingest: ing } = ingest(stream, createRng(1))
  const program = ing.chunker.psi.program
  assert.ok(program !== null)
  assert.equal(program.streams.find((s) => s.pid === program.videoPid)?.codec, 'h264')
  assert.ok(program.streams.some((s) => s.codec === 'aac'))
  assert.equal(chunks.filter((c) => c.keyframe).length, SECONDS) // -g 25 at 25 fps
  assert.equal(ing.chunker.keyframes.stats.raiKeyframes, SECONDS)
  chunks.forEach((c, i) => {
    assert.equal(c.seq, i)
    assert.equal(c.size % TS_PACKET_BYTES, 0)
    assert.equal(c.size, c.payload.length)
    assert.ok(c.size <= 6000 + 9 * TS_PACKET_BYTES)
  })
})

test('every keyframe chunk is PAT, PMT, then the random access packet', { skip: ffmpegMissing }, () => {
  const { chunks, ingest: ing } = ingest(stream, createRng(2))
  const program = ing.chunker.psi.program!
  for (const chunk of chunks.filter((c) => c.keyframe)) {
    assert.equal(pidOf(packetAt(chunk, 0)), PAT_PID)
    assert.equal(pidOf(packetAt(chunk, 1)), program.pmtPid)
    const first = packetAt(chunk, 2)
    assert.equal(pidOf(first), program.videoPid)
    assert.ok(randomAccessIndicator(first) && startsPayloadUnit(first))
  }
})

test('from any keyframe chunk on, the stream decodes with zero complaints', { skip: ffmpegMissing }, () => {
  const rng = createRng(3)
  const { chunks } = ingest(stream, rng)
  const keyframes = chunks.filter((c) => c.keyframe)
  const start = keyframes[1 + rng.int(keyframes.length - 1)]! // never the stream's own start
  const result = decodeTs(joined(chunks.slice(start.seq)))
  assert.deepEqual(result.complaints, [])
  assert.ok(result.videoFrames >= 25, `decoded ${result.videoFrames} frames`)
})

test('counter-check: starting mid-GOP (no PAT/PMT, no keyframe) makes the decoder complain', {
  skip: ffmpegMissing,
}, () => {
  const { chunks } = ingest(stream, createRng(4))
  const keyframe = chunks.filter((c) => c.keyframe)[1]!
  const result = decodeTs(joined(chunks.slice(keyframe.seq + 3)))
  assert.ok(result.complaints.length > 0, 'the decode check must be able to fail')
})

test('garbage between reads is skipped and counted; output still decodes', { skip: ffmpegMissing }, () => {
  const rng = createRng(5)
  // Garbage lands between whole packets (a source glitch); no packet is damaged.
  const parts: Uint8Array[] = []
  let garbageBytes = 0
  for (let at = 0; at < stream.length; ) {
    const n = TS_PACKET_BYTES * (50 + rng.int(200))
    parts.push(stream.subarray(at, at + n))
    at += n
    if (at >= stream.length) break // junk after the last packet could pass as one: nothing follows it
    const junk = Uint8Array.from({ length: 1 + rng.int(300) }, () => rng.int(256))
    junk[0] = 0x47 // a fake sync byte right where the next packet should start
    parts.push(junk)
    garbageBytes += junk.length
  }
  const bytes = joined(parts.map((p, i) => ({ payload: p, size: p.length, seq: i }) as unknown as MediaChunk))
  const { chunks, ingest: ing } = ingest(bytes, rng)
  // Every real packet survives. Junk that starts with 0x47 and has one at +188 too passes as a
  // packet (one byte of lookahead cannot tell); the accounting must still add up exactly.
  const realPackets = stream.length / TS_PACKET_BYTES
  const fakePackets = ing.reader.stats.packets - realPackets
  assert.ok(fakePackets >= 0 && fakePackets <= 2, `${fakePackets} junk blocks passed as packets`)
  assert.ok(ing.reader.stats.resyncs > 0)
  assert.equal(ing.reader.stats.discardedBytes + fakePackets * TS_PACKET_BYTES, garbageBytes)
  const result = decodeTs(joined(chunks.slice(chunks.find((c) => c.keyframe)!.seq)))
  assert.deepEqual(result.complaints, [])
})

test('damaged packets (bytes lost mid-packet) are dropped and counted', { skip: ffmpegMissing }, () => {
  const rng = createRng(6)
  const parts: Uint8Array[] = []
  let cuts = 0
  for (let at = 0; at < stream.length; ) {
    const n = TS_PACKET_BYTES * (100 + rng.int(300)) + 17 + rng.int(100)
    parts.push(stream.subarray(at, at + n))
    at += n + 20 // 20 bytes vanish from inside a packet
    cuts++
  }
  const bytes = joined(parts.map((p) => ({ payload: p, size: p.length }) as unknown as MediaChunk))
  const { chunks, ingest: ing } = ingest(bytes, rng)
  assert.ok(ing.reader.stats.resyncs >= cuts - 1)
  assert.ok(ing.reader.stats.discardedBytes > 0)
  for (const c of chunks) assert.equal(c.size % TS_PACKET_BYTES, 0)
  for (const c of chunks) for (let i = 0; i < c.size; i += TS_PACKET_BYTES) assert.equal(c.payload[i], 0x47)
})

test('without random_access_indicator, keyframes are found from the H.264 NAL units', {
  skip: ffmpegMissing,
}, () => {
  const withRai = ingest(stream, createRng(7)).chunks.filter((c) => c.keyframe)
  const stripped = stream.slice()
  for (let at = 0; at < stripped.length; at += TS_PACKET_BYTES) {
    if ((stripped[at + 3]! & 0x20) !== 0 && stripped[at + 4]! > 0) stripped[at + 5]! &= ~0x40
  }
  const { chunks, ingest: ing } = ingest(stripped, createRng(7))
  const keyframes = chunks.filter((c) => c.keyframe)
  assert.equal(ing.chunker.keyframes.stats.raiKeyframes, 0)
  assert.equal(ing.chunker.keyframes.stats.nalKeyframes, SECONDS)
  assert.deepEqual(
    keyframes.map((c) => c.size),
    withRai.map((c) => c.size),
  )
  const result = decodeTs(joined(chunks.slice(keyframes[2]!.seq)))
  assert.deepEqual(result.complaints, [])
})

test('a PCR duration budget cuts chunks by stream time; bad budgets are refused', {
  skip: ffmpegMissing,
}, () => {
  const ing = new TsIngest({ targetBytes: 100_000, targetDurationMs: 200 })
  const chunks = [...ing.push(stream, 0), ...ing.end(0)]
  // ~5 chunks per second by PCR, plus the cuts that keyframes force (PCRs come every 40-80 ms).
  assert.ok(chunks.length >= SECONDS * 4 && chunks.length <= SECONDS * 8, `${chunks.length} chunks`)
  assert.throws(() => new TsIngest({ targetBytes: 0 }), /targetBytes/)
  assert.throws(() => new TsIngest({ targetBytes: 300_000 }), /targetBytes/)
  assert.throws(() => ing.chunker.push(new Uint8Array(100), 0), /188-byte packet/)
})
