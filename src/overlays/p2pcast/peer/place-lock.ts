// The lock a peer keeps on its place while operations prepare against it: shared for HOLDs (a place
// an operation only read), exclusive for a change (TAKEON/SUBSTITUTE/REPLACE/DIRECT), and wait-die
// between operations by age, so that two operations meeting at a place never both give up.
import type { NodeId } from '../../../core/ids.ts'
import type { Placement } from '../forest.ts'

/** One operation's prepare at this place: `next` is the new place, null for a HOLD. */
export interface LockRequest {
  readonly coord: NodeId
  readonly tx: number
  readonly flags: number
  readonly version: number
  readonly next: Placement | null
}

interface Holder extends LockRequest {
  readonly until: number
}

/** A queued request decided after a release: grant (vote yes) or refuse (vote no). */
export interface LockDecision {
  readonly req: LockRequest
  readonly ok: boolean
}

/**
 * Transaction numbers carry the operation's age: `txNumber(startMs, counter)` orders operations by
 * when they started (the coordinator id breaks ties), and an operation keeps its number over its
 * retries, so the one that has waited longest ends up winning every conflict.
 */
const COUNTER_SPAN = 512
export function txNumber(startMs: number, counter: number): number {
  return Math.max(0, Math.floor(startMs)) * COUNTER_SPAN + (counter % (COUNTER_SPAN - 1)) + 1
}

function isOlder(a: { coord: NodeId; tx: number }, b: { coord: NodeId; tx: number }): boolean {
  if (a.tx !== b.tx) return a.tx < b.tx
  return String(a.coord) < String(b.coord)
}

function sameTx(a: { coord: NodeId; tx: number }, b: { coord: NodeId; tx: number }): boolean {
  return a.coord === b.coord && a.tx === b.tx
}

function conflicts(a: LockRequest, b: LockRequest): boolean {
  return !sameTx(a, b) && (a.next !== null || b.next !== null)
}

/**
 * Wait-die (ours, on top of the two-phase commit): a request that conflicts with a holder waits if
 * it is older than every conflicting holder and queued request, and is refused otherwise. Waits
 * only ever point from older to younger, so they never close a cycle; a yes vote is never taken
 * back (the coordinator may already have committed). Holders keep their lock for at most a lease
 * (a dead coordinator's locks lapse). Bounded: at most `maxHolders` holders and `maxWaiting` waiters.
 */
export class PlaceLock {
  private holders: Holder[] = []
  private waiting: LockRequest[] = []

  constructor(
    private readonly maxHolders: number,
    private readonly maxWaiting: number,
  ) {}

  get isHeld(): boolean {
    return this.holders.length > 0
  }

  /** Earliest lease end among the holders. */
  get nextExpiry(): number | undefined {
    let min: number | undefined
    for (const h of this.holders) if (min === undefined || h.until < min) min = h.until
    return min
  }

  /** Grant ('yes'), queue ('wait') or refuse ('no') a prepare at the place's current version. */
  request(req: LockRequest, version: number, until: number): 'yes' | 'no' | 'wait' {
    if (req.version !== version) return 'no'
    this.holders = this.holders.filter((h) => !sameTx(h, req))
    this.waiting = this.waiting.filter((w) => !sameTx(w, req))
    const blockers = this.blockersOf(req)
    if (blockers.length === 0) {
      this.holders.push({ ...req, until })
      return 'yes'
    }
    if (this.waiting.length >= this.maxWaiting || !blockers.every((b) => isOlder(req, b))) return 'no'
    this.waiting.push(req)
    this.waiting.sort((a, b) => (isOlder(a, b) ? -1 : 1))
    return 'wait'
  }

  /** The holder of operation (coord, tx), removed (at its COMMIT or ABORT); its queued request too. */
  release(coord: NodeId, tx: number): Holder | undefined {
    const key = { coord, tx }
    this.waiting = this.waiting.filter((w) => !sameTx(w, key))
    const held = this.holders.find((h) => sameTx(h, key))
    if (held) this.holders = this.holders.filter((h) => h !== held)
    return held
  }

  /** New places of the changes this place voted for and has not seen committed or aborted. */
  pendingChanges(): Placement[] {
    return this.holders.flatMap((h) => (h.next ? [h.next] : []))
  }

  /** Drop holders whose lease ended; true if any did. */
  expire(now: number): boolean {
    const before = this.holders.length
    this.holders = this.holders.filter((h) => h.until > now)
    return this.holders.length < before
  }

  /**
   * After a release: decide the queued requests, oldest first. A request whose version is gone is
   * refused; one now free of conflicts is granted; one still blocked keeps waiting only while it is
   * older than what blocks it (wait-die).
   */
  serve(version: number, until: number): LockDecision[] {
    const out: LockDecision[] = []
    const queue = this.waiting
    this.waiting = []
    for (const req of queue) {
      if (req.version !== version) {
        out.push({ req, ok: false })
        continue
      }
      const blockers = this.blockersOf(req)
      if (blockers.length === 0) {
        this.holders.push({ ...req, until })
        out.push({ req, ok: true })
      } else if (blockers.every((b) => isOlder(req, b))) this.waiting.push(req)
      else out.push({ req, ok: false })
    }
    return out
  }

  /** What a request must wait for: conflicting holders and queued requests; every holder when full. */
  private blockersOf(req: LockRequest): LockRequest[] {
    const full = this.holders.length >= this.maxHolders
    return [...this.holders, ...this.waiting].filter(
      (other) => conflicts(req, other) || (full && !sameTx(req, other)),
    )
  }

  /** Everything dropped (a forest reset); the queued requests, to be refused. */
  clear(): LockRequest[] {
    const queued = this.waiting
    this.holders = []
    this.waiting = []
    return queued
  }
}
