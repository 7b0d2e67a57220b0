import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Env, NodeContext, Protocol, TimerId, TopologyView } from '../../core/protocol.ts'
import type { Chunk, ChunkMessage } from '../../stream/chunk.ts'
import { decideAdd } from './add-policy.ts'
import { ChildTable } from './children.ts'
import { RecentChunks, SeenSeqs } from './fast-start.ts'
import {
  type Accept,
  MAX_AVOID_IDS,
  type PathUpdate,
  type Redirect,
  type SpreadItMessage,
  type Subscribe,
} from './messages.ts'
import { childLimit, type SpreadItParams } from './params.ts'

/** Timer kinds: a small fixed table per node (quinn-style), never one timer per peer. */
export const TIMER_HEARTBEAT = 1
export const TIMER_SUBSCRIBE_TIMEOUT = 2
export const TIMER_RETRY = 3

/** Metric names recorded through env.metric. */
export const METRIC = {
  parentDiscoveryMs: 'parentDiscoveryMs',
  transienceMs: 'transienceMs',
  redirects: 'redirects',
  resourceUnavailable: 'resourceUnavailable',
  subscribeTimeouts: 'subscribeTimeouts',
  parentFailures: 'parentFailures',
  childrenDropped: 'childrenDropped',
  cyclesBroken: 'cyclesBroken',
} as const

/**
 * Node phases and every legal transition (h11 style: all `phase =` assignments live in the
 * four `enter*` methods at the bottom of the class).
 *
 *   root         the source: always accepts or redirects, never walks, never displaced
 *   joining      a subscribe is in flight to `walkTarget` (join, re-join, or following a redirect)
 *   attached     a data-transfer session with `parent` is open
 *   unavailable  the last walk exceeded maxRedirects ("resource unavailable"); retry timer pending
 *   gone         left gracefully; ignores everything
 *
 *   start (viewer)                           -> joining(source)
 *   joining  + accept from walkTarget        -> attached
 *   joining  + redirect from walkTarget      -> joining(target)        (redirects += 1)
 *   joining  + subscribe timeout             -> joining(source)        (counts as a redirect)
 *   joining  + redirects > maxRedirects      -> unavailable
 *   unavailable + retry timer                -> joining(source)
 *   attached + redirect from parent          -> joining(target)        (delete policy, knock-down, smart-bandwidth)
 *   attached + parent missed heartbeats      -> joining(source)        (Root / Root-All, §V.B last paragraph)
 *   attached + newcomer with more capacity   -> joining(newcomer)      (Smart-Bandwidth step-aside)
 *   attached + path containing self / too deep -> joining(source)      (cycle / depth guard)
 *   any      + leave                         -> gone
 *
 * Children are orthogonal to the phase: a transient node keeps its subtree under Grandfather/Root
 * (the subtree recovers with it) and drops it under the *-All policies (each descendant re-joins).
 */
type Phase = 'root' | 'joining' | 'attached' | 'unavailable' | 'gone'

const HEARTBEAT: SpreadItMessage = { type: 'heartbeat' }
/**
 * Every this many beats a parent sends its path instead of a bare heartbeat, so a lost path
 * update (message loss) heals within a few seconds; unchanged paths are not passed further down.
 */
export const PATH_REFRESH_BEATS = 8
const UNSUBSCRIBE: SpreadItMessage = { type: 'unsubscribe' }

export class SpreadItNode implements Protocol<SpreadItMessage> {
  readonly childLimit: number
  private phase: Phase
  private parent: NodeId | null = null
  private parentLastHeardMs = 0
  /** Source first, parent last; [] while transient. Bounded by params.maxDepth. */
  private ancestors: readonly NodeId[] = []
  /** ancestors + self: what children are told (shared by all of them). */
  private pathForChildren: readonly NodeId[]
  private readonly children = new ChildTable()

  private walkTarget: NodeId | null = null
  /** Redirects followed in the current walk (bounded by maxRedirects). */
  private walkRedirects = 0
  /** Dead ends met in the current walk, sent along so they are not retried (bounded). */
  private walkAvoid: NodeId[] = []
  /** Redirects over the whole join, across resource-unavailable retries. */
  private joinRedirects = 0
  private discoveryStartedMs = 0
  private consecutiveFailedWalks = 0

  private heartbeatTimer: TimerId | null = null
  private beats = 0
  private subscribeTimer: TimerId | null = null
  private retryTimer: TimerId | null = null

