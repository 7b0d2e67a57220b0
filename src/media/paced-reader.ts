import { open } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { LoopRebaser } from './loop-rebaser.ts'
import { PcrPacer } from './pcr-pacer.ts'
import { TsPacketReader } from './ts-packets.ts'

/** Time for the paced reader; tests inject a virtual one so no test sleeps. */
export interface PacingClock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const systemClock: PacingClock = {
  now: () => performance.now(),
  sleep: (ms) => sleep(ms),
}

export interface PacedReaderOptions {
  /** Start over at the end of the file, with timestamps continuing (see LoopRebaser). */
  loop?: boolean
  /** Stop after this many passes over the file (default: 1, or unbounded with `loop`). */
  maxPasses?: number
  /** Pace for files without PCR (default 2 Mbit/s). */
  fallbackBitrateBps?: number
  clock?: PacingClock
  readBytes?: number
  /** Behind schedule by more than this (ms): shift the schedule instead of bursting to catch up. */
  maxLateMs?: number
  signal?: AbortSignal
}

export interface PacedReaderStats {
  passes: number
  bytes: number
  packets: number
  discardedBytes: number
  sleeps: number
  scheduleShifts: number
  pacedByPcr: boolean
}

/**
 * Reads an MPEG-TS file and releases it at real-time pace, as if it were a live encoder: yields
 * runs of whole 188-byte packets once they are due by PCR (or `fallbackBitrateBps`). Looping
 * rewrites timestamps and continuity counters so the output is one seamless stream.
 */
export class PacedTsFileReader implements AsyncIterable<Uint8Array> {
  readonly stats: PacedReaderStats = {
    passes: 0,
    bytes: 0,
    packets: 0,
    discardedBytes: 0,
    sleeps: 0,
    scheduleShifts: 0,
    pacedByPcr: false,
  }

  constructor(
    private readonly path: string,
    private readonly options: PacedReaderOptions = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const clock = this.options.clock ?? systemClock
    const maxPasses = this.options.maxPasses ?? (this.options.loop ? Number.POSITIVE_INFINITY : 1)
    const maxLateMs = this.options.maxLateMs ?? 2000
    const pacer = new PcrPacer(clock.now(), this.options.fallbackBitrateBps ?? 2_000_000)
    const rebaser = new LoopRebaser()
    const readBuffer = new Uint8Array(this.options.readBytes ?? 64 * 1024)
    const file = await open(this.path, 'r')
    try {
      while (this.stats.passes < maxPasses && !this.options.signal?.aborted) {
        if (this.stats.passes > 0) rebaser.nextPass()
        const reader = new TsPacketReader()
        let position = 0
        let batch: Uint8Array[] = []
        for (;;) {
          const { bytesRead } = await file.read(readBuffer, 0, readBuffer.length, position)
          const atEnd = bytesRead === 0
          position += bytesRead
          const packets = atEnd ? reader.end() : reader.push(readBuffer.subarray(0, bytesRead))
          for (const view of packets) {
            // Copy: the view points into readBuffer, which the next read reuses; the rebaser edits it.
            const packet = view.slice()
            rebaser.process(packet)
            const due = pacer.dueTime(packet)
            const late = clock.now() - due
            if (late > maxLateMs) {
              pacer.delay(late)
              this.stats.scheduleShifts++
            } else if (late < 0) {
              if (batch.length > 0) yield concat(batch)
              batch = []
              this.stats.sleeps++
              await clock.sleep(-late)
              if (this.options.signal?.aborted) return
            }
            batch.push(packet)
            this.stats.packets++
            this.stats.bytes += packet.length
          }
          if (batch.length > 0) yield concat(batch)
          batch = []
          if (atEnd) break
        }
        this.stats.discardedBytes += reader.stats.discardedBytes
        this.stats.pacedByPcr = pacer.pacedByPcr
        this.stats.passes++
        if (reader.stats.packets === 0) break
      }
    } finally {
      await file.close()
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.length * (parts[0]?.length ?? 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
