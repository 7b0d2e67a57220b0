import type { ChunkMessage } from '../../stream/chunk.ts'
import { SeqBitRing } from '../../stream/seq-bit-ring.ts'

/**
 * Backfill after a repair (ours). Parity covers one cut stripe; when two crashes overlap (both of
 * a viewer's parents, or a crash while the other stripe is still being repaired) a viewer misses
 * chunks on every stripe. Its playout buffer still waits seconds for them, so once a new parent is
 * in place the child asks it (§7's "open a connection to the new parent") with a `backfill` message
 * listing the seqs it lacks, and the parent resends those of its recent chunks.
 *
 * Parent side: the data chunks this node delivered (received or rebuilt) over the last `windowMs`,
 * at most `capacity` of them, oldest first.
 */
export class RecentChunks {
  private readonly chunks: (ChunkMessage | undefined)[]
  private readonly at: number[]
  private next = 0

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {
    this.chunks = new Array<ChunkMessage | undefined>(capacity).fill(undefined)
    this.at = new Array<number>(capacity).fill(0)
  }

  /** `msg`: the chunk as it would be forwarded from here (hops counted to the child). */
  push(now: number, msg: ChunkMessage): void {
    if (this.capacity === 0) return
    this.chunks[this.next] = msg
    this.at[this.next] = now
    this.next = (this.next + 1) % this.capacity
  }

  /** The chunks delivered within the window, in the order they came (oldest first). */
  since(now: number): ChunkMessage[] {
    const out: ChunkMessage[] = []
    for (let i = 0; i < this.capacity; i++) {
      const k = (this.next + i) % this.capacity
      const c = this.chunks[k]
      if (c !== undefined && now - this.at[k]! <= this.windowMs) out.push(c)
    }
    return out
  }

  /** The chunks delivered within the window whose seq is in `seqs`, oldest first. */
  pick(now: number, seqs: readonly number[]): ChunkMessage[] {
    if (seqs.length === 0) return []
    const wanted = new Set(seqs)
    return this.since(now).filter((m) => wanted.has(m.chunk.seq))
  }

  clear(): void {
    this.chunks.fill(undefined)
  }
}

/**
 * Child side: which data seqs were delivered over the last `span` seqs, to tell whether a repair
 * left a hole worth asking the new parent about.
 */
export class DeliveredSeqs {
  private readonly seen: SeqBitRing
  private newest = -1
  private oldest = -1

  constructor(private readonly span: number) {
    this.seen = new SeqBitRing(span)
  }

  note(seq: number): void {
    if (this.oldest < 0) this.oldest = seq
    if (seq > this.newest) {
      this.seen.clearRange(this.newest + 1, seq + 1)
      this.newest = seq
    } else if (seq <= this.newest - this.span) return
    this.seen.set(seq)
  }

  /** Some seq among the last `lookback` (after the first delivered) never arrived. */
  hasHole(lookback: number): boolean {
    return this.missing(lookback, 1).length > 0
  }

  /** The seqs among the last `lookback` (after the first delivered) that never arrived, ascending; the newest `max`. */
  missing(lookback: number, max: number): number[] {
    const out: number[] = []
    if (this.newest < 0) return out
    const from = Math.max(this.oldest, this.newest - Math.min(lookback, this.span) + 1)
    for (let s = this.newest; s >= from && out.length < max; s--) if (!this.seen.has(s)) out.push(s)
    return out.reverse()
  }
}
