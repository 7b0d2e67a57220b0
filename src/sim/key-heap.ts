/**
 * A 4-ary min-heap of (time, seq, handle) entries on one interleaved Float64Array, ordered by
 * time then seq. The event queue uses two: a small one for the time bucket being drained and
 * one for events beyond the bucket ring's horizon. Interleaving keeps one sift step on one or
 * two cache lines (measured ~1.6x faster at 10^5 entries than three separate arrays).
 */
export class KeyHeap {
  private heap: Float64Array
  size = 0

  constructor(initialCapacity = 64) {
    this.heap = new Float64Array(Math.max(1, initialCapacity) * 3)
  }

  get topTime(): number {
    return this.heap[0]!
  }

  get topSeq(): number {
    return this.heap[1]!
  }

  get topHandle(): number {
    return this.heap[2]!
  }

  push(time: number, seq: number, handle: number): void {
    if ((this.size + 1) * 3 > this.heap.length) {
      const grown = new Float64Array(this.heap.length * 2)
      grown.set(this.heap)
      this.heap = grown
    }
    const heap = this.heap
    let pos = this.size++
    while (pos > 0) {
      const parent = (pos - 1) >> 2
      const p3 = parent * 3
      const pt = heap[p3]!
      if (pt < time || (pt === time && heap[p3 + 1]! < seq)) break
      const q3 = pos * 3
      heap[q3] = pt
      heap[q3 + 1] = heap[p3 + 1]!
      heap[q3 + 2] = heap[p3 + 2]!
      pos = parent
    }
    const q3 = pos * 3
    heap[q3] = time
    heap[q3 + 1] = seq
    heap[q3 + 2] = handle
  }

  /** Remove the root (the heap must not be empty) and return its handle. */
  removeTop(): number {
    const heap = this.heap
    const top = heap[2]! | 0
    const n = --this.size
    if (n === 0) return top
    const time = heap[n * 3]!
    const seq = heap[n * 3 + 1]!
    const handle = heap[n * 3 + 2]!
    let pos = 0
    for (;;) {
      const first = (pos << 2) + 1
      if (first >= n) break
      let best = first
      let bt = heap[first * 3]!
      let bs = heap[first * 3 + 1]!
      // biome-ignore lint/complexity/useMathMinMax: the ternary keeps the bound an int32 in V8 (measured faster)
      const end = first + 4 < n ? first + 4 : n
      for (let c = first + 1; c < end; c++) {
        const ct = heap[c * 3]!
        if (ct < bt || (ct === bt && heap[c * 3 + 1]! < bs)) {
          best = c
          bt = ct
          bs = heap[c * 3 + 1]!
        }
      }
      if (time < bt || (time === bt && seq < bs)) break
      const q3 = pos * 3
      heap[q3] = bt
      heap[q3 + 1] = bs
      heap[q3 + 2] = heap[best * 3 + 2]!
      pos = best
    }
    const q3 = pos * 3
    heap[q3] = time
    heap[q3 + 1] = seq
    heap[q3 + 2] = handle
    return top
  }
}
