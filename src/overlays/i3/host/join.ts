import type { NodeId } from '../../../core/ids.ts'
import { fsetId, type I3Id, jsetId } from '../ids.ts'
import { MAX_TTL, type QueryReply } from '../messages.ts'
import type { HostTools } from './tools.ts'

/** Where a join walk decided to join. */
export interface JoinPlace {
  /** The tree id to insert (at -> own tree id) under. */
  readonly at: I3Id
  /** The end host that owns `at` (the origin of its query reply): the new parent. */
  readonly parent: NodeId
  /** Tree ids from the group root down to `at`, and the hosts owning them (as far as replies told). */
  readonly chain: readonly I3Id[]
  readonly chainNodes: readonly NodeId[]
  /** Estimated source -> joiner latency via `at` (local clocks: comparable only within one walk). */
  readonly dist: number
}

/**
 * "query distance" (Fig. 6) to the jset and the fset of `parent` at once: i3 replicates each to
 * every member of the set, and each member answers to `replyTo` with the query's nonce.
 */
export function querySets(
  { env, router }: HostTools,
  parent: I3Id,
  nonceJ: number,
  nonceF: number,
  replyTo: I3Id,
): void {
  const origin = env.self
  router.send({ type: 'query', id: jsetId(parent), ttl: MAX_TTL, origin, nonce: nonceJ, replyTo })
  router.send({ type: 'query', id: fsetId(parent), ttl: MAX_TTL, origin, nonce: nonceF, replyTo })
}

/** Extra query windows a level may wait while no reply at all has come. */
export const MAX_WINDOW_EXTENSIONS = 2

interface Candidate {
  readonly member: I3Id
  readonly node: NodeId
  readonly dist: number
}

/**
 * The join walk of Fig. 4 / Fig. 6 as a small state machine: at each level it queries the jset
 * and the fset of the current id at once (both replicated by i3 to every set member), waits
 * queryWindowMs for the replies, keeps the closest joinable member seen so far, and goes down to
 * the closest full member while that one is closer than the best joinable (branch and bound).
 * Distances are d = arrival - reply.timestamp + reply.srcDist on this host's clock (§3.2.1): the
 * skew between source and joiner is the same in every d, so comparisons are exact.
 *
 * Bounded: at most maxJoinLevels levels; replies of other nonces are ignored; nothing but the
 * best candidate per set is stored. `exclude` (a receiver re-placing its own subtree) is never
 * chosen nor walked through, so a walk never lands inside its own subtree.
 */
export class JoinWalk {
  private nonceJ = 0
  private nonceF = 0
  private bestJ: Candidate | null = null
  private bestF: Candidate | null = null
  private best: JoinPlace | null = null
  private chain: I3Id[] = []
  private chainNodes: NodeId[] = []
  private current: I3Id
  private levels = 0
  /** Windows this level has waited past the first (no reply at all yet). */
  private extensions = 0
  private timer: number | null = null
  private finished = false

  constructor(
    private readonly tools: HostTools,
    /** This host's private id: replies are packets to it. */
    private readonly replyTo: I3Id,
    /** Where the walk starts: the virtual level above the root (its only member is the source). */
    start: I3Id,
    private readonly exclude: I3Id | null,
    private readonly nextNonce: () => number,
    /** Ids a server recently refused a join at ('full'): their jset replies are stale news. */
    private readonly knownFull: (id: I3Id, now: number) => boolean,
    private readonly done: (now: number, place: JoinPlace | null) => void,
  ) {
    this.current = start
  }

  /**
   * Start below a member instead (a retry after a join there came back 'full': the member's
   * children are the next places near it). `chain` ends with that member's id.
   */
  startBelow(chain: readonly I3Id[], chainNodes: readonly NodeId[]): void {
    const last = chain[chain.length - 1]
    if (last === undefined) return
    this.chain = chain.slice(0, this.tools.params.maxJoinLevels)
    this.chainNodes = chainNodes.slice(0, this.chain.length)
    this.current = last
  }

  begin(): void {
    this.queryLevel()
  }

  cancel(): void {
    this.finished = true
    this.tools.timers.cancel(this.timer)
    this.timer = null
  }

  /** A query reply; false when it belongs to no query of this walk. */
  onReply(now: number, r: QueryReply): boolean {
    if (this.finished) return false
    const inJset = r.nonce === this.nonceJ
    if (!inJset && r.nonce !== this.nonceF) return false
    if (r.member === this.exclude || !Number.isFinite(r.timestamp) || !Number.isFinite(r.srcDist)) return true
    const c: Candidate = { member: r.member, node: r.origin, dist: now - r.timestamp + r.srcDist }
    // A member learns it is full only at its next probe (its reply says so; its set subscription
    // may lag); a joiner just refused there knows better too: a way down, not a place.
    if (inJset && r.joinable && !this.knownFull(r.member, now)) {
      if (closer(c, this.bestJ)) this.bestJ = c
    } else if (closer(c, this.bestF)) this.bestF = c
    return true
  }

  private queryLevel(): void {
    this.levels++
    this.extensions = 0
    this.bestJ = null
    this.bestF = null
    this.nonceJ = this.nextNonce()
    this.nonceF = this.nextNonce()
    querySets(this.tools, this.current, this.nonceJ, this.nonceF, this.replyTo)
    this.timer = this.tools.timers.after(this.tools.params.queryWindowMs, (now) => this.decide(now))
  }

  private decide(now: number): void {
    this.timer = null
    // Nobody answered yet: every level has a member (the source at the top, leaves at the
    // bottom), so the first packets are most likely still walking Chord (a first packet to a
    // new prefix does, with thousands of servers that takes longer than one window). Wait.
    if (this.bestJ === null && this.bestF === null && this.extensions < MAX_WINDOW_EXTENSIONS) {
      this.extensions++
      this.timer = this.tools.timers.after(this.tools.params.queryWindowMs, (t) => this.decide(t))
      return
    }
    const j = this.bestJ
    if (j && (this.best === null || j.dist < this.best.dist - TIE_MS)) {
      this.best = {
        at: j.member,
        parent: j.node,
        chain: [...this.chain, j.member],
        chainNodes: [...this.chainNodes, j.node],
        dist: j.dist,
      }
    }
    const f = this.bestF
    const goDown =
      f !== null &&
      this.levels < this.tools.params.maxJoinLevels &&
      (this.best === null || f.dist < this.best.dist - TIE_MS)
    if (!goDown) {
      this.finished = true
      this.done(now, this.best)
      return
    }
    this.chain.push(f.member)
    this.chainNodes.push(f.node)
    this.current = f.member
    this.queryLevel()
  }
}

/**
 * Distances closer than this are a tie. Members on one server LAN are equally far, but their d
 * values come out of sums of clock readings whose rounding depends on the clocks' offsets: an
 * exact comparison would let the skew of §3.2.1 decide after all.
 */
const TIE_MS = 1e-6

/** Strictly closer, ties broken by the smaller member id so every run decides alike. */
function closer(c: Candidate, than: Candidate | null): boolean {
  if (than === null) return true
  if (Math.abs(c.dist - than.dist) > TIE_MS) return c.dist < than.dist
  return c.member < than.member
}
