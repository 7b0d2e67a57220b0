/**
 * The simulator's priority queue: a 4-ary min-heap on typed arrays keyed by (time, sequence).
 *
 * No object per event. An event is a small integer *handle* into parallel payload arrays
 * (`kind`, `a`, `b`, `x`, `ref`); free handles sit on a stack. The heap itself holds, per
 * position, the key (time, seq) and the handle, so sifting touches three flat arrays only.
 * The sequence number is a monotonically increasing counter: events at the same time pop in
 * the order they were pushed, which is what makes runs reproducible.
 *
 * Cancellation is lazy: `cancel` marks the handle and `pop` discards it when it surfaces, so a
 * cancelled timer costs one flag write now and one skipped pop later. A cancel token carries a
 * generation so a stale token (for an event that already fired and whose handle was reused)
 * cancels nothing.
 */

/** Tokens are handle + generation * HANDLE_SPAN; both fit in a double's 53-bit mantissa. */
const HANDLE_BITS = 26
const HANDLE_SPAN = 2 ** HANDLE_BITS
const GENERATION_SPAN = 2 ** (53 - HANDLE_BITS)
/** Hard ceiling on simultaneously pending events (handles must fit in HANDLE_BITS). */
export const MAX_EVENT_CAPACITY = HANDLE_SPAN

const FREE = 0
const PENDING = 1
const CANCELLED = 2

export class EventQueueFullError extends Error {
  override readonly name = 'EventQueueFullError'
}

export class EventQueue {
  /**
   * Heap, by position: [time, seq, handle] interleaved, so one sift step reads one or two cache
   * lines instead of three arrays (measured ~1.6x faster at 10^5 pending events).
   */
  private heap: Float64Array
  private count = 0
  private nextSeq = 0
  private cancelledInHeap = 0
  private lastPoppedTime = Number.NEGATIVE_INFINITY

  // Payload, by handle.
  /** Event kind (interpreted by the owner). */
  kind: Uint8Array
  /** Two integer fields (e.g. destination and sender node). */
  a: Int32Array
  b: Int32Array
  /** One numeric field (e.g. bytes, timer kind). */
  x: Float64Array
  /** One object field (a message, a closure, a timer argument); cleared when the event is released. */
  ref: unknown[]
  private state: Uint8Array
  private generation: Uint32Array
  private freeHandles: Int32Array
  private freeCount = 0
  private capacity: number

  constructor(
    initialCapacity = 1024,
    /** Bound on pending events; pushing beyond it throws EventQueueFullError. */
    readonly maxCapacity = 1 << 24,
  ) {
    if (maxCapacity > MAX_EVENT_CAPACITY || maxCapacity < 1) {
      throw new RangeError(
        `event queue maxCapacity must be in [1, ${MAX_EVENT_CAPACITY}], got ${maxCapacity}`,
      )
    }
    this.capacity = Math.max(1, Math.min(initialCapacity, maxCapacity))
    const n = this.capacity
    this.heap = new Float64Array(n * 3)
    this.kind = new Uint8Array(n)
    this.a = new Int32Array(n)
    this.b = new Int32Array(n)
    this.x = new Float64Array(n)
    this.ref = new Array(n).fill(undefined)
    this.state = new Uint8Array(n)
    this.generation = new Uint32Array(n)
    this.freeHandles = new Int32Array(n)
    // Hand out low handles first (better locality).
    for (let h = n - 1; h >= 0; h--) this.freeHandles[this.freeCount++] = h
  }

  /** Events in the heap, cancelled ones not yet discarded included. */
  get size(): number {
    return this.count
  }

  /** Events that will still fire. */
  get pending(): number {
    return this.count - this.cancelledInHeap
  }

