import type { NodeId } from '../../core/ids.ts'
import { SeqBitRing } from '../../stream/seq-bit-ring.ts'

/** One stripe edge (peer `id`, tree `t`) that a move ended, kept alive until `until`. */
interface GraceEdge {
  readonly id: NodeId
  readonly t: number
  readonly until: number
}

/**
 * Make-before-break (ours): UPDATEs from the registry reach the old parent, the new parent and the
 * child of a moved edge at different times, and chunks are in flight on the old edge when they
 * do. For a bounded grace window after a move the old parent keeps feeding the child it lost and
 * the child keeps accepting the parent it left. This holds one side's ended edges: at most `bound`
 * of them (the oldest is forgotten first), each for `graceMs`.
 */
export class GraceEdges {
  private edges: GraceEdge[] = []
  /** Peers that said they need no copies (new feed confirmed, or leaving), with the window's end. */
  private released: GraceEdge[] = []

  constructor(
    private readonly graceMs: number,
    private readonly bound: number,
  ) {}

  get size(): number {
    return this.edges.length
  }

  /** The edge (id, t) just ended at `now`: keep it for the grace window. */
  add(now: number, id: NodeId, t: number): void {
    if (this.graceMs <= 0) return
    this.released = this.released.filter((e) => e.until >= now)
    if (this.released.some((e) => e.id === id)) return
    this.edges = this.edges.filter((e) => e.until >= now && !(e.id === id && e.t === t))
    if (this.edges.length >= this.bound) this.edges.shift()
    this.edges.push({ id, t, until: now + this.graceMs })
  }

  /** The edge (id, t) is in use again (the move was undone): no grace needed. */
  remove(id: NodeId, t: number): void {
    if (this.edges.some((e) => e.id === id && e.t === t))
      this.edges = this.edges.filter((e) => !(e.id === id && e.t === t))
  }

  /**
   * `id` needs no copies (its new feed works, or it is leaving): drop its edges, and for the grace
   * window do not start new ones (the UPDATE that ends them may come after this word from `id`).
   */
  release(now: number, id: NodeId): void {
    if (this.graceMs <= 0) return
    if (this.edges.some((e) => e.id === id)) this.edges = this.edges.filter((e) => e.id !== id)
    this.released = this.released.filter((e) => e.until >= now && e.id !== id)
    if (this.released.length >= this.bound) this.released.shift()
    this.released.push({ id, t: -1, until: now + this.graceMs })
  }

  has(now: number, id: NodeId, t: number): boolean {
    for (const e of this.edges) if (e.id === id && e.t === t && e.until >= now) return true
    return false
  }

  /** Peers whose edge in tree t is still in its window. */
  inWindow(now: number, t: number): NodeId[] {
    const out: NodeId[] = []
    for (const e of this.edges) if (e.t === t && e.until >= now) out.push(e.id)
    return out
  }

  clear(): void {
    this.edges = []
    this.released = []
  }
}

/**
 * With two feeds of one stripe (the new parent and, during the grace window, the old one) a node
 * must relay each chunk of that stripe to its children once. Remembers the seqs seen over the
 * last `span` seqs of one stripe (a bit each); older seqs count as already seen.
 */
export class FirstCopy {
  private readonly offered: SeqBitRing
  private newest = -1

  constructor(private readonly span = 256) {
    this.offered = new SeqBitRing(span)
  }

  /** Whether `seq` was offered already (seqs older than the span count as offered). */
  seen(seq: number): boolean {
    if (seq > this.newest) return false
    return seq <= this.newest - this.span || this.offered.has(seq)
  }

  /** True the first time `seq` is offered (and remembers it). */
  take(seq: number): boolean {
    if (seq > this.newest) {
      this.offered.clearRange(this.newest + 1, seq + 1)
      this.newest = seq
      this.offered.set(seq)
      return true
    }
    if (seq <= this.newest - this.span || this.offered.has(seq)) return false
    this.offered.set(seq)
    return true
  }
}

/**
 * What pays for copies beyond the f stripes a node owes (make-before-break copies, backfills): a
 * credit earned as a `share` of the regular copies the node relays, capped. Over any long window
 * a node then uploads at most (1 + share) x what it downloads, whatever the churn around it.
 */
export class UploadCredit {
  private credit = 0

  constructor(
    private readonly share: number,
    private readonly cap: number,
  ) {}

  get available(): number {
    return Math.floor(this.credit)
  }

  earn(copies: number): void {
    this.credit = Math.min(this.cap, this.credit + copies * this.share)
  }

  /** Take one copy's worth; false when the credit is spent. */
  spend(): boolean {
    if (this.credit < 1) return false
    this.credit -= 1
    return true
  }
}
