import assert from 'node:assert/strict'
import { test } from 'node:test'
import { I3WireTrace } from '../../src/experiment/i3/chunk-trace.ts'
import { meanSd, queriesByLevel, stressStats, stretchStats } from '../../src/experiment/i3/metrics.ts'
import { hashId } from '../../src/overlays/i3/ids.ts'
import type { I3Message } from '../../src/overlays/i3/messages.ts'
import type { Chunk } from '../../src/stream/chunk.ts'

test('stretch: per receiver over unicast, same-LAN receivers counted apart; RMD and RAD from aggregates', () => {
  const s = stretchStats([
    { overlayMs: 30, unicastMs: 10 }, // 3
    { overlayMs: 40, unicastMs: 40 }, // 1
    { overlayMs: 100, unicastMs: 50 }, // 2
    { overlayMs: 5, unicastMs: 0 }, // same LAN
  ])
  assert.equal(s.receivers, 4)
  assert.equal(s.sameLan, 1)
  assert.equal(s.stretch.count, 3)
  assert.equal(s.stretch.max, 3)
  assert.equal(s.stretch.min, 1)
  assert.equal(s.stretch.p90, 3)
  assert.equal(s.belowOne, 0)
  assert.equal(s.rmd, 100 / 50)
  assert.equal(s.rad, (30 + 40 + 100 + 5) / (10 + 40 + 50 + 0))
})

test('stretch below 1 is counted (a check that routing is shortest-path)', () => {
  const s = stretchStats([{ overlayMs: 5, unicastMs: 10 }])
  assert.equal(s.belowOne, 1)
  assert.equal(stretchStats([]).rmd, 0)
})

test('stress: max, nearest-rank p99 and copies over the links crossed', () => {
  const copies = new Map<number, number>()
  for (let link = 0; link < 200; link++) copies.set(link, 1)
  copies.set(7, 5)
  copies.set(8, 9)
  copies.set(9, 40)
  const s = stressStats(copies)
  assert.equal(s.links, 200)
  assert.equal(s.max, 40)
  // Nearest rank ceil(0.99 * 200) = 198 of 200; the sorted tail is 5, 9, 40.
  assert.equal(s.p99, 5)
  assert.equal(s.copies, 197 + 5 + 9 + 40)
})

test('queries by level: mean and sd per level, members without queries count 0', () => {
  const levels = new Map<number, number>([
    [0, 0],
    [1, 1],
    [2, 1],
    [3, 2],
  ])
  const queries = new Map<number, number>([
    [0, 9],
    [1, 4],
    [2, 6],
  ])
  assert.deepEqual(queriesByLevel(levels, queries), [
    { level: 0, members: 1, queriesPerMember: 9, queriesSd: 0 },
    { level: 1, members: 2, queriesPerMember: 5, queriesSd: Math.SQRT2 },
    { level: 2, members: 1, queriesPerMember: 0, queriesSd: 0 },
  ])
  assert.deepEqual(meanSd([]), { mean: 0, sd: 0 })
})

function chunkMsg(seq: number, sourceTime: number, repair = false): I3Message {
  const chunk: Chunk = {
    stream: 's',
    seq,
    sourceTime,
    stripe: -1,
    size: 100,
    payload: null,
    keyframe: true,
    auth: null,
  }
  return { type: 'chunk', id: hashId('g'), ttl: 10, origin: 0, chunk, hops: 0, repair }
}

test('wire trace: follows the first chunk cut after the arming instant, first arrival per end host, queries per host', () => {
  const servers = new Set([1, 2])
  const trace = new I3WireTrace((id) => servers.has(id as number))
  const t = trace.onTransmit
  t(0, 1, chunkMsg(4, 900), 100, 900, 900) // before arming: ignored
  trace.traceNextChunk(1000)
  t(1, 5, chunkMsg(4, 900), 100, 1001, 1010) // older chunk still in flight: ignored
  t(1, 5, chunkMsg(7, 1000), 100, 1001, 1010) // cut at the arming instant: already on its way, ignored
  t(0, 1, chunkMsg(5, 1000.5), 100, 1000.5, 1000.5)
  t(1, 2, chunkMsg(5, 1000.5), 100, 1000, 1020)
  t(2, 5, chunkMsg(5, 1000.5), 100, 1020, 1050)
  t(2, 6, chunkMsg(5, 1000.5, true), 100, 1020, 1030) // a repair: not the tree's path
  t(1, 5, chunkMsg(5, 1000.5), 100, 1030, 1040) // a second copy arriving earlier
  t(1, 5, chunkMsg(6, 1100), 100, 1100, 1100) // the next chunk: ignored
  const query: I3Message = {
    type: 'query',
    id: hashId('j'),
    ttl: 9,
    origin: 7,
    nonce: 1,
    replyTo: hashId('r'),
  }
  t(1, 5, query, 50, 0, 0)
  t(1, 5, query, 50, 0, 0)
  t(7, 1, query, 50, 0, 0) // to a server: not processed by an end host
  assert.equal(trace.tracedSeq, 5)
  assert.deepEqual(trace.hopFrom, [0, 1, 2, 1])
  assert.deepEqual(trace.hopTo, [1, 2, 5, 5])
  assert.equal(trace.delayAt(5), 39.5)
  assert.equal(trace.delayAt(6), null)
  assert.deepEqual([...trace.queriesTo], [[5, 2]])
})
