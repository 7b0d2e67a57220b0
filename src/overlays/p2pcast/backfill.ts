import type { NodeId } from '../../core/ids.ts'
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

  constructor(readonly span: number) {
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

  /** The first seq delivered (-1 before any). */
  get oldestSeq(): number {
    return this.oldest
  }

  get newestSeq(): number {
    return this.newest
  }

  /** Whether `seq` was delivered (false for seqs before the first or older than the span). */
  has(seq: number): boolean {
    return seq >= this.oldest && seq <= this.newest && seq > this.newest - this.span && this.seen.has(seq)
  }

  /** Some seq among the last `lookback` (after the first delivered) never arrived. */
  hasHole(lookback: number): boolean {
    // Asked after every chunk a child takes: a scan of the bit ring, no array (see `missing`).
    if (this.newest < 0) return false
    const from = this.windowStart(lookback)
    for (let s = this.newest; s >= from; s--) if (!this.seen.has(s)) return true
    return false
  }

  /** The seqs among the last `lookback` (after the first delivered) that never arrived, ascending; the newest `max`. */
  missing(lookback: number, max: number): number[] {
    const out: number[] = []
    if (this.newest < 0) return out
    const from = this.windowStart(lookback)
    for (let s = this.newest; s >= from && out.length < max; s--) if (!this.seen.has(s)) out.push(s)
    return out.reverse()
  }

  private windowStart(lookback: number): number {
    return Math.max(this.oldest, this.newest - Math.min(lookback, this.span) + 1)
  }
}

/**
 * Child side: when is a missing seq a hole to ask about? Each feed delivers its stripe in order, so
 * a data seq is lost for good on a stripe that has gone past its group. It is a hole when every
 * stripe has gone past it or is cut (no chunk for `silentMs`: its parent is dead or being
 * replaced, and a new parent starts with live seqs). That is the case when two overlapping repairs
 * cut every stripe, for the node right below a repaired edge and for every node below it, whose
 * parents did not change; with one stripe cut, parity leaves no hole. Asking as soon as the first
 * stripe comes back (instead of when all have) gains a repair's worth of time on the playout
 * deadline. A seq is asked again after `retryMs` (the next parent in turn: the first may lack it).
 */
export class HoleWatch {
  private readonly newestGroup: number[]
  private readonly heardAt: number[]
  private readonly gapMs: number[]
  private readonly lastGapMs: number[]
  private readonly askedAt = new Map<number, number>()
  private rounds = 0

  /** `stripes`: how many stripes carry chunks (f, or f - 1 without parity); `groupSize`: f - 1. */
  constructor(
    stripes: number,
    private readonly groupSize: number,
    private readonly silentMs: number,
    private readonly retryMs: number,
  ) {
    this.newestGroup = new Array<number>(stripes).fill(-1)
    this.heardAt = new Array<number>(stripes).fill(Number.NEGATIVE_INFINITY)
    this.gapMs = new Array<number>(stripes).fill(0)
    this.lastGapMs = new Array<number>(stripes).fill(0)
  }

  /** A regular feed brought a chunk of `group` on stripe t at `now`. */
  heard(now: number, t: number, group: number): void {
    if (t >= this.newestGroup.length) return
    if (group > this.newestGroup[t]!) {
      // The gap between a stripe's chunks: with many stripes (f > 2) each carries a chunk only
      // every (f - 1) chunk periods, and a beat without one is no cut. The smaller of the last two
      // gaps: one long gap (jitter, an outage) does not make a stripe look slow.
      if (this.newestGroup[t]! >= 0) {
        const gap = now - this.heardAt[t]!
        this.gapMs[t] = Math.min(gap, this.lastGapMs[t]!)
        this.lastGapMs[t] = gap
      }
      this.newestGroup[t] = group
    }
    this.heardAt[t] = now
  }

  /** Groups below this one are lost on every stripe (past or cut); -1: none. */
  private lostBelow(now: number): number {
    let min = Number.POSITIVE_INFINITY
    for (let t = 0; t < this.newestGroup.length; t++)
      if (this.flowing(now, t)) min = Math.min(min, this.newestGroup[t]!)
    return min === Number.POSITIVE_INFINITY ? -1 : min
  }

  /** Whether stripe t's feed brought a chunk lately (`silentMs`, or two of its usual gaps). */
  flowing(now: number, t: number): boolean {
    return t < this.heardAt.length && now - this.heardAt[t]! < Math.max(this.silentMs, 2 * this.gapMs[t]!)
  }

  /**
   * The holes to ask about now (ascending, at most `max`), each marked asked at `now`; `again`
   * tells whether some of them were asked before (the parent asked may lack them for good).
   */
  due(
    now: number,
    delivered: DeliveredSeqs,
    lookback: number,
    max: number,
  ): { seqs: number[]; again: boolean } {
    const none = { seqs: [], again: false }
    if (!delivered.hasHole(lookback)) return none
    const below = this.lostBelow(now)
    if (below <= 0) return none
    for (const s of this.askedAt.keys()) if (s <= delivered.newestSeq - delivered.span) this.askedAt.delete(s)
    const seqs: number[] = []
    let again = false
    for (const s of delivered.missing(lookback, max)) {
      if (Math.floor(s / this.groupSize) >= below) break
      const at = this.askedAt.get(s)
      if (at !== undefined && now - at <= this.retryMs) continue
      again ||= at !== undefined
      this.askedAt.set(s, now)
      seqs.push(s)
    }
    if (seqs.length > 0) this.rounds++
    return { seqs, again }
  }

  /** How many rounds of asks so far (the parent asked turns with it). */
  get turn(): number {
    return this.rounds
  }

  clear(): void {
    this.newestGroup.fill(-1)
    this.heardAt.fill(Number.NEGATIVE_INFINITY)
    this.gapMs.fill(0)
    this.lastGapMs.fill(0)
    this.askedAt.clear()
  }
}

/**
 * Parent side: children that asked for seqs we did not hold yet (we were cut too). When one of
 * them arrives (a backfill from our own parent, a late copy, a rebuild) it goes on to them: the
 * backfill flows down the cut subtree, each level asking its own parent. At most `maxChildren`
 * children, each waiting for at most `maxSeqs` seqs for `waitMs`.
 */
export class PendingAsks {
  private readonly asks = new Map<NodeId, { seqs: Set<number>; until: number }>()

  constructor(
    private readonly maxChildren: number,
    private readonly maxSeqs: number,
    private readonly waitMs: number,
  ) {}

  get size(): number {
    return this.asks.size
  }

  add(now: number, child: NodeId, seqs: readonly number[]): void {
    if (seqs.length === 0) return
    for (const [c, a] of this.asks) if (a.until < now) this.asks.delete(c)
    if (!this.asks.has(child) && this.asks.size >= this.maxChildren) return
    const entry = { seqs: new Set(seqs.slice(-this.maxSeqs)), until: now + this.waitMs }
    this.asks.set(child, entry)
  }

  /** The children waiting for `seq` (each forgets it). */
  take(now: number, seq: number): NodeId[] {
    if (this.asks.size === 0) return []
    const out: NodeId[] = []
    for (const [c, a] of this.asks) {
      if (a.until < now) {
        this.asks.delete(c)
        continue
      }
      if (!a.seqs.delete(seq)) continue
      out.push(c)
      if (a.seqs.size === 0) this.asks.delete(c)
    }
    return out
  }

  clear(): void {
    this.asks.clear()
  }
}
