import { LocalProtocolError } from '../../../core/errors.ts'
import type { NodeId } from '../../../core/ids.ts'
import type { Env, NodeContext, Protocol, TopologyView } from '../../../core/protocol.ts'
import type { Chunk } from '../../../stream/chunk.ts'
import { fsetId, groupId, hashId, type I3Id, idOnServer, jsetId } from '../ids.ts'
import {
  type I3Chunk,
  type I3Message,
  MAX_TTL,
  type Query,
  type RefreshAck,
  type Target,
} from '../messages.ts'
import type { I3Params } from '../params.ts'
import { ParentWatch } from './adoption.ts'
import { AncestorChain } from './chain.ts'
import { type JoinPlace, JoinWalk } from './join.ts'
import { Membership } from './membership.ts'
import { I3_METRIC } from './metrics.ts'
import { Recovery } from './recovery.ts'
import { PathRefresher } from './refresh.ts'
import { ServerRouter } from './router.ts'
import { TimerTable } from './timers.ts'
import type { HostTools } from './tools.ts'
import { TriggerClient } from './trigger-client.ts'

/** A receiver is `connected` while its last chunk is at most this old. */
export const CONNECTED_WINDOW_MS = 3000
/** Longest wait before walking again after a join that found no place. */
const JOIN_RETRY_MS = 1000
/** For inserts that only need to land (the client re-sends them until a server answers). */
const IGNORE_OUTCOME = (): void => {}
/** Ids remembered as full after a refused join (bounded; each forgotten after joinableCheckMs). */
const MAX_KNOWN_FULL = 64

/**
 * The virtual level above the root: its set holds the source, whose member id is idg. Derived from
 * the well-known `groupId(source)`, so every joiner can find it; idg itself is an id the source
 * picked on its own nearest server (learned by joiners from the source's query reply), so packets
 * enter i3 next to the source rather than at a hashed server anywhere in the network.
 */
export function virtualRootId(group: I3Id): I3Id {
  return hashId('i3-root', group)
}

/**
 * Phases of an end host (every `phase =` is in this file):
 *
 *   root      the source: member of the virtual level above idg, publishes to idg
 *   walking   a join walk (Fig. 6) is querying jsets/fsets
 *   inserting the join trigger (at -> treeId) is in flight
 *   joined    in the tree: refreshing its path, member of its parent's jset/fset and recovery group
 *   gone      left gracefully
 *
 *   start (viewer)                        -> walking
 *   walking   + walk found a place        -> inserting
 *   walking   + walk found nothing        -> walking (after a back-off)
 *   inserting + 'ok', or timeout but fed  -> joined
 *   inserting + 'full'                    -> walking, below the full member (lost a race for its last slot)
 *   inserting + other / timeout           -> walking (from the top; a timed-out insert is removed)
 *   joined    + childless, grandparent joinable -> joined (moved up one level)
 *   joined    + parent gone (goodbye or silence) -> joined (also stands in for the parent's id)
 *   any       + leave                     -> gone
 */
type Phase = 'root' | 'walking' | 'inserting' | 'joined' | 'gone'

/** Facts the presets read off a live host (sim.protocol(id) as I3HostNode). */
export interface I3HostStats {
  /** 1 = joined at idg; 0 for the source; null while not in the tree. */
  readonly level: number | null
  /** Ms from start to the first accepted join (null until then). */
  readonly joinMs: number | null
  /** Query-distance messages this host answered (Table 2(b)). */
  readonly queriesAnswered: number
  /** Triggers at this host's tree id at the last probe (children + its self trigger). */
  readonly treeIdTriggers: number
  readonly maxRepairRequestsPerSeq: number
  readonly duplicates: number
  readonly lossRate: number
}

/**
 * The i3 end host (source or viewer): the whole control plane of the hybrid multicast paper.
 * The servers only forward and replicate; this host builds its place in the tree of triggers
 * (join walk, joinable/full), keeps it alive (path refresh with REFRESH_ACK suppression) and
 * recovers losses through anycast. It only ever sends to servers (ServerRouter).
 */
