// Media path throughput on the sample clip (assets/sample.ts, 835 kbit/s H.264+AAC), fed in
// 64 KiB reads: packet alignment alone, alignment + chunking (the broadcaster's ingest), and the
// player side's splicer. Prints MB/s (1 MB = 10^6 bytes) as the median of several runs.
import { readFileSync } from 'node:fs'
import { TsIngest } from '../src/media/ingest.ts'
import type { MediaChunk } from '../src/media/media-chunk.ts'
import { TsPacketReader } from '../src/media/ts-packets.ts'
import { TsSplicer } from '../src/media/ts-splicer.ts'

const clip = readFileSync(new URL('../assets/sample.ts', import.meta.url))
const PASSES = 20
const READ_BYTES = 64 * 1024
const RUNS = 5
const TOTAL = clip.length * PASSES

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function measure(name: string, run: () => number): void {
  run() // warm-up
  const rates: number[] = []
  let checksum = 0
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    checksum += run()
    const seconds = (performance.now() - start) / 1000
    rates.push(TOTAL / 1e6 / seconds)
  }
  console.log(
    `${name.padEnd(34)} ${median(rates).toFixed(1).padStart(7)} MB/s  (median of ${RUNS}; ${checksum})`,
  )
}

function forEachRead(fn: (bytes: Uint8Array) => void): void {
  for (let pass = 0; pass < PASSES; pass++) {
    for (let at = 0; at < clip.length; at += READ_BYTES) fn(clip.subarray(at, at + READ_BYTES))
  }
}

// Chunk boundaries of the whole clip, for the splicer run.
const chunks: MediaChunk[] = (() => {
  const ingest = new TsIngest({ targetBytes: 8000 })
  const out: MediaChunk[] = []
  forEachRead((bytes) => out.push(...ingest.push(bytes, 0)))
  return out
})()

console.log(
  `input: ${PASSES} x assets/sample.ts = ${(TOTAL / 1e6).toFixed(1)} MB in ${READ_BYTES / 1024} KiB reads`,
)
measure('reader (188-byte alignment)', () => {
  const reader = new TsPacketReader()
  forEachRead((bytes) => reader.push(bytes))
  return reader.stats.packets
})
measure('ingest (reader + PSI + chunker)', () => {
  const ingest = new TsIngest({ targetBytes: 8000 })
  let n = 0
  forEachRead((bytes) => (n += ingest.push(bytes, 0).length))
  return n
})
measure('player splicer (chunks -> segments)', () => {
  const splicer = new TsSplicer()
  let n = 0
  for (const chunk of chunks) n += splicer.write(chunk).length
  return n
})
