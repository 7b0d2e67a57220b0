import { KeyHeap } from './key-heap.ts'

/**
 * The simulator's priority queue, ordered by (time, sequence): a bucket ring in front of two
 * 4-ary heaps, all on typed arrays.
 *
 * No object per event. An event is a small integer *handle* into parallel payload arrays
 * (`kind`, `a`, `b`, `x`, `ref`); free handles sit on a stack. The sequence number is a
 * monotonically increasing counter: events at the same time pop in the order they were pushed,
 * which is what makes runs reproducible.
 *
 * Layout (a calendar queue with a heap for the far future): time is cut into buckets of
 * 1/BUCKETS_PER_MS ms. The bucket being drained (`currentKey`) lives in the small *active* heap;
 * the next RING_BUCKETS - 1 buckets are unsorted lists (push is O(1)); later events wait in the
 * *far* heap and move into the ring as it advances. With 10^5 peers ~2.5·10^5 events are
 * pending (heartbeat timers, churn departures minutes ahead, messages in flight), and a single
 * heap of that size is cache-miss bound on every pop; here the hot heap holds one bucket's worth.
 * Bucket keys are floor(time · 2^5), exact in floating point and monotone in time, so buckets
 * never reorder events: the pop order is exactly the (time, seq) order a single heap gives,
 * whatever the bucket width (a property test compares with a sorted-list reference).
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

/** Buckets per simulated ms (a power of two, so time · BUCKETS_PER_MS is exact). */
const BUCKETS_PER_MS = 32
/** Ring size (a power of two): the ring spans 2048 ms, past a 1 s heartbeat and a 2 s timeout. */
const RING_BUCKETS = 1 << 16
const RING_MASK = RING_BUCKETS - 1
const RING_WORDS = RING_BUCKETS >>> 5

const FREE = 0
const PENDING = 1
const CANCELLED = 2

export class EventQueueFullError extends Error {
  override readonly name = 'EventQueueFullError'
}

export class EventQueue {
  private count = 0
  private nextSeq = 0
  private cancelledInHeap = 0
  private lastPoppedTime = Number.NEGATIVE_INFINITY

