import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeliveredSeqs, HoleWatch, PendingAsks, RecentChunks } from '../../src/overlays/p2pcast/backfill.ts'
import { FirstCopy, GraceEdges, UploadCredit } from '../../src/overlays/p2pcast/handover.ts'
import type { ChunkMessage } from '../../src/stream/chunk.ts'

test('grace edges: kept for the window, bounded (oldest forgotten), released on request', () => {
  const g = new GraceEdges(1000, 3)
  g.add(0, 'a', 0)
  g.add(0, 'b', 1)
  assert.deepEqual(g.inWindow(500, 0), ['a'])
  assert.equal(g.has(1000, 'a', 0), true)
  assert.equal(g.has(1001, 'a', 0), false, 'the window ends')
  g.add(10, 'c', 0)
  g.add(20, 'd', 0)
  assert.equal(g.size, 3, 'the bound holds')
  assert.equal(g.has(30, 'a', 0), false, 'the oldest edge was forgotten')
  g.release(40, 'c')
  assert.equal(g.has(50, 'c', 0), false)
  g.add(60, 'c', 0)
  assert.equal(g.has(70, 'c', 0), false, 'a released peer gets no new grace edge within the window')
  g.add(1100, 'c', 0)
  assert.equal(g.has(1100, 'c', 0), true, 'after the window it can be moved again')
  assert.equal(new GraceEdges(0, 4).size, 0)
})

test('first copy: each seq relayed once, whichever feed brings it first', () => {
  const f = new FirstCopy(8)
  assert.deepEqual(
    [5, 6, 5, 4, 7, 6, 20, 13, 12, 20].map((s) => f.take(s)),
    [true, true, false, true, true, false, true, true, false, false],
  )
})

test('upload credit: earned as a share of relayed copies, capped, spent one copy at a time', () => {
  const c = new UploadCredit(0.05, 3)
  assert.equal(c.spend(), false, 'nothing earned yet')
  c.earn(30)
  assert.equal(c.available, 1)
  c.earn(1000)
  assert.equal(c.available, 3, 'capped')
  assert.deepEqual([c.spend(), c.spend(), c.spend(), c.spend()], [true, true, true, false])
})

const msg = (seq: number): ChunkMessage => ({
  type: 'chunk',
  hops: 1,
  chunk: {
    stream: 's',
    seq,
    sourceTime: seq,
    stripe: -1,
    keyframe: false,
    size: 10,
    payload: null,
    auth: null,
  },
})

test('recent chunks: at most capacity, only within the window, oldest first', () => {
  const r = new RecentChunks(3, 100)
  for (let i = 0; i < 5; i++) r.push(i * 40, msg(i))
  assert.deepEqual(
    r.since(160).map((m) => m.chunk.seq),
    [2, 3, 4],
  )
  assert.deepEqual(
    r.since(230).map((m) => m.chunk.seq),
    [4],
  )
})

test('delivered seqs: a hole among the recent seqs is seen; older ones are not', () => {
  const d = new DeliveredSeqs(64)
  for (const s of [10, 11, 12, 14, 15]) d.note(s)
  assert.equal(d.hasHole(10), true)
  assert.equal(d.hasHole(2), false, 'seq 13 is outside the lookback')
  d.note(13)
  assert.equal(d.hasHole(10), false)
})

test('delivered seqs: the missing ones are listed ascending, newest first when capped', () => {
  const d = new DeliveredSeqs(64)
  for (const s of [10, 12, 13, 16, 19]) d.note(s)
  assert.deepEqual(d.missing(20, 10), [11, 14, 15, 17, 18])
  assert.deepEqual(d.missing(20, 2), [17, 18], 'the newest holes matter most to the playout')
  assert.deepEqual(d.missing(4, 10), [17, 18])
  assert.deepEqual(new DeliveredSeqs(8).missing(8, 8), [], 'nothing delivered yet: no hole')
})