  /** Allocate a handle, fill its payload and schedule it; returns the handle. */
  push(time: number, kind: number, a: number, b: number, x: number, ref: unknown): number {
    if (this.freeCount === 0) this.grow()
    const h = this.freeHandles[--this.freeCount]!
    this.kind[h] = kind
    this.a[h] = a
    this.b[h] = b
    this.x[h] = x
    this.ref[h] = ref
    this.state[h] = PENDING
    this.generation[h] = (this.generation[h]! + 1) % GENERATION_SPAN
    this.siftUp(this.count++, time, this.nextSeq++, h)
    return h
  }

  /** A token for `cancel`, valid while the event is pending and useless afterwards. */
  tokenOf(handle: number): number {
    return handle + this.generation[handle]! * HANDLE_SPAN
  }

  /** Handle named by a token, or -1 when the event already fired, was cancelled or never existed. */
  resolve(token: number): number {
    if (!Number.isSafeInteger(token) || token < 0) return -1
    const h = token % HANDLE_SPAN
    if (h >= this.capacity || this.state[h] !== PENDING) return -1
    if (this.generation[h] !== (token - h) / HANDLE_SPAN) return -1
    return h
  }

  /** Cancel a pending event by token; returns whether something was cancelled. */
  cancel(token: number): boolean {
    const h = this.resolve(token)
    if (h < 0) return false
    this.state[h] = CANCELLED
    this.ref[h] = undefined
    this.cancelledInHeap++
    return true
  }

  /** Time of the next live event, or Infinity when none is left. */
  peekTime(): number {
    if (this.cancelledInHeap > 0) this.dropCancelledTop()
    return this.count === 0 ? Number.POSITIVE_INFINITY : this.heap[0]!
  }

  /**
   * Remove the next live event and return its handle (or -1 when empty). The payload stays
   * readable until `release(handle)`; the owner must release every popped handle.
   */
  pop(): number {
    if (this.cancelledInHeap > 0) this.dropCancelledTop()
    if (this.count === 0) return -1
    return this.removeTop()
  }

  /** Time of the event most recently returned by `pop`. */
  get poppedTime(): number {
    return this.lastPoppedTime
  }

  /** Return a popped handle to the free list. */
  release(handle: number): void {
    this.state[handle] = FREE
    this.ref[handle] = undefined
    this.freeHandles[this.freeCount++] = handle
  }

  private dropCancelledTop(): void {
    while (this.count > 0 && this.state[this.heap[2]!] === CANCELLED) {
      const h = this.removeTop()
      this.cancelledInHeap--
      this.release(h)
    }
  }

  /** Remove the root and re-seat the last item from the root down (inlined: the hot loop). */
  private removeTop(): number {
    const heap = this.heap
    this.lastPoppedTime = heap[0]!
    const top = heap[2]! | 0
    const n = --this.count
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

  private siftUp(pos: number, time: number, seq: number, handle: number): void {
    const heap = this.heap
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

  private grow(): void {
    const old = this.capacity
    if (old >= this.maxCapacity) {
      throw new EventQueueFullError(
        `event queue full: ${this.count} pending events reached the bound of ${this.maxCapacity} ` +
          '(raise SimConfig.maxPendingEvents, or look for a protocol flooding messages or timers)',
      )
    }
    const n = Math.min(old * 2, this.maxCapacity)
    this.heap = growF64(this.heap, n * 3)
    const kind = new Uint8Array(n)
    kind.set(this.kind)
    this.kind = kind
    this.a = growI32(this.a, n)
    this.b = growI32(this.b, n)
    this.x = growF64(this.x, n)
    for (let i = old; i < n; i++) this.ref.push(undefined)
    const state = new Uint8Array(n)
    state.set(this.state)
    this.state = state
    const generation = new Uint32Array(n)
    generation.set(this.generation)
    this.generation = generation
    this.freeHandles = growI32(this.freeHandles, n)
    for (let h = n - 1; h >= old; h--) this.freeHandles[this.freeCount++] = h
    this.capacity = n
  }
}

function growF64(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n)
  out.set(a)
  return out
}

function growI32(a: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n)
  out.set(a)
  return out
}
