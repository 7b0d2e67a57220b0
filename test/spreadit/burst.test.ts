import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RecentChunks, SEEN_WINDOW, SeenSeqs } from '../../src/overlays/spreadit/fast-start.ts'
import { parseParams } from '../../src/overlays/spreadit/params.ts'
import type { Chunk, ChunkMessage } from '../../src/stream/chunk.ts'
import { cap, node, spreaditHarness } from './setup.ts'

// Harness: a chunk every 100 ms from t = 0 (seq 0 at t = 0), 10 ms one-way latency.

const isStrictlyConsecutive = (seqs: readonly number[]) =>
  seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1)

test('burstChunks defaults to 0: the paper behaviour, a newcomer gets only live chunks', () => {
  assert.equal(parseParams({}).burstChunks, 0)
  const h = spreaditHarness({}, { sourceUploadKbps: cap(2) })
  h.runUntil(1005)
  const v = h.addViewer(cap(1)) // subscribe reaches the source at 1015, accept arrives at 1025
  h.runUntil(1030)
  assert.deepEqual(h.delivered(v), [])
  h.runUntil(1215)
  // Seq 11 (cut at 1100) is the first live chunk after the accept.
  assert.deepEqual(h.delivered(v), [11, 12])
})

test("a new child receives its parent's last burstChunks chunks at once, in order, then the live stream", () => {
  const h = spreaditHarness({ burstChunks: 4 }, { sourceUploadKbps: cap(2) })
  h.runUntil(1005)
  const v = h.addViewer(cap(1))
  h.runUntil(1025) // the accept and the burst arrive together at 1025
  // The source had cut seqs 0..10 by 1015; the last four arrive with the accept.
  assert.deepEqual(h.delivered(v), [7, 8, 9, 10])
  h.runUntil(3000)
  const seqs = h.delivered(v)
  assert.ok(isStrictlyConsecutive(seqs), `delivered out of order or with a gap/duplicate: ${seqs}`)
  assert.equal(seqs.at(-1), 29)
  assert.deepEqual(h.hops(v).slice(0, 4), [1, 1, 1, 1])
})

test('a relay bursts what it forwards, with its own hop count, and only its last K chunks', () => {
  const h = spreaditHarness({ burstChunks: 3 }, { sourceUploadKbps: cap(1) })
  const a = h.addViewer(cap(1))
  h.runUntil(2005)
  const b = h.addViewer(cap(1)) // redirected by the full source to a
  h.runUntil(2050)
  assert.equal(h.parentOf(b), a)
  // Source at 2015 redirects; b subscribes to a at 2025, a accepts, burst arrives at 2035.
  assert.deepEqual(h.delivered(b), [18, 19, 20])
  assert.deepEqual(h.hops(b), [2, 2, 2])
})

test("after a parent change the new parent's burst overlaps: no seq reaches the player or the subtree twice", () => {
  const h = spreaditHarness({ burstChunks: 6, deletePolicy: 'grandfather' }, { sourceUploadKbps: cap(2) })
  const a = h.addViewer(cap(1))
  h.runUntil(50)
  const filler = h.addViewer(0) // the source's second slot: b must go under a
  h.runUntil(100)
  const b = h.addViewer(cap(1))
  h.runUntil(200)
  const c = h.addViewer(0)
  h.runUntil(1000)
  assert.equal(h.parentOf(b), a)
  assert.equal(h.parentOf(c), b)
  h.leave(filler) // frees a slot at the source for b
  h.leave(a) // b is redirected to the source (grandfather), which bursts 6 chunks b already has
  h.runUntil(4000)
  assert.equal(h.parentOf(b), h.sourceId)
  assert.equal(node(h, b).state, 'attached')
  for (const id of [b, c]) {
    const seqs = h.delivered(id)
    assert.equal(new Set(seqs).size, seqs.length, `node ${id} was handed a seq twice: ${seqs}`)
    assert.ok(isStrictlyConsecutive(seqs), `node ${id}: ${seqs}`)
    assert.equal(seqs.at(-1), 39)
  }
  // The source did send the overlapping burst; b dropped it.
  assert.ok((h.sentByType.get('chunk') ?? 0) > 0)
})

const msg = (seq: number): ChunkMessage => ({
  type: 'chunk',
  chunk: { stream: 's', seq, sourceTime: seq * 100, payload: 0, auth: null } as unknown as Chunk,
  hops: 1,
})

test('RecentChunks keeps only the last K messages and returns them in seq order', () => {
  const ring = new RecentChunks(4)
  assert.deepEqual(ring.inSeqOrder(), [])
  for (const seq of [1, 2, 3, 5, 4, 6, 7]) ring.remember(msg(seq)) // 4 filled a hole late
  assert.deepEqual(
    ring.inSeqOrder().map((m) => m.chunk.seq),
    [4, 5, 6, 7],
  )
})

test('SeenSeqs tells first copies from repeats across its window, and treats older seqs as seen', () => {
  const seen = new SeenSeqs()
  assert.equal(seen.markNew(10), true)
  assert.equal(seen.markNew(10), false)
  assert.equal(seen.markNew(8), true) // a hole filled late
  assert.equal(seen.markNew(8), false)
  assert.equal(seen.markNew(10 + SEEN_WINDOW), true) // slides the window: 10's slot is reused
  assert.equal(seen.markNew(10), false) // too old to tell: dropped as seen
  assert.equal(seen.markNew(12), true) // inside the window: its slot was cleared when it slid
  assert.equal(seen.markNew(12), false)
})
