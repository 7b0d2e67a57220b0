/**
 * One peer's outgoing queue with a byte budget, so a slow or stuck peer cannot grow our memory.
 * Above `softCapBytes` data frames are dropped oldest-first (a stale chunk is worth less than a
 * fresh one, and the overlay repairs or skips it); control frames are kept until `hardCapBytes`,
 * where the peer is declared stuck and the caller resets its stream.
 */

export interface OutboxLimits {
  /** Data frames are dropped (oldest first) to keep the queue under this. */
  readonly softCapBytes: number
  /** Beyond this even control frames do not fit: the session is reset. */
  readonly hardCapBytes: number
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { softCapBytes: 1 << 20, hardCapBytes: 4 << 20 }

export interface QueuedFrame {
  readonly bytes: Uint8Array
  readonly data: boolean
}

export type EnqueueResult =
  | { readonly ok: true; readonly droppedData: number; readonly droppedBytes: number }
  | { readonly ok: false; readonly reason: 'hard-cap' }

export class Outbox {
  private frames: (QueuedFrame | undefined)[] = []
  private head = 0
  private dataCount = 0
  /** Frames still queued (the array also holds holes left by dropped data frames). */
  private live = 0
  bytes = 0

  constructor(readonly limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS) {}

  get length(): number {
    return this.live
  }

  enqueue(frame: QueuedFrame): EnqueueResult {
    let droppedData = 0
    let droppedBytes = 0
    const size = frame.bytes.length
    if (frame.data && size > this.limits.softCapBytes) return { ok: true, droppedData: 1, droppedBytes: size }
    // Drop the oldest data frames while over the soft cap.
    for (let i = this.head; i < this.frames.length && this.dataCount > 0; i++) {
      if (this.bytes + size <= this.limits.softCapBytes) break
      const f = this.frames[i]
      if (f?.data) {
        this.frames[i] = undefined
        this.bytes -= f.bytes.length
        this.dataCount--
        droppedData++
        droppedBytes += f.bytes.length
        this.live--
      }
    }
    this.compactIfSparse()
    if (frame.data && this.bytes + size > this.limits.softCapBytes) {
      // Only control frames are queued and they fill the budget: the new data frame is the one to go.
      return { ok: true, droppedData: droppedData + 1, droppedBytes: droppedBytes + size }
    }
    if (this.bytes + size > this.limits.hardCapBytes) return { ok: false, reason: 'hard-cap' }
    this.frames.push(frame)
    this.live++
    this.bytes += size
    if (frame.data) this.dataCount++
    return { ok: true, droppedData, droppedBytes }
  }

  peek(): QueuedFrame | undefined {
    this.skipHoles()
    return this.frames[this.head]
  }

  shift(): QueuedFrame | undefined {
    this.skipHoles()
    const f = this.frames[this.head]
    if (f === undefined) return undefined
    this.frames[this.head++] = undefined
    this.live--
    this.bytes -= f.bytes.length
    if (f.data) this.dataCount--
    this.compactIfSparse()
    return f
  }

  clear(): void {
    this.frames = []
    this.head = 0
    this.bytes = 0
    this.dataCount = 0
    this.live = 0
  }

  /** Keeps the backing array O(live frames) even when a stuck peer makes us drop forever. */
  private compactIfSparse(): void {
    const slots = this.frames.length - this.head
    if (slots > 1024 && slots > this.live * 2) {
      this.frames = this.frames.slice(this.head).filter((f) => f !== undefined)
      this.head = 0
    }
  }

  private skipHoles(): void {
    while (this.head < this.frames.length && this.frames[this.head] === undefined) this.head++
  }
}