  /** Events of buckets <= currentKey (the one being drained, and any pushed behind it). */
  private readonly active = new KeyHeap(256)
  /** Events of buckets >= currentKey + RING_BUCKETS. */
  private readonly far = new KeyHeap(1024)
  /** Bucket being drained; -Infinity until the first pop (everything waits in `far` till then). */
  private currentKey = Number.NEGATIVE_INFINITY
  /** First handle of each ring bucket's unsorted list (-1: empty), by key & RING_MASK. */
  private readonly bucketHead = new Int32Array(RING_BUCKETS).fill(-1)
  /** One bit per ring bucket: non-empty. Finding the next bucket scans 32 buckets per word. */
  private readonly occupied = new Uint32Array(RING_WORDS)
  private inRing = 0

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
  /** Key of each event, kept by handle while it sits in a ring bucket. */
  private timeOf: Float64Array
  private seqOf: Float64Array
  /** Next handle in the same ring bucket (-1: last). */
  private nextInBucket: Int32Array
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
    this.kind = new Uint8Array(n)
    this.a = new Int32Array(n)
    this.b = new Int32Array(n)
    this.x = new Float64Array(n)
    this.ref = new Array(n).fill(undefined)
    this.state = new Uint8Array(n)
    this.generation = new Uint32Array(n)
    this.timeOf = new Float64Array(n)
    this.seqOf = new Float64Array(n)
    this.nextInBucket = new Int32Array(n)
    this.freeHandles = new Int32Array(n)
    // Hand out low handles first (better locality).
    for (let h = n - 1; h >= 0; h--) this.freeHandles[this.freeCount++] = h
  }

  /** Events in the queue, cancelled ones not yet discarded included. */
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
    this.count++
    this.place(h, time, this.nextSeq++)
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
    return this.surfaceLive() ? this.active.topTime : Number.POSITIVE_INFINITY
  }

  /**
   * Remove the next live event and return its handle (or -1 when empty). The payload stays
   * readable until `release(handle)`; the owner must release every popped handle.
   */
  pop(): number {
    if (!this.surfaceLive()) return -1
    this.lastPoppedTime = this.active.topTime
    this.count--
    return this.active.removeTop()
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

  /** File an event by its bucket: behind or in the current bucket, in the ring, or far ahead. */
  private place(h: number, time: number, seq: number): void {
    const key = Math.floor(time * BUCKETS_PER_MS)
    const current = this.currentKey
    if (key <= current) {
      this.active.push(time, seq, h)
    } else if (key < current + RING_BUCKETS) {
      this.timeOf[h] = time
      this.seqOf[h] = seq
      // ToInt32 keeps the low 32 bits of any safe integer, so `& RING_MASK` is key mod RING_BUCKETS.
      const slot = key & RING_MASK
      this.nextInBucket[h] = this.bucketHead[slot]!
      this.bucketHead[slot] = h
      this.occupied[slot >>> 5]! |= 1 << (slot & 31)
      this.inRing++
    } else {
      this.far.push(time, seq, h)
    }
  }

  /** Bring the next live event to the top of the active heap; false when nothing is left. */
  private surfaceLive(): boolean {
    const active = this.active
    for (;;) {
      if (active.size === 0 && !this.advance()) return false
      const h = active.topHandle
      if (this.state[h] !== CANCELLED) return true
      active.removeTop()
      this.count--
      this.cancelledInHeap--
      this.release(h)
    }
  }

  /** The active heap ran dry: move to the next non-empty bucket. False when the queue is empty. */
  private advance(): boolean {
    if (this.inRing > 0) this.drainBucket(this.nextOccupiedKey())
    else if (this.far.size > 0) this.currentKey = Math.floor(this.far.topTime * BUCKETS_PER_MS)
    else return false
    this.pullFromFar()
    return true
  }

  /** Key of the first non-empty ring bucket after currentKey (the ring is not empty). */
  private nextOccupiedKey(): number {
    const occupied = this.occupied
    const from = (this.currentKey + 1) & RING_MASK
    let word = from >>> 5
    // Ignore buckets before `from` in its word: they are the far end of the ring, reached last.
    let bits = occupied[word]! & (-1 << (from & 31))
    while (bits === 0) {
      word = (word + 1) & (RING_WORDS - 1)
      bits = occupied[word]!
    }
    const slot = (word << 5) | (31 - Math.clz32(bits & -bits))
    return this.currentKey + 1 + ((slot - from) & RING_MASK)
  }

  /** Make `key` the current bucket and move its unsorted events into the active heap. */
  private drainBucket(key: number): void {
    this.currentKey = key
    const slot = key & RING_MASK
    const active = this.active
    let n = 0
    for (let h = this.bucketHead[slot]!; h >= 0; h = this.nextInBucket[h]!) {
      active.push(this.timeOf[h]!, this.seqOf[h]!, h)
      n++
    }
    this.inRing -= n
    this.bucketHead[slot] = -1
    this.occupied[slot >>> 5]! &= ~(1 << (slot & 31))
  }

  /** Far events whose bucket is now within the ring (or current) move in. */
  private pullFromFar(): void {
    const far = this.far
    const horizon = this.currentKey + RING_BUCKETS
    while (far.size > 0) {
      const time = far.topTime
      const key = Math.floor(time * BUCKETS_PER_MS)
      // `key <= currentKey` also catches a jump to an infinite time, where the horizon is no bound.
      if (!(key <= this.currentKey || key < horizon)) return
      const seq = far.topSeq
      this.place(far.removeTop(), time, seq)
    }
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
    this.timeOf = growF64(this.timeOf, n)
    this.seqOf = growF64(this.seqOf, n)
    this.nextInBucket = growI32(this.nextInBucket, n)
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
