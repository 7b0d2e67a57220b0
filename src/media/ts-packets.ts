import { TS_PACKET_BYTES, TS_SYNC_BYTE } from './ts-header.ts'

/** The input never showed MPEG-TS packet structure: the user fed something else. */
export class NotMpegTsError extends Error {
  override readonly name = 'NotMpegTsError'
}

export interface TsPacketReaderOptions {
  /** Sync bytes needed at 188-byte spacing to (re)gain lock; one stray 0x47 is common in data. */
  syncPackets?: number
  /** Bytes without ever gaining lock after which the input is declared not MPEG-TS. */
  maxBytesBeforeSync?: number
}

export interface TsPacketReaderStats {
  packets: number
  /** Bytes thrown away: garbage, truncated or damaged packets. */
  discardedBytes: number
  /** Times lock was lost after it had been gained. */
  resyncs: number
}

const DEFAULT_SYNC_PACKETS = 3
const DEFAULT_MAX_BYTES_BEFORE_SYNC = TS_PACKET_BYTES * 10

/**
 * Re-aligns arbitrary byte reads (pipes, sockets, files) into 188-byte TS packets.
 *
 * A packet is released only when the byte after it is again a sync byte (one byte of lookahead),
 * so a packet that lost or gained bytes in transit is discarded rather than passed on with the
 * next packet's head inside it. After a loss of lock the reader hunts for `syncPackets` sync
 * bytes at 188-byte spacing before trusting the alignment again.
 *
 * Returned packets are views into the pushed bytes (or an internal copy): copy them to keep them
 * past the caller's next reuse of its input buffer.
 */
export class TsPacketReader {
  readonly stats: TsPacketReaderStats = { packets: 0, discardedBytes: 0, resyncs: 0 }
  private pending: Uint8Array = new Uint8Array(0)
  private locked = false
  private everLocked = false
  private readonly syncPackets: number
  private readonly maxBytesBeforeSync: number

  constructor(options: TsPacketReaderOptions = {}) {
    this.syncPackets = Math.max(1, options.syncPackets ?? DEFAULT_SYNC_PACKETS)
    this.maxBytesBeforeSync = options.maxBytesBeforeSync ?? DEFAULT_MAX_BYTES_BEFORE_SYNC
  }

  /** Feed the next bytes of input; returns the packets completed by them. Throws NotMpegTsError. */
  push(bytes: Uint8Array): Uint8Array[] {
    const buf = this.pending.length === 0 ? bytes : concat(this.pending, bytes)
    const packets: Uint8Array[] = []
    const pos = this.scan(buf, packets, false)
    this.pending = pos < buf.length ? buf.slice(pos) : new Uint8Array(0)
    this.checkIsTs()
    return packets
  }

  /** End of input: releases the last packets that need no lookahead, counts the rest as discarded. */
  end(): Uint8Array[] {
    const buf = this.pending
    const packets: Uint8Array[] = []
    const pos = this.scan(buf, packets, true)
    this.stats.discardedBytes += buf.length - pos
    this.pending = new Uint8Array(0)
    if (!this.everLocked && this.stats.discardedBytes > 0) throw this.notTs()
    return packets
  }

  /** Consumes complete packets and garbage from `buf`; returns the offset of the unconsumed tail. */
  private scan(buf: Uint8Array, packets: Uint8Array[], atEnd: boolean): number {
    let pos = 0
    const len = buf.length
    for (;;) {
      if (this.locked) {
        const next = pos + TS_PACKET_BYTES
        if (next > len || (next === len && !atEnd)) return pos
        if (buf[pos] === TS_SYNC_BYTE && (next === len || buf[next] === TS_SYNC_BYTE)) {
          packets.push(buf.subarray(pos, next))
          this.stats.packets++
          pos = next
          continue
        }
        this.locked = false
        this.stats.resyncs++
        // The packet at `pos` is damaged (its successor is not where it should be): drop its
        // sync byte so the hunt below starts past it.
        this.stats.discardedBytes++
        pos++
      }
      const found = this.findSync(buf, pos, atEnd)
      if (found.start < 0) {
        this.stats.discardedBytes += len - pos
        return len
      }
      this.stats.discardedBytes += found.start - pos
      pos = found.start
      if (!found.confirmed) return pos
      this.locked = true
      this.everLocked = true
    }
  }

  /**
   * First offset >= from where `syncPackets` sync bytes line up. `confirmed: false` means the
   * candidate at `start` looks right so far but needs more bytes to decide.
   */
  private findSync(buf: Uint8Array, from: number, atEnd: boolean): { start: number; confirmed: boolean } {
    const len = buf.length
    for (let p = buf.indexOf(TS_SYNC_BYTE, from); p >= 0; p = buf.indexOf(TS_SYNC_BYTE, p + 1)) {
      let aligned = true
      let k = 1
      for (; k < this.syncPackets; k++) {
        const at = p + k * TS_PACKET_BYTES
        if (at >= len) break
        if (buf[at] !== TS_SYNC_BYTE) {
          aligned = false
          break
        }
      }
      if (!aligned) continue
      if (k === this.syncPackets) return { start: p, confirmed: true }
      // Ran out of bytes while every visible position agreed. At the end of input accept a short
      // tail that still holds a whole packet; otherwise wait for more bytes.
      if (atEnd)
        return p + TS_PACKET_BYTES <= len ? { start: p, confirmed: true } : { start: -1, confirmed: false }
      return { start: p, confirmed: false }
    }
    return { start: -1, confirmed: false }
  }

  private checkIsTs(): void {
    if (!this.everLocked && this.stats.discardedBytes + this.pending.length > this.maxBytesBeforeSync) {
      throw this.notTs()
    }
  }

  private notTs(): NotMpegTsError {
    const seen = this.stats.discardedBytes + this.pending.length
    return new NotMpegTsError(
      `input is not MPEG-TS (no 0x47 sync byte at 188-byte spacing in the first ${seen} bytes); use --raw for raw bytes`,
    )
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
