/**
 * One bit per sequence number over a sliding window of `span` consecutive seqs, stored in a
 * Uint32Array (32 seqs per word) so a viewer's buffer state costs bytes, not objects. Seq s lives
 * in slot s % span; the owner keeps every seq it asks about inside its current window and clears
 * the slots of seqs that enter the window.
 */
export class SeqBitRing {
  private readonly words: Uint32Array

  constructor(readonly span: number) {
    this.words = new Uint32Array(Math.ceil(span / 32))
  }

  has(seq: number): boolean {
    const slot = seq % this.span
    return ((this.words[slot >>> 5]! >>> (slot & 31)) & 1) === 1
  }

  set(seq: number): void {
    const slot = seq % this.span
    this.words[slot >>> 5]! |= 1 << (slot & 31)
  }

  clear(seq: number): void {
    const slot = seq % this.span
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