  private lastChunkMs: number | null = null
  /** When we last forwarded a chunk to our children (dataAsHeartbeat). */
  private lastForwardMs = Number.NEGATIVE_INFINITY
  private transientSinceMs: number | null = null
  private readonly livenessMs: number
  /** Fast start (params.burstChunks > 0; null when off, so the paper's path is untouched). */
  private readonly recent: RecentChunks | null
  private readonly seen: SeenSeqs | null

  constructor(
    private readonly env: Env<SpreadItMessage>,
    private readonly ctx: NodeContext,
    private readonly params: SpreadItParams,
  ) {
    this.childLimit = childLimit(ctx.uploadKbps, ctx.streamKbps, params)
    this.phase = ctx.role === 'source' ? 'root' : 'joining'
    this.pathForChildren = [env.self]
    this.livenessMs = params.heartbeatMs * params.heartbeatMissLimit
    this.recent = params.burstChunks > 0 ? new RecentChunks(params.burstChunks) : null
    this.seen = params.burstChunks > 0 ? new SeenSeqs() : null
  }

  private get isSource(): boolean {
    return this.ctx.role === 'source'
  }

  start(now: number): void {
    this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
    if (!this.isSource) this.startJoin(now, this.ctx.source)
  }

  publish(now: number, chunk: Chunk): void {
    if (!this.isSource) throw new LocalProtocolError('spreadit: publish() called on a viewer')
    const msg: ChunkMessage = { type: 'chunk', chunk, hops: 1 }
    this.recent?.remember(msg)
    this.forward(now, msg)
  }

  onMessage(now: number, from: NodeId, msg: SpreadItMessage): void {
    if (this.phase === 'gone') return
    switch (msg.type) {
      case 'chunk':
        this.onChunk(now, from, msg)
        return
      case 'heartbeat':
        this.noteAlive(now, from)
        return
      case 'subscribe':
        this.onSubscribe(now, from, msg)
        return
      case 'accept':
        this.onAccept(now, from, msg)
        return
      case 'redirect':
        this.onRedirect(now, from, msg)
        return
      case 'unsubscribe':
        if (this.children.remove(from)) this.env.disconnect(from)
        return
      case 'path':
        if (this.phase !== 'attached' || from !== this.parent) return
        this.parentLastHeardMs = now
        this.adoptPath(now, msg.path)
        return
    }
  }

  onTimer(now: number, kind: number, _arg: NodeId | undefined): void {
    if (this.phase === 'gone') return
    if (kind === TIMER_HEARTBEAT) {
      this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
      this.heartbeat(now)
    } else if (kind === TIMER_SUBSCRIBE_TIMEOUT) {
      this.subscribeTimer = null
      if (this.phase !== 'joining') return
      this.env.metric(METRIC.subscribeTimeouts, 1)
      this.followRedirect(now, this.ctx.source)
    } else if (kind === TIMER_RETRY) {
      this.retryTimer = null
      if (this.phase === 'unavailable') {
        this.walkRedirects = 0
        this.walkAvoid = []
        this.enterJoining(this.ctx.source)
      }
    }
  }

  leave(_now: number): void {
    if (this.phase === 'gone') return
    if (this.parent !== null) this.env.send(this.parent, UNSUBSCRIBE)
    else if (this.phase === 'joining' && this.walkTarget !== null) this.env.send(this.walkTarget, UNSUBSCRIBE)
    // §V.B: the grandfather policies name our parent, the root policies (and a parentless node) the source.
    const policy = this.params.deletePolicy
    const toGrandfather = policy === 'grandfather' || policy === 'grandfather-all'
    const target = toGrandfather && this.parent !== null ? this.parent : this.ctx.source
    this.redirectAllChildren(target, policy === 'grandfather-all' || policy === 'root-all')
    this.enterGone()
  }

  topology(): TopologyView {
    return {
      parents: this.parent === null ? [] : [this.parent],
      children: this.children.ids.slice(),
      connected: this.isSource || (this.phase === 'attached' && this.ancestors[0] === this.ctx.source),
      maxChildren: this.childLimit,
    }
  }

  // ---- data ---------------------------------------------------------------------------------

