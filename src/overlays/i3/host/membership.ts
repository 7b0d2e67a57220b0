import { fsetId, type I3Id, jsetId } from '../ids.ts'
import type { Target } from '../messages.ts'
import type { HostTools } from './tools.ts'
import type { InsertOutcome } from './trigger-client.ts'

/**
 * Joinable or full (§3.2, §3.2.2): every joinableCheckMs the member tries the dummy trigger at
 * its own tree id (an atomic probe: would one more trigger fit under the server's limit D?) and
 * subscribes to jset(parent) when it would, fset(parent) when not, moving between the two when
 * the answer changes. The subscription is re-inserted at each check, which also refreshes it
 * (the check runs at least every T/k). The probe's count is how many triggers sit at the member's
 * id: its children, plus its own self trigger for a receiver.
 */
export class Membership {
  private parent: I3Id | null = null
  /** jset and fset of `parent` (hashes, computed once per parent). */
  private sets: { readonly jset: I3Id; readonly fset: I3Id } | null = null
  private subscribed: I3Id | null = null
  private timer: number | null = null
  private lastProbeAt = Number.NEGATIVE_INFINITY
  joinable = true
  /** Triggers at the member's id at the last probe (-1 before the first answer). */
  lastCount = -1

  constructor(
    private readonly tools: HostTools,
    /** The id whose triggers make this member's children (its tree id; idg for the source). */
    private readonly memberId: I3Id,
  ) {}

  private get periodMs(): number {
    const p = this.tools.params
    return Math.min(p.joinableCheckMs, p.triggerLifetimeMs / p.refreshLossFactor)
  }

  /** Start (or move) as a child of `parent`: subscribe now, then check periodically. */
  attach(parent: I3Id): void {
    this.parent = parent
    this.sets = { jset: jsetId(parent), fset: fsetId(parent) }
    this.subscribe()
    this.tools.timers.cancel(this.timer)
    this.timer = this.tools.timers.after(this.periodMs, (t) => this.check(t))
    this.probe(Number.NEGATIVE_INFINITY)
  }

  /** Remove the set subscription (leave). */
  detach(): void {
    this.tools.timers.cancel(this.timer)
    this.timer = null
    if (this.subscribed !== null) this.tools.triggers.remove(this.subscribed, this.hostTarget())
    this.subscribed = null
    this.parent = null
    this.sets = null
  }

  /** Probe now unless a probe went out within the last quarter query window. */
  probeSoon(now: number): void {
    if (this.parent === null || now - this.lastProbeAt < this.tools.params.queryWindowMs / 4) return
    this.probe(now)
  }

  private check(now: number): void {
    this.timer = this.tools.timers.after(this.periodMs, (t) => this.check(t))
    this.probe(now)
    this.subscribe()
  }

  private probe(now: number): void {
    this.lastProbeAt = now
    this.tools.triggers.insert(this.memberId, this.hostTarget(), { probe: true }, (_now, outcome, count) =>
      this.onProbe(outcome, count),
    )
  }

  private onProbe(outcome: InsertOutcome, count: number): void {
    if (outcome !== 'ok' && outcome !== 'full') return
    this.lastCount = count
    const joinable = outcome === 'ok'
    if (joinable === this.joinable) return
    this.joinable = joinable
    this.subscribe()
  }

  /** Insert (or refresh) the subscription to the right set, dropping the other one. */
  private subscribe(): void {
    if (this.sets === null) return
    const set = this.joinable ? this.sets.jset : this.sets.fset
    if (this.subscribed === set) {
      this.tools.triggers.insert(set, this.hostTarget(), { refresh: true })
      return
    }
    if (this.subscribed !== null) this.tools.triggers.remove(this.subscribed, this.hostTarget())
    this.subscribed = set
    // A new subscription is re-sent until a server answers: joiners find us only through it.
    this.tools.triggers.insert(set, this.hostTarget(), {}, () => {})
  }

  private hostTarget(): Target {
    return { kind: 'host', node: this.tools.env.self }
  }
}
