/**
 * One bit per sequence number over a sliding window of `span` consecutive seqs, stored in a
 * Uint32Array (32 seqs per word) so a viewer's buffer state costs bytes, not objects. Seq s lives
 * in slot s % span; the owner keeps every seq it asks about inside its current window and clears
 * the slots of seqs that enter the window.
 */
export class SeqBitRing {
  private readonly words: Uint32Array
  /**
   * span - 1 when span is a power of two (the default playout ring is 512), else -1. A mask
   * instead of `%` keeps the per-chunk lookups free of a division; for any safe integer seq,
   * `seq & mask` is seq mod span (ToInt32 keeps the low 32 bits).
   */
  private readonly mask: number

  constructor(readonly span: number) {
    this.words = new Uint32Array(Math.ceil(span / 32))
    this.mask = span > 0 && span <= 2 ** 31 && (span & (span - 1)) === 0 ? span - 1 : -1
  }

  private slotOf(seq: number): number {
    return this.mask >= 0 ? seq & this.mask : seq % this.span
  }

  has(seq: number): boolean {
    const slot = this.slotOf(seq)
    return ((this.words[slot >>> 5]! >>> (slot & 31)) & 1) === 1
  }

  set(seq: number): void {
    const slot = this.slotOf(seq)
    this.words[slot >>> 5]! |= 1 << (slot & 31)
  }

  clear(seq: number): void {
    const slot = this.slotOf(seq)
    this.words[slot >>> 5]! &= ~(1 << (slot & 31))
  }

  /** Clear the slots of seqs [from, to); clears everything when the range covers the span. */
  clearRange(from: number, to: number): void {
    if (to - from >= this.span) {
      this.words.fill(0)
      return
    }
    for (let s = from; s < to; s++) this.clear(s)
  }

  /** How many seqs in [from, to) are set (the range must lie in the window). */
  countRange(from: number, to: number): number {
    let n = 0
    for (let s = from; s < to; s++) if (this.has(s)) n++
    return n
  }
}
