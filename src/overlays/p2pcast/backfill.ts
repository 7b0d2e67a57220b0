import type { ChunkMessage } from '../../stream/chunk.ts'
import { SeqBitRing } from '../../stream/seq-bit-ring.ts'

/**
 * Backfill after a repair (ours). Parity covers one cut stripe; when two crashes overlap (both of
 * a viewer's parents, or a crash while the other stripe is still being repaired) a viewer misses
 * chunks on every stripe. Its playout buffer still waits seconds for them, so once a new parent is
 * in place the child asks it for what it holds (§7's "open a connection to the new parent" — the
 * JOIN message, sent to a parent instead of the registry) and the parent resends its recent chunks.
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
    if (this.newest < 0) return false
    const from = Math.max(this.oldest, this.newest - Math.min(lookback, this.span) + 1)
    for (let s = from; s <= this.newest; s++) if (!this.seen.has(s)) return true
    return false
  }
}
