import type { NodeId } from '../../../core/ids.ts'
import type { Env } from '../../../core/protocol.ts'
import type { I3Id } from '../ids.ts'
import { type I3Message, type Inserted, type InsertResult, MAX_TTL, type Target } from '../messages.ts'
import type { ServerRouter } from './router.ts'
import type { TimerTable } from './timers.ts'

/** What became of a tracked insert: the server's answer, or no answer after every attempt. */
export type InsertOutcome = InsertResult | 'timeout'
export type InsertDone = (now: number, outcome: InsertOutcome, count: number) => void

/** Tracked inserts waiting for their `inserted` reply; the oldest is dropped beyond this. */
export const MAX_PENDING_INSERTS = 256
/** Attempts for a tracked insert before it is reported as a timeout. */
export const INSERT_ATTEMPTS = 3

interface Pending {
  readonly id: I3Id
  readonly target: Target
  readonly probe: boolean
  readonly refresh: boolean
  readonly done: InsertDone
  attempts: number
  timer: number
}

/**
 * Inserts, refreshes, probes and removes triggers on the servers. A tracked insert (one with a
 * `done` callback) is re-sent when no `inserted` reply comes within `retryMs` (messages get
 * lost; inserts are idempotent: re-inserting an existing trigger only refreshes it). Untracked
 * ones (periodic refreshes) go out once with nonce 0: the next period covers a loss (§4's k).
 */
export class TriggerClient {
  private readonly pending = new Map<number, Pending>()
  private nextNonce = 1

  constructor(
    private readonly env: Env<I3Message>,
    private readonly router: ServerRouter,
    private readonly timers: TimerTable<I3Message>,
    private readonly retryMs: number,
  ) {}

  insert(
    id: I3Id,
    target: Target,
    opts: { refresh?: boolean; probe?: boolean } = {},
    done?: InsertDone,
  ): void {
    const refresh = opts.refresh ?? false
    const probe = opts.probe ?? false
    if (!done) {
      this.sendInsert(id, target, 0, refresh, probe)
      return
    }
    const nonce = this.nextNonce++
    const p: Pending = { id, target, probe, refresh, done, attempts: 1, timer: 0 }
    p.timer = this.timers.after(this.retryMs, (now) => this.retry(now, nonce))
    this.pending.set(nonce, p)
    if (this.pending.size > MAX_PENDING_INSERTS) {
      const [oldest, entry] = this.pending.entries().next().value!
      this.pending.delete(oldest)
      this.timers.cancel(entry.timer)
    }
    this.sendInsert(id, target, nonce, refresh, probe)
  }

  remove(id: I3Id, target: Target): void {
    this.router.send({ type: 'remove', id, ttl: MAX_TTL, origin: this.env.self, target })
  }

  /** A server's reply; returns false when it answered nothing we wait for. */
  onInserted(now: number, from: NodeId, msg: Inserted): boolean {
    // A server names itself; a hint naming someone else is not believed (it could send our
    // packets to a node that does not exist or is no server).
    if (msg.server === from) this.router.learn(msg.id, msg.server)
    const p = this.pending.get(msg.nonce)
    if (!p || p.id !== msg.id) return false
    this.pending.delete(msg.nonce)
    this.timers.cancel(p.timer)
    p.done(now, msg.result, msg.count)
    return true
  }

  /** Forget every pending insert (leave). */
  clear(): void {
    for (const p of this.pending.values()) this.timers.cancel(p.timer)
    this.pending.clear()
  }

  get pendingCount(): number {
    return this.pending.size
  }

  private retry(now: number, nonce: number): void {
    const p = this.pending.get(nonce)
    if (!p) return
    if (p.attempts >= INSERT_ATTEMPTS) {
      this.pending.delete(nonce)
      p.done(now, 'timeout', 0)
      return
    }
    p.attempts++
    p.timer = this.timers.after(this.retryMs, (t) => this.retry(t, nonce))
    this.sendInsert(p.id, p.target, nonce, p.refresh, p.probe)
  }

  private sendInsert(id: I3Id, target: Target, nonce: number, refresh: boolean, probe: boolean): void {
    this.router.send({
      type: 'insert',
      id,
      ttl: MAX_TTL,
      origin: this.env.self,
      target,
      nonce,
      refresh,
      probe,
    })
  }
}