export class I3HostNode implements Protocol<I3Message> {
  readonly virtualRoot: I3Id
  /** Where host-to-host packets for this host go (trigger privateId -> this host). */
  readonly privateId: I3Id
  /** The tree id children join at (idg, the root, for the source). */
  readonly treeId: I3Id
  private phase: Phase
  private readonly timers: TimerTable<I3Message>
  private readonly tools: HostTools
  private readonly router: ServerRouter
  private readonly triggers: TriggerClient
  private readonly membership: Membership
  private readonly recovery: Recovery
  private readonly refresher: PathRefresher | null
  private readonly watch: ParentWatch | null
  private readonly chain: AncestorChain
  private walk: JoinWalk | null = null
  /** The id a join insert is in flight to (phase 'inserting'). */
  private inserting: I3Id | null = null
  private parentNode: NodeId | null = null
  private recoveryTrigger: I3Id | null = null
  private nonce = 1
  /** Tree id -> until when a refused join insert says it is full (the member may not know yet). */
  private readonly knownFull = new Map<I3Id, number>()
  private lastNow = 0
  private startedAt = 0
  private firstJoinMs: number | null = null
  private joinStartedAt = 0
  private lastChunkAt: number | null = null
  /** Local arrival time minus the source's departure time of the newest chunk (§3.2.1). */
  private srcDist: number | null = null
  private newestSeq = -1
  private queriesAnswered = 0
  private probeTimer: number | null = null

  constructor(
    private readonly env: Env<I3Message>,
    private readonly ctx: NodeContext,
    private readonly params: I3Params,
  ) {
    if (ctx.role === 'server')
      throw new LocalProtocolError('I3HostNode is for end hosts; servers run I3ServerNode')
    const nearest = ctx.servers?.[0]
    if (nearest === undefined) {
      throw new LocalProtocolError(
        'an i3 end host needs NodeContext.servers (its nearest i3 server); run with servers',
      )
    }
    this.timers = new TimerTable(env)
    this.router = new ServerRouter(env, nearest)
    this.triggers = new TriggerClient(env, this.router, this.timers, params.queryWindowMs)
    this.virtualRoot = virtualRootId(groupId(ctx.source))
    this.chain = new AncestorChain(params.maxJoinLevels + 1)
    const isSource = ctx.role === 'source'
    this.privateId = idOnServer(nearest, env.rng)
    // The source's tree id is idg, the root of the tree of triggers: "pick close id" (Fig. 6)
    // applies to the root as to every receiver (§3.2: each trigger sits on a server close to its host).
    this.treeId = idOnServer(nearest, env.rng)
    this.phase = isSource ? 'root' : 'walking'
    const tools: HostTools = {
      env,
      router: this.router,
      triggers: this.triggers,
      timers: this.timers,
      params,
    }
    this.tools = tools
    this.membership = new Membership(tools, this.treeId)
    this.recovery = new Recovery(tools, isSource ? null : this.privateId, this.privateId, this.treeId)
    this.refresher = isSource ? null : new PathRefresher(tools, this.treeId)
    this.watch = isSource
      ? null
      : new ParentWatch(
          tools,
          this.privateId,
          () => this.nonce++,
          () => {
            const joinedAt = this.chain.joinedAt
            const above = this.chain.aboveJoinedAt
            return this.phase === 'joined' && joinedAt !== undefined && above !== undefined
              ? { joinedAt, above }
              : null
          },
        )
  }

  private get isSource(): boolean {
    return this.ctx.role === 'source'
  }

  private get self(): Target {
    return { kind: 'host', node: this.env.self }
  }

  // --- Protocol ----------------------------------------------------------------------------------

  start(now: number): void {
    this.lastNow = now
    this.startedAt = now
    if (this.isSource) {
      this.membership.attach(this.virtualRoot)
      this.recovery.setPlace(this.virtualRoot, null)
      this.updateRecoveryTrigger()
      this.keepAlive()
      return
    }
    // Tracked (re-sent until a server answers): a lost first insert would leave the host deaf
    // until its first refresh, seconds later.
    this.triggers.insert(this.privateId, this.self, {}, IGNORE_OUTCOME)
    this.triggers.insert(this.treeId, this.self, {}, IGNORE_OUTCOME)
    this.keepAlive()
    this.beginWalk(now)
  }

  onMessage(now: number, from: NodeId, msg: I3Message): void {
    this.lastNow = now
    if (this.phase === 'gone') return
    switch (msg.type) {
      case 'inserted':
        this.triggers.onInserted(now, from, msg)
        return
      case 'cache':
        if (msg.server === from) this.router.learn(msg.id, msg.server) // servers name themselves
        return
      case 'chunk':
        this.onChunk(now, msg)
        return
      case 'query':
        this.answerQuery(now, msg)
        return
      case 'query-reply':
        if (!this.watch?.onReply(msg)) this.walk?.onReply(now, msg)
        return
      case 'refresh-ack':
        this.onRefreshAck(msg)
        return
      case 'repair-req':
        this.recovery.onRequest(now, msg)
        return
      case 'insert':
      case 'remove':
        return // server business: an end host holds no triggers
    }
  }

