import type { I3Id } from '../ids.ts'
import type { QueryReply } from '../messages.ts'
import { querySets } from './join.ts'
import { Membership } from './membership.ts'
import type { HostTools } from './tools.ts'

/** Rounds in a row nobody answered for the parent's id before a child stands in for it. */
export const SILENT_ROUNDS_TO_ADOPT = 2

/**
 * Stand-in for a departed parent (our answer to §3.2.2's "sets become empty").
 *
 * In i3 a receiver's tree id is pure forwarding state on a server: when the receiver leaves or
 * crashes, its subtree keeps receiving through (above -> id) and (id -> child) as long as the
 * subtree refreshes them. But nobody answers for that id in its parent's jset/fset any more, so
 * joiners can no longer find the places below it, and its slot at `above` stays taken: under
 * churn the tree would stop accepting joins. So a child watches its parent's set: every
 * probeIntervalMs it queries it, and when nobody has answered for its parent's id for
 * SILENT_ROUNDS_TO_ADOPT rounds (or at once, after the parent's goodbye) it adopts the id:
 * joins the parent's set as that id's member (joinable while the id has room), and answers
 * queries there with the id. Joiners then join under the departed parent's id, beside us.
 */
export class ParentWatch {
  private adopted: I3Id | null = null
  private adoptedAbove: I3Id | null = null
  private membership: Membership | null = null
  private nonceJ = -1
  private nonceF = -1
  private answered = false
  private silentRounds = 0
  private roundTimer: number | null = null
  private windowTimer: number | null = null

  constructor(
    private readonly tools: HostTools,
    private readonly replyTo: I3Id,
    private readonly nextNonce: () => number,
    /** The id this host joined at and the id above it, or null when there is nothing to watch. */
    private readonly place: () => { joinedAt: I3Id; above: I3Id } | null,
  ) {}

  /** Start (or restart, after a move) the periodic watch. */
  start(): void {
    this.tools.timers.cancel(this.roundTimer)
    this.roundTimer = null
    if (this.tools.params.probeIntervalMs <= 0) return
    this.roundTimer = this.tools.timers.after(
      this.tools.params.probeIntervalMs * (0.5 + this.tools.env.rng.next()),
      () => {
        this.roundTimer = null
        this.round(SILENT_ROUNDS_TO_ADOPT)
        this.start()
      },
    )
  }

  /** The parent said goodbye: check soon (a random delay, so one sibling adopts, the rest see it). */
  parentLeft(): void {
    this.tools.timers.after(this.tools.env.rng.next() * this.tools.params.queryWindowMs, () => this.round(1))
  }

  /** The id this host stands in for, with the set it answers in (null: none). */
  get standIn(): { id: I3Id; above: I3Id; joinable: boolean } | null {
    if (this.adopted === null || this.adoptedAbove === null || this.membership === null) return null
    return { id: this.adopted, above: this.adoptedAbove, joinable: this.membership.joinable }
  }

  /** A query reply: true when it answered our watch round. */
  onReply(r: QueryReply): boolean {
    if (r.nonce !== this.nonceJ && r.nonce !== this.nonceF) return false
    if (r.member === this.place()?.joinedAt) this.answered = true
    return true
  }

  /** This host moved or leaves: stop standing in. */
  stop(): void {
    this.membership?.detach()
    this.membership = null
    this.adopted = null
    this.adoptedAbove = null
  }

  cancel(): void {
    this.stop()
    this.tools.timers.cancel(this.roundTimer)
    this.tools.timers.cancel(this.windowTimer)
    this.roundTimer = null
    this.windowTimer = null
  }

  private round(silentToAdopt: number): void {
    const place = this.place()
    if (place === null || this.adopted === place.joinedAt || this.windowTimer !== null) return
    this.answered = false
    this.nonceJ = this.nextNonce()
    this.nonceF = this.nextNonce()
    querySets(this.tools, place.above, this.nonceJ, this.nonceF, this.replyTo)
    this.windowTimer = this.tools.timers.after(this.tools.params.queryWindowMs, () => {
      this.windowTimer = null
      const now = this.place()
      if (now === null || now.joinedAt !== place.joinedAt) return
      this.silentRounds = this.answered ? 0 : this.silentRounds + 1
      if (this.silentRounds >= silentToAdopt) this.adopt(place.joinedAt, place.above)
    })
  }

  private adopt(id: I3Id, above: I3Id): void {
    this.stop()
    this.silentRounds = 0
    this.adopted = id
    this.adoptedAbove = above
    this.membership = new Membership(this.tools, id)
    this.membership.attach(above)
  }
}