  private onChunk(now: number, from: NodeId, msg: ChunkMessage): void {
    // Only the open session feeds us; a stale ex-parent stops once it misses our heartbeats.
    if (this.phase !== 'attached' || from !== this.parent) return
    this.parentLastHeardMs = now
    // A new parent's burst overlaps what we hold: a repeat goes neither to the player nor down.
    if (this.seen !== null && !this.seen.markNew(msg.chunk.seq)) return
    this.lastChunkMs = now
    if (this.transientSinceMs !== null) {
      this.env.metric(METRIC.transienceMs, now - this.transientSinceMs)
      this.transientSinceMs = null
    }
    // The player below never learns about parent changes (§IV): it only sees delivered chunks.
    this.env.deliver(msg.chunk, msg.hops)
    if (this.recent !== null) {
      const down: ChunkMessage = { type: 'chunk', chunk: msg.chunk, hops: msg.hops + 1 }
      this.recent.remember(down)
      this.forward(now, down)
    } else if (this.children.size > 0) {
      this.forward(now, { type: 'chunk', chunk: msg.chunk, hops: msg.hops + 1 })
    }
  }

  /** One message object shared by every child: the hot path allocates nothing per child. */
  private forward(now: number, msg: ChunkMessage): void {
    const ids = this.children.ids
    if (ids.length > 0) this.lastForwardMs = now
    for (let i = 0; i < ids.length; i++) this.env.send(ids[i]!, msg)
  }

  // ---- liveness (§IV.D) ---------------------------------------------------------------------

  private noteAlive(now: number, from: NodeId): void {
    if (from === this.parent) {
      this.parentLastHeardMs = now
      return
    }
    const child = this.children.get(from)
    if (child) child.lastHeardMs = now
  }