  onTimer(now: number, _kind: number, arg: NodeId | undefined): void {
    this.lastNow = now
    if (this.phase === 'gone') return
    this.timers.fire(now, arg)
  }

  publish(now: number, chunk: Chunk): void {
    this.lastNow = now
    if (!this.isSource || this.phase === 'gone') return
    this.recovery.onChunk(now, chunk)
    this.lastChunkAt = now
    this.router.send({
      type: 'chunk',
      id: this.treeId,
      ttl: MAX_TTL,
      origin: this.env.self,
      chunk,
      hops: 0,
      repair: false,
    })
  }

  leave(now: number): void {
    this.lastNow = now
    if (this.phase === 'gone') return
    const wasJoined = this.phase === 'joined'
    if (this.phase !== 'inserting') this.inserting = null
    if (wasJoined) {
      // Goodbye to the subtree: a packet to our own tree id reaches exactly it (see answerQuery).
      const origin = this.env.self
      this.router.send({
        type: 'query',
        id: this.treeId,
        ttl: MAX_TTL,
        origin,
        nonce: 0,
        replyTo: this.treeId,
      })
    }
    this.phase = 'gone'
    this.walk?.cancel()
    this.watch?.cancel()
    this.membership.detach()
    if (this.recoveryTrigger !== null) this.triggers.remove(this.recoveryTrigger, this.self)
    if (!this.isSource) {
      this.triggers.remove(this.privateId, this.self)
      this.triggers.remove(this.treeId, this.self)
      // Children refresh (joinedAt -> treeId) as part of their path: keep it for them (soft state).
      const joinedAt = this.chain.joinedAt
      if (wasJoined && joinedAt !== undefined && this.membership.lastCount <= 1) {
        this.triggers.remove(joinedAt, { kind: 'id', id: this.treeId })
      }
      // Leaving while the join insert is in flight: it may land; nobody would refresh it.
      if (this.inserting !== null) this.triggers.remove(this.inserting, { kind: 'id', id: this.treeId })
    }
    this.refresher?.stop()
    this.recovery.clear()
    this.triggers.clear()
    this.timers.cancelAll()
  }

  topology(): TopologyView {
    const connected =
      this.isSource ||
      (this.phase !== 'gone' &&
        this.lastChunkAt !== null &&
        this.lastNow - this.lastChunkAt <= CONNECTED_WINDOW_MS)
    return {
      parents: this.parentNode === null || this.phase === 'gone' ? [] : [this.parentNode],
      children: [],
      connected,
      // Children per tree node: the id's trigger slots less the node's own (the source has none at idg).
      maxChildren: this.params.maxTriggersPerId - (this.isSource ? 0 : 1),
    }
  }

  // --- facts for presets and tests ---------------------------------------------------------------

  get stats(): I3HostStats {
    return {
      level: this.isSource ? 0 : this.phase === 'joined' ? this.chain.length : null,
      joinMs: this.firstJoinMs,
      queriesAnswered: this.queriesAnswered,
      treeIdTriggers: this.membership.lastCount,
      maxRepairRequestsPerSeq: this.recovery.maxRequestsPerSeq,
      duplicates: this.recovery.duplicates,
      lossRate: this.recovery.lossRate,
    }
  }

  /** Tree ids from idg down to the id this host joined at (empty for the source / not joined). */
  get ancestors(): readonly I3Id[] {
    return this.chain.ids
  }

  get joined(): boolean {
    return this.phase === 'joined' || this.phase === 'root'
  }

  /** Entries this host keeps (timers, pending inserts, open repairs, chain, route cache). */
  get stateSize(): number {
    return (
      this.timers.size +
      this.triggers.pendingCount +
      this.recovery.openRepairs +
      this.chain.length +
      this.router.cachedPositions
    )
  }

  // --- join ----------------------------------------------------------------------------------------

