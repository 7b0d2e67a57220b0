import { KeyHeap } from './key-heap.ts'

/**
 * The simulator's priority queue, ordered by (time, sequence): a bucket ring in front of two
 * 4-ary heaps, all on typed arrays.
 *
 * No object per event. An event is a small integer *handle*: its key and payload (`kind`, `a`,
 * `b`, `x`) sit in one 64-byte record of a Float64Array, so the memory an event costs is one cache
 * line plus an object slot (`ref`); free handles sit on a stack. At 10^5 peers the queue holds
 * ~2.5·10^5 events and each one is touched when pushed, when its bucket is drained and when it
 * fires: one line each time instead of one per field (parallel arrays measured slower). The sequence number is a
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

/**
 * Buckets per simulated ms (a power of two, so time · BUCKETS_PER_MS is exact). Keys stay exact
 * integers up to 2^53 / 32 ms (~8,900 years of simulated time).
 */
const BUCKETS_PER_MS = 32
/** Ring size (a power of two): the ring spans 2048 ms, past a 1 s heartbeat and a 2 s timeout. */
const RING_BUCKETS = 1 << 16
const RING_MASK = RING_BUCKETS - 1
const RING_WORDS = RING_BUCKETS >>> 5

/** Record layout, by handle: RECORD doubles per event. */
const RECORD = 8
const F_TIME = 0
const F_SEQ = 1
const F_X = 2
const F_A = 3
const F_B = 4
const F_KIND = 5
/** Next handle in the same ring bucket (-1: last). */
const F_NEXT = 6
const F_STATE = 7

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

  /** Key, payload, bucket link and state of every handle (RECORD doubles each). */
  private rec: Float64Array
  /** One object field per handle (a message, a closure, a timer argument); cleared on release. */
  private refs: unknown[]
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
    this.rec = new Float64Array(n * RECORD)
    this.refs = new Array(n).fill(undefined)
    this.generation = new Uint32Array(n)
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
    const rec = this.rec
    const r = h * RECORD
    rec[r + F_X] = x
    rec[r + F_A] = a
    rec[r + F_B] = b
    rec[r + F_KIND] = kind
    rec[r + F_STATE] = PENDING
    this.refs[h] = ref
    this.generation[h] = (this.generation[h]! + 1) % GENERATION_SPAN
    this.count++
    this.place(h, time, this.nextSeq++)
    return h
  }

  /** Event kind (interpreted by the owner). */
  kindOf(h: number): number {
    return this.rec[h * RECORD + F_KIND]!
  }

  /** First integer field (e.g. destination node). */
  aOf(h: number): number {
    return this.rec[h * RECORD + F_A]!
  }

  /** Second integer field (e.g. sender node). */
  bOf(h: number): number {
    return this.rec[h * RECORD + F_B]!
  }

  /** Numeric field (e.g. bytes, timer kind). */
  xOf(h: number): number {
    return this.rec[h * RECORD + F_X]!
  }

  /** Object field (a message, a closure, a timer argument). */
  refOf(h: number): unknown {
    return this.refs[h]
  }

  /** A token for `cancel`, valid while the event is pending and useless afterwards. */
  tokenOf(handle: number): number {
    return handle + this.generation[handle]! * HANDLE_SPAN
  }

  /** Handle named by a token, or -1 when the event already fired, was cancelled or never existed. */
  resolve(token: number): number {
    if (!Number.isSafeInteger(token) || token < 0) return -1
    const h = token % HANDLE_SPAN
    if (h >= this.capacity || this.rec[h * RECORD + F_STATE] !== PENDING) return -1
    if (this.generation[h] !== (token - h) / HANDLE_SPAN) return -1
    return h
  }

  /** Cancel a pending event by token; returns whether something was cancelled. */
  cancel(token: number): boolean {
    const h = this.resolve(token)
    if (h < 0) return false
    this.rec[h * RECORD + F_STATE] = CANCELLED
    this.refs[h] = undefined
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
    this.rec[handle * RECORD + F_STATE] = FREE
    this.refs[handle] = undefined
    this.freeHandles[this.freeCount++] = handle
  }

  /** File an event by its bucket: behind or in the current bucket, in the ring, or far ahead. */
  private place(h: number, time: number, seq: number): void {
    const key = Math.floor(time * BUCKETS_PER_MS)
    const current = this.currentKey
    if (key <= current) {
      this.active.push(time, seq, h)
    } else if (key < current + RING_BUCKETS) {
      const r = h * RECORD
      this.rec[r + F_TIME] = time
      this.rec[r + F_SEQ] = seq
      // ToInt32 keeps the low 32 bits of any safe integer, so `& RING_MASK` is key mod RING_BUCKETS.
      const slot = key & RING_MASK
      this.rec[r + F_NEXT] = this.bucketHead[slot]!
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
      if (this.rec[h * RECORD + F_STATE] !== CANCELLED) return true
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
    const rec = this.rec
    for (let h = this.bucketHead[slot]!; h >= 0; ) {
      const r = h * RECORD
      active.push(rec[r + F_TIME]!, rec[r + F_SEQ]!, h)
      h = rec[r + F_NEXT]!
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
    this.rec = growF64(this.rec, n * RECORD)
    for (let i = old; i < n; i++) this.refs.push(undefined)
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