test('recent chunks: a backfill picks only the asked seqs it holds', () => {
  const r = new RecentChunks(4, 1000)
  for (let i = 0; i < 4; i++) r.push(i * 10, msg(i))
  assert.deepEqual(
    r.pick(50, [1, 3, 9]).map((m) => m.chunk.seq),
    [1, 3],
  )
  assert.deepEqual(r.pick(50, []), [])
})

const seqsDue = (h: HoleWatch, now: number, d: DeliveredSeqs, lookback: number, max: number) =>
  h.due(now, d, lookback, max).seqs

test('hole watch: a seq is a hole once every feed has gone past it or is silent; asked again after the retry time', () => {
  const holes = new HoleWatch(2, 1, 500, 1000)
  const d = new DeliveredSeqs(64)
  for (const s of [0, 1, 4]) d.note(s)
  holes.heard(0, 0, 4)
  holes.heard(0, 1, 1)
  assert.deepEqual(
    seqsDue(holes, 100, d, 32, 256),
    [],
    'stripe 1 is at group 1 and not silent: 2 and 3 may come',
  )
  assert.deepEqual(seqsDue(holes, 600, d, 32, 256), [], 'both silent: nothing flows, nobody to ask')
  holes.heard(600, 0, 5)
  d.note(5)
  assert.deepEqual(seqsDue(holes, 600, d, 32, 256), [2, 3], 'stripe 1 silent (cut), stripe 0 past them')
  assert.deepEqual(seqsDue(holes, 700, d, 32, 256), [], 'just asked')
  holes.heard(1700, 0, 6)
  assert.deepEqual(seqsDue(holes, 1700, d, 32, 256), [2, 3], 'still missing after the retry time')
  d.note(2)
  holes.clear()
  holes.heard(3000, 0, 9)
  assert.deepEqual(seqsDue(holes, 3000, d, 32, 256), [3])
})

test('pending asks: bounded children and seqs, forgotten after the wait, each seq taken once', () => {
  const p = new PendingAsks(2, 3, 1000)
  p.add(0, 'a', [1, 2, 3, 4, 5])
  p.add(0, 'b', [4])
  p.add(0, 'c', [4])
  assert.equal(p.size, 2, 'at most 2 children wait')
  assert.deepEqual(p.take(10, 1), [], 'only the newest 3 seqs are kept')
  assert.deepEqual(p.take(10, 4), ['a', 'b'])
  assert.deepEqual(p.take(10, 4), [], 'taken once')
  assert.equal(p.size, 1, "b's ask is done")
  assert.deepEqual(p.take(2000, 5), [], 'past the wait')
  assert.equal(p.size, 0)
})

test('first copy: seen() tells offered seqs without taking them', () => {
  const f = new FirstCopy(8)
  f.take(5)
  f.take(3)
  assert.equal(f.seen(3), true)
  assert.equal(f.seen(4), false)
  assert.equal(f.seen(4), false, 'seen() does not take')
  assert.equal(f.seen(9), false, 'newer than anything offered')
  f.take(20)
  assert.equal(f.seen(5), true, 'older than the span counts as offered')
})

test('hole watch: a stripe that carries a chunk only every few beats (f > 2) is not taken for cut', () => {
  // f = 4: three data stripes and parity; stripe 0 (seqs 0, 3, 6, 9, ...) brings one every 1,200 ms.
  const holes = new HoleWatch(4, 3, 500, 1000)
  const d = new DeliveredSeqs(64)
  for (let g = 0; g < 3; g++) holes.heard(g * 1200, 0, g)
  for (let s = 0; s <= 17; s++) if (s !== 9) d.note(s)
  // Seq 9 (group 3, stripe 0) is not missing for good at 3,200 ms: stripe 0 was heard 800 ms ago,
  // more than a beat, but its gap is 1,200 ms.
  holes.heard(3200, 1, 5)
  assert.deepEqual(seqsDue(holes, 3200, d, 32, 256), [])
  holes.heard(4900, 1, 5)
  assert.deepEqual(seqsDue(holes, 4900, d, 32, 256), [9], 'stripe 0 silent for two of its gaps: cut')
})