  private beginWalk(now: number, below: JoinPlace | null = null, exclude: I3Id | null = null): void {
    this.phase = 'walking'
    this.joinStartedAt = now
    this.walk = new JoinWalk(
      this.tools,
      this.privateId,
      this.virtualRoot,
      exclude,
      () => this.nonce++,
      (id, t) => (this.knownFull.get(id) ?? Number.NEGATIVE_INFINITY) > t,
      (t, place) => this.onWalkDone(t, place),
    )
    if (below !== null) this.walk.startBelow(below.chain, below.chainNodes)
    this.walk.begin()
  }

  private onWalkDone(now: number, place: JoinPlace | null): void {
    this.walk = null
    if (this.phase !== 'walking') return
    if (place === null) {
      this.env.metric(I3_METRIC.joinRetries, 1)
      this.timers.after(this.env.rng.next() * JOIN_RETRY_MS, (t) => this.beginWalk(t))
      return
    }
    this.phase = 'inserting'
    this.inserting = place.at
    const insertedAt = now
    const joinTrigger: Target = { kind: 'id', id: this.treeId }
    this.triggers.insert(place.at, joinTrigger, {}, (t, outcome) => {
      if (this.phase !== 'inserting') return
      this.inserting = null
      // Every reply lost but data flows: the insert did land (nothing else feeds our tree id).
      const fed = outcome === 'timeout' && this.lastChunkAt !== null && this.lastChunkAt >= insertedAt
      if (outcome === 'ok' || fed) {
        this.onJoined(t, place)
        return
      }
      this.env.metric(I3_METRIC.joinRetries, 1)
      // No answer: the trigger may exist all the same; do not leave it behind as a second feed.
      if (outcome === 'timeout') this.triggers.remove(place.at, joinTrigger)
      if (outcome === 'full') {
        // Lost a race for the last slot: the places nearest are the full member's children.
        this.noteFull(place.at, t)
        this.beginWalk(t, place)
        return
      }
      this.beginWalk(t)
    })
  }

  private noteFull(id: I3Id, now: number): void {
    this.knownFull.delete(id)
    this.knownFull.set(id, now + this.params.joinableCheckMs)
    if (this.knownFull.size > MAX_KNOWN_FULL) {
      const oldest = this.knownFull.keys().next().value
      if (oldest !== undefined) this.knownFull.delete(oldest)
    }
  }

  private onJoined(now: number, place: JoinPlace): void {
    this.phase = 'joined'
    this.chain.set(place.chain, place.chainNodes)
    this.parentNode = place.parent
    if (this.firstJoinMs === null) this.firstJoinMs = now - this.startedAt
    this.env.metric(I3_METRIC.joinMs, now - this.joinStartedAt)
    this.env.metric(I3_METRIC.joinLevel, this.chain.length)
    this.placeChanged()
    this.membership.attach(place.at)
    this.scheduleProbe()
    this.watch?.start()
  }

  /** The chain changed (join, move up): path refresh and recovery follow it. */
  private placeChanged(): void {
    this.refresher?.setPath(this.chain.ids)
    const above = this.chain.aboveJoinedAt ?? (this.chain.length === 1 ? this.virtualRoot : null)
    this.recovery.setPlace(this.chain.joinedAt ?? null, above)
    this.updateRecoveryTrigger()
  }

  // --- probing the parent level (§3.2.2) -----------------------------------------------------------

  private scheduleProbe(): void {
    if (this.params.probeIntervalMs <= 0) return
    this.timers.cancel(this.probeTimer)
    const delay = this.params.probeIntervalMs * (0.5 + this.env.rng.next())
    this.probeTimer = this.timers.after(delay, () => this.probeParentLevel())
  }

  /**
   * If the grandparent's id has room (the dummy trigger fits), move up there. Only a receiver
   * without children moves: its descendants refresh the path they joined through and would keep
   * the old chain alive (a REFRESH_ACK names only the trigger id, not the new shape), so an
   * interior node stays put; its subtree is fed through soft state whatever happens above.
   */
  private probeParentLevel(): void {
    this.probeTimer = null
    this.scheduleProbe()
    if (this.phase !== 'joined' || this.membership.lastCount > 1) return
    const up = this.chain.aboveJoinedAt
    if (up === undefined) return
    const target: Target = { kind: 'id', id: this.treeId }
    this.triggers.insert(up, target, { probe: true }, (_t, outcome) => {
      if (outcome !== 'ok' || this.phase !== 'joined' || this.chain.aboveJoinedAt !== up) return
      this.triggers.insert(up, target, {}, (_t2, result) => {
        if (result === 'ok' && this.phase === 'joined' && this.chain.aboveJoinedAt === up) this.moveUp(up)
      })
    })
  }

