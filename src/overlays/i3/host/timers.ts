import type { Message } from '../../../core/codec.ts'
import type { Env, TimerId } from '../../../core/protocol.ts'

/** The one timer kind an i3 end host uses: the arg is a token into its callback table. */
export const HOST_TIMER_KIND = 1

/**
 * A small table of pending callbacks behind Env timers. Each part of the end host (join walk,
 * refresh, recovery) schedules closures here instead of inventing timer kinds; the table holds
 * only pending timers, so its size is bounded by what the parts keep pending (each bounds its own).
 */
export class TimerTable<M extends Message> {
  private readonly pending = new Map<number, { id: TimerId; fire: (now: number) => void }>()
  private nextToken = 1

  constructor(private readonly env: Env<M>) {}

  /** Runs `fire(now)` after delayMs; returns a token for cancel(). */
  after(delayMs: number, fire: (now: number) => void): number {
    const token = this.nextToken++
    const id = this.env.setTimer(Math.max(0, delayMs), HOST_TIMER_KIND, token)
    this.pending.set(token, { id, fire })
    return token
  }

  cancel(token: number | null | undefined): void {
    if (token === null || token === undefined) return
    const entry = this.pending.get(token)
    if (!entry) return
    this.pending.delete(token)
    this.env.cancelTimer(entry.id)
  }

  /** Host entry point: a timer fired. Unknown tokens (already cancelled) are ignored. */
  fire(now: number, token: unknown): void {
    if (typeof token !== 'number') return
    const entry = this.pending.get(token)
    if (!entry) return
    this.pending.delete(token)
    entry.fire(now)
  }

  cancelAll(): void {
    for (const { id } of this.pending.values()) this.env.cancelTimer(id)
    this.pending.clear()
  }

  get size(): number {
    return this.pending.size
  }
}