  private heartbeat(now: number): void {
    let dead: NodeId[] | null = null
    const refresh = ++this.beats % PATH_REFRESH_BEATS === 0
    // Indexed loop over the live list, no allocation for a leaf: this runs once a second on every node.
    const ids = this.children.ids
    const beat: SpreadItMessage =
      refresh && ids.length > 0 ? { type: 'path', path: this.pathForChildren } : HEARTBEAT
    // The data we forwarded since the last beat already told the children we are alive.
    const quiet =
      !refresh && this.params.dataAsHeartbeat && now - this.lastForwardMs < this.params.heartbeatMs
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!
      if (now - this.children.infoAt(i).lastHeardMs > this.livenessMs) (dead ??= []).push(id)
      else if (!quiet) this.env.send(id, beat)
    }
    if (dead !== null) {
      for (const id of dead) {
        this.children.remove(id)
        this.env.disconnect(id)
        this.env.metric(METRIC.childrenDropped, 1)
      }
    }
    if (this.parent === null) return
    if (now - this.parentLastHeardMs > this.livenessMs) this.parentDead(now)
    else this.env.send(this.parent, HEARTBEAT)
  }

  /** "It then recovers ... by sending a redirect message to itself specifying the source." */
  private parentDead(now: number): void {
    this.env.metric(METRIC.parentFailures, 1)
    this.env.disconnect(this.parent!)
    const policy = this.params.deletePolicy
    // Only Root and Root-All apply to failures: nobody below knows the dead node's parent.
    if (policy === 'root-all' || policy === 'grandfather-all') this.redirectAllChildren(this.ctx.source, true)
    // The feed stopped when the last chunk came, not when we noticed.
    this.loseParent(this.lastChunkMs ?? now)
    this.startJoin(now, this.ctx.source)
  }

  // ---- serving subscribe requests (§IV.B, §V.A) ---------------------------------------------

  private onSubscribe(now: number, from: NodeId, msg: Subscribe): void {
    if (from === this.env.self) return
    const capacity = childLimit(msg.uploadKbps, this.ctx.streamKbps, this.params)
    const existing = this.children.get(from)
    if (existing) {
      // A repeated subscribe (e.g. its accept was lost): refresh and accept again.
      existing.locator = msg.locator
      existing.uploadKbps = msg.uploadKbps
      existing.capacity = capacity
      existing.lastHeardMs = now
      this.env.send(from, this.acceptMessage())
      return
    }
    if (this.isAncestorOrPending(from)) {
      // Accepting an ancestor would close a loop; send it back to the top.
      this.env.send(from, redirect(this.ctx.source, false))
      return
    }
    const decision = decideAdd(
      this.params.addPolicy,
      this.params.bandwidthBasePolicy,
      {
        isSource: this.isSource,
        source: this.ctx.source,
        parent: this.phase === 'attached' ? this.parent : null,
        childLimit: this.childLimit,
        depthFull: this.ancestors.length + 1 > this.params.maxDepth,
        locator: this.env.locate(),
        children: this.children,
        rng: this.env.rng,
        distance: (a, b) => this.env.distance(a, b),
      },
      { id: from, locator: msg.locator, uploadKbps: msg.uploadKbps, capacity, avoid: msg.avoid },
    )
    switch (decision.kind) {
      case 'accept':
        this.acceptChild(now, from, msg, capacity)
        return
      case 'redirect':
        this.env.send(from, redirect(decision.target, false, decision.deadEnd))
        return
      case 'knock-down':
        // The farthest child goes one level down, under the closer newcomer.
        this.children.remove(decision.victim)
        this.env.send(decision.victim, redirect(from, false))
        this.acceptChild(now, from, msg, capacity)
        return
      case 'step-aside':
        this.stepAside(now, from)
        return
    }
  }

  private isAncestorOrPending(id: NodeId): boolean {
    if (id === this.parent || id === this.ctx.source) return true
    if (this.phase === 'joining' && id === this.walkTarget) return true
    return this.ancestors.includes(id)
  }

  private acceptChild(now: number, id: NodeId, msg: Subscribe, capacity: number): void {
    this.children.add(id, { locator: msg.locator, uploadKbps: msg.uploadKbps, capacity, lastHeardMs: now })
    this.env.send(id, this.acceptMessage())
    // Fast start: only a node with a live feed has recent chunks worth sending.
    if (this.recent !== null && (this.phase === 'root' || this.phase === 'attached')) {
      for (const chunk of this.recent.inSeqOrder()) this.env.send(id, chunk)
    }
  }

  private acceptMessage(): Accept {
    return { type: 'accept', path: this.pathForChildren }
  }

  /**
   * Smart-Bandwidth (§V.A.5), newcomer X stronger than us: "Y closes its data-transfer session
   * with its parent t. It then redirects X to t, and redirects itself and all its immediate
   * children to X."
   */
  private stepAside(now: number, x: NodeId): void {
    const t = this.parent!
    this.env.send(t, UNSUBSCRIBE)
    this.env.send(x, redirect(t, false))
    this.redirectAllChildren(x, false)
    this.loseParent(now)
    this.startJoin(now, x)
  }

  // ---- walking towards an unsaturated node (§IV.B) ------------------------------------------

  private onAccept(now: number, from: NodeId, msg: Accept): void {
    if (this.phase === 'joining' && from === this.walkTarget) {
      this.attach(now, from, msg.path)
      return
    }
    if (this.phase === 'attached' && from === this.parent) {
      this.adoptPath(now, msg.path)
      return
    }
    // A session we no longer want (we timed out, moved on or are the source): free the slot.
    this.env.send(from, UNSUBSCRIBE)
  }

  private attach(now: number, parent: NodeId, path: readonly NodeId[]): void {
    if (path.includes(this.env.self) || path.length > this.params.maxDepth) {
      // Stale topology let us reach our own subtree (or too deep): decline and start over at the top.
      this.env.metric(METRIC.cyclesBroken, 1)
      this.env.send(parent, UNSUBSCRIBE)
      this.followRedirect(now, this.ctx.source)
      return
    }
    this.env.metric(METRIC.parentDiscoveryMs, now - this.discoveryStartedMs)
    this.env.metric(METRIC.redirects, this.joinRedirects)
    this.consecutiveFailedWalks = 0
    this.enterAttached(now, parent)
    this.setAncestors(path)
  }

  private onRedirect(now: number, from: NodeId, msg: Redirect): void {
    if (this.phase === 'joining' && from === this.walkTarget) {
      if (msg.deadEnd) {
        if (this.walkAvoid.length >= MAX_AVOID_IDS) this.walkAvoid.shift()
        this.walkAvoid.push(from)
      }
      this.followRedirect(now, msg.target)
      return
    }
    if (this.phase !== 'attached' || from !== this.parent) return // stale: not our session
    // Our parent closed the session (it left, knocked us down, or stepped aside).
    if (msg.cascade) this.redirectAllChildren(msg.target, true)
    this.loseParent(now)
    this.startJoin(now, msg.target)
  }

  private startJoin(now: number, target: NodeId): void {
    this.discoveryStartedMs = now
    this.joinRedirects = 0
    this.walkRedirects = 0
    this.walkAvoid = []
    this.enterJoining(target)
  }

  private followRedirect(now: number, target: NodeId): void {
    this.walkRedirects++
    this.joinRedirects++
    if (this.walkRedirects > this.params.maxRedirects) {
      this.enterUnavailable(now)
      return
    }
    this.enterJoining(target === this.env.self ? this.ctx.source : target)
  }

  // ---- tree bookkeeping ---------------------------------------------------------------------

  /** Our ancestor chain changed: check it, store it, tell the children. */
  private adoptPath(now: number, path: readonly NodeId[]): void {
    if (path.includes(this.env.self) || path.length > this.params.maxDepth) {
      this.env.metric(METRIC.cyclesBroken, 1)
      this.env.send(this.parent!, UNSUBSCRIBE)
      this.loseParent(now)
      this.startJoin(now, this.ctx.source)
      return
    }
    if (!samePath(path, this.ancestors)) this.setAncestors(path)
  }

  private setAncestors(path: readonly NodeId[]): void {
    this.ancestors = path
    this.pathForChildren = [...path, this.env.self]
    if (this.children.size === 0) return
    const update: PathUpdate = { type: 'path', path: this.pathForChildren }
    for (const id of this.children.ids) this.env.send(id, update)
  }

  /** The session with our parent is over; the subtree we keep learns it is cut off. */
  private loseParent(feedLostAtMs: number): void {
    this.parent = null
    // Transience is measured only for nodes that had a feed; a first join is startup delay.
    if (this.transientSinceMs === null && this.lastChunkMs !== null) this.transientSinceMs = feedLostAtMs
    this.setAncestors([])
  }

  private redirectAllChildren(target: NodeId, cascade: boolean): void {
    if (this.children.size === 0) return
    const msg = redirect(target, cascade)
    for (const id of this.children.clear()) this.env.send(id, msg)
  }

  // ---- phase transitions: the only places that assign `phase` -------------------------------

  private enterJoining(target: NodeId): void {
    this.phase = 'joining'
    this.walkTarget = target
    this.env.send(target, {
      type: 'subscribe',
      locator: this.env.locate(),
      uploadKbps: this.ctx.uploadKbps,
      avoid: this.walkAvoid.slice(),
    })
    this.cancel(this.subscribeTimer)
    this.subscribeTimer = this.env.setTimer(this.params.subscribeTimeoutMs, TIMER_SUBSCRIBE_TIMEOUT)
  }

  private enterAttached(now: number, parent: NodeId): void {
    this.phase = 'attached'
    this.parent = parent
    this.parentLastHeardMs = now
    this.walkTarget = null
    this.walkRedirects = 0
    this.subscribeTimer = this.cancel(this.subscribeTimer)
  }

  /** §IV.B: "the peering layer flags a resource unavailable error"; we then back off and retry. */
  private enterUnavailable(_now: number): void {
    this.env.metric(METRIC.resourceUnavailable, 1)
    this.phase = 'unavailable'
    this.walkTarget = null
    this.subscribeTimer = this.cancel(this.subscribeTimer)
    this.consecutiveFailedWalks++
    const factor = 2 ** Math.min(this.consecutiveFailedWalks - 1, 3)
    // Jitter spreads the retries of a subtree that failed together.
    const delay = this.params.retryBackoffMs * factor * (0.5 + this.env.rng.next())
    this.retryTimer = this.env.setTimer(delay, TIMER_RETRY)
  }

  private enterGone(): void {
    this.phase = 'gone'
    this.parent = null
    this.walkTarget = null
    this.heartbeatTimer = this.cancel(this.heartbeatTimer)
    this.subscribeTimer = this.cancel(this.subscribeTimer)
    this.retryTimer = this.cancel(this.retryTimer)
  }

  private cancel(timer: TimerId | null): null {
    if (timer !== null) this.env.cancelTimer(timer)
    return null
  }

  // ---- introspection for tests and checkers --------------------------------------------------

  /** Phase name, for tests and the stats endpoint. */
  get state(): Phase {
    return this.phase
  }

  /** Depth in the tree (source = 0) as far as this node knows; 0 while transient. */
  get depth(): number {
    return this.ancestors.length
  }

  /** Ids this node holds about others: <= maxChildren + 2 * maxDepth + 1 + MAX_AVOID_IDS. */
  get stateSize(): number {
    return this.children.size + this.ancestors.length + this.pathForChildren.length + this.walkAvoid.length
  }
}

function samePath(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function redirect(target: NodeId, cascade: boolean, deadEnd = false): Redirect {
  return { type: 'redirect', target, cascade, deadEnd }
}