  private moveUp(to: I3Id): void {
    const from = this.chain.joinedAt!
    this.triggers.remove(from, { kind: 'id', id: this.treeId })
    this.parentNode = this.chain.nodeOf(to) ?? this.parentNode
    this.chain.endAt(to)
    this.env.metric(I3_METRIC.movesUp, 1)
    this.placeChanged()
    this.membership.attach(to)
    this.watch?.stop()
    this.watch?.start()
  }

  // --- data ----------------------------------------------------------------------------------------

  private onChunk(now: number, msg: I3Chunk): void {
    if (this.isSource) return
    const chunk = msg.chunk
    if (!this.recovery.onChunk(now, chunk, !msg.repair)) return
    this.lastChunkAt = now
    if (!msg.repair && chunk.seq > this.newestSeq) {
      this.newestSeq = chunk.seq
      this.srcDist = now - chunk.sourceTime
    }
    this.env.deliver(chunk, msg.hops)
  }

  /**
   * Fig. 6 "on receiving query distance": only a member with data knows its distance. A query
   * addressed to a tree id rather than a set (it reached us re-addressed to our own tree id) is
   * a departing ancestor's goodbye; it concerns us when it names the id we joined at.
   */
  private answerQuery(now: number, q: Query): void {
    if (!this.isSource && q.id === this.treeId) {
      if (q.replyTo === this.chain.joinedAt && this.phase === 'joined') this.watch?.parentLeft()
      return
    }
    const srcDist = this.isSource ? 0 : this.srcDist
    if (srcDist === null || (!this.isSource && this.phase !== 'joined')) return
    const standIn = this.watch?.standIn ?? null
    const asStandIn = standIn !== null && (q.id === jsetId(standIn.above) || q.id === fsetId(standIn.above))
    this.queriesAnswered++
    this.env.metric(I3_METRIC.queriesAnswered, 1)
    // Queries mean joins are coming: check joinable now rather than at the next period.
    if (!asStandIn) this.membership.probeSoon(now)
    const reply = (t: number) =>
      this.router.send({
        type: 'query-reply',
        id: q.replyTo,
        ttl: MAX_TTL,
        origin: this.env.self,
        nonce: q.nonce,
        member: asStandIn ? standIn.id : this.treeId,
        timestamp: t,
        srcDist: this.isSource ? 0 : (this.srcDist ?? srcDist),
        joinable: asStandIn ? standIn.joinable : this.membership.joinable,
      })
    if (this.router.knows(q.replyTo)) {
      reply(now)
      return
    }
    // The joiner compares replies by how long they took (§3.2.1), which should be the IP path
    // (i3 caching). A first packet to the joiner's private id would walk Chord and look farther
    // than it is; so learn where that id lives first (a probe: stores nothing) and reply after.
    this.triggers.insert(q.replyTo, this.self, { probe: true }, (t, outcome) => {
      if (outcome !== 'timeout' && this.phase !== 'gone') reply(t)
    })
  }

  // --- soft state ----------------------------------------------------------------------------------

  private onRefreshAck(ack: RefreshAck): void {
    if (this.isSource || this.phase !== 'joined') return
    this.refresher?.onAck(ack.trigger)
  }

  /** Own triggers only this host refreshes: its private id and its recovery-group membership. */
  private keepAlive(): void {
    const p = this.params
    const period = p.triggerLifetimeMs / p.refreshLossFactor
    this.timers.after(period * (0.5 + 0.5 * this.env.rng.next()), () => {
      if (!this.isSource) this.triggers.insert(this.privateId, this.self, { refresh: true })
      this.updateRecoveryTrigger()
      if (this.recoveryTrigger !== null)
        this.triggers.insert(this.recoveryTrigger, this.self, { refresh: true })
      this.keepAlive()
    })
  }

  /** (Re-)subscribe to the recovery group when the parent or the published loss rate changed. */
  private updateRecoveryTrigger(): void {
    const next = this.recovery.memberTriggerId()
    if (next === this.recoveryTrigger) return
    if (this.recoveryTrigger !== null) this.triggers.remove(this.recoveryTrigger, this.self)
    this.recoveryTrigger = next
    if (next !== null) this.triggers.insert(next, this.self, {}, IGNORE_OUTCOME)
  }
}
