// The paced file reader on a virtual clock (no sleeps): real-time release by PCR, seamless loops.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { PacedTsFileReader, type PacingClock } from '../../src/media/paced-reader.ts'
import { PcrPacer } from '../../src/media/pcr-pacer.ts'
import { SAMPLE_CLIP_PATH } from '../../src/media/sample-clip.ts'
import { continuityCounter, hasPayload, pcrOf, pidOf, TS_PACKET_BYTES } from '../../src/media/ts-header.ts'
import { decodeTs, ffmpegMissing } from './ffmpeg.ts'

const SAMPLE = SAMPLE_CLIP_PATH

class VirtualClock implements PacingClock {
  time = 1_000
  now(): number {
    return this.time
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms
  }
}

function packetsOf(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += TS_PACKET_BYTES)
    out.push(bytes.subarray(at, at + TS_PACKET_BYTES))
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** PCR span of the sample clip in ms, straight from the file. */
function sampleSpanMs(): number {
  const pcrs = packetsOf(readFileSync(SAMPLE))
    .map(pcrOf)
    .filter((p) => p >= 0)
  return (pcrs[pcrs.length - 1]! - pcrs[0]!) / 27_000
}

test('releases the clip at real-time pace by PCR: never early, never late by more than a PCR gap', async () => {
  const clock = new VirtualClock()
  const start = clock.now()
  const reader = new PacedTsFileReader(SAMPLE, { clock })
  let firstPcr = -1
  let worstLateMs = 0
  let bytes = 0
  for await (const batch of reader) {
    bytes += batch.length
    assert.equal(batch.length % TS_PACKET_BYTES, 0)
    for (const packet of packetsOf(batch)) {
      const pcr = pcrOf(packet)
      if (pcr < 0) continue
      if (firstPcr < 0) firstPcr = pcr
      const dueMs = (pcr - firstPcr) / 27_000
      const elapsed = clock.now() - start
      assert.ok(dueMs <= elapsed + 1e-6, `packet released ${dueMs - elapsed} ms early`)
      worstLateMs = Math.max(worstLateMs, elapsed - dueMs)
    }
  }
  assert.equal(bytes, readFileSync(SAMPLE).length)
  assert.ok(worstLateMs < 100, `released up to ${worstLateMs} ms late`)
  // The PCR span, plus the few packets before the first PCR paced at the fallback bitrate.
  assert.ok(Math.abs(clock.now() - start - sampleSpanMs()) < 5, `took ${clock.now() - start} ms`)
  assert.equal(reader.stats.pacedByPcr, true)
  assert.equal(reader.stats.passes, 1)
})

test('looping makes one seamless stream: three passes decode with zero complaints', {
  skip: ffmpegMissing,
}, async () => {
  const clock = new VirtualClock()
  const start = clock.now()
  const reader = new PacedTsFileReader(SAMPLE, { clock, loop: true, maxPasses: 3 })
  const parts: Uint8Array[] = []
  for await (const batch of reader) parts.push(batch)
  const output = concat(parts)
  // ffmpeg logs continuity errors only at debug level: count them here.
  const lastCc = new Map<number, number>()
  let ccBreaks = 0
  for (const packet of packetsOf(output)) {
    if (!hasPayload(packet)) continue
    const pid = pidOf(packet)
    const last = lastCc.get(pid)
    if (last !== undefined && continuityCounter(packet) !== ((last + 1) & 0x0f)) ccBreaks++
    lastCc.set(pid, continuityCounter(packet))
  }
  assert.equal(ccBreaks, 0)
  const result = decodeTs(output)
  assert.deepEqual(result.complaints, [])
  assert.equal(result.videoFrames, 3 * 250)
  // Three clip spans plus two loop joins, each at most one audio PES (~320 ms here) long.
  const elapsed = clock.now() - start
  assert.ok(elapsed > 3 * sampleSpanMs() && elapsed < 3 * sampleSpanMs() + 2 * 400, `took ${elapsed} ms`)
})

test('counter-check: the clip naively repeated makes the decoder complain', { skip: ffmpegMissing }, () => {
  const clip = readFileSync(SAMPLE)
  assert.ok(decodeTs(concat([clip, clip])).complaints.length > 0)
})

test('an abort signal ends a looping reader', async () => {
  const clock = new VirtualClock()
  const controller = new AbortController()
  const reader = new PacedTsFileReader(SAMPLE, { clock, loop: true, signal: controller.signal })
  let batches = 0
  for await (const _ of reader) if (++batches === 20) controller.abort()
  assert.equal(batches, 20)
})

test('pacer: without PCR, packets are paced at the fallback bitrate', () => {
  const pacer = new PcrPacer(500, 1_000_000)
  const packet = new Uint8Array(TS_PACKET_BYTES)
  packet[0] = 0x47
  packet[3] = 0x10 // payload only, no adaptation field, no PCR
  let due = 0
  for (let i = 0; i < 1000; i++) due = pacer.dueTime(packet)
  assert.equal(due, 500 + (1000 * TS_PACKET_BYTES * 8) / 1000)
  assert.equal(pacer.pacedByPcr, false)
})

test('pacer: a PCR that jumps backwards re-anchors instead of stalling', () => {
  const pcrPacket = (pcr: number) => {
    const p = new Uint8Array(TS_PACKET_BYTES)
    p.set([0x47, 0x01, 0x00, 0x30, 7, 0x10])
    const base = Math.floor(pcr / 300)
    p.set(
      [
        Math.floor(base / 2 ** 25),
        (base >> 17) & 0xff,
        (base >> 9) & 0xff,
        (base >> 1) & 0xff,
        ((base & 1) << 7) | 0x7e,
        0,
      ],
      6,
    )
    return p
  }
  const pacer = new PcrPacer(0, 1_000_000)
  assert.equal(pacer.dueTime(pcrPacket(27_000 * 5000)), 0)
  assert.equal(pacer.dueTime(pcrPacket(27_000 * 5040)), 40)
  assert.equal(pacer.dueTime(pcrPacket(27_000 * 10)), 40) // stream restarted: continue from here
  assert.equal(pacer.dueTime(pcrPacket(27_000 * 50)), 80)
})
