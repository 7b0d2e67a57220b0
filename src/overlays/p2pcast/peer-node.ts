import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Env, NodeContext, Protocol, TimerId, TopologyView } from '../../core/protocol.ts'
import { createRng } from '../../core/rng.ts'
import type { Chunk, ChunkMessage } from '../../stream/chunk.ts'
import { ParityEncoder, StripeDecoder, stripeOf } from '../../stream/stripes.ts'
import { copyPlacement, Forest, MissingPlacement, type Placement } from './forest.ts'
import {
  type Known,
  type P2PCastMessage,
  type PlacementFields,
  type State,
  TX_SPECIAL,
  type Vote,
} from './messages.ts'
import type { P2PCastParams } from './params.ts'
import { DeadDirectory } from './peer/dead-directory.ts'
import {
  assembleDeadPlace,
  deadPlaceWitnesses,
  linkedByLive,
  linkState,
  reconcileDeadPlace,
  withoutGone,
} from './peer/dead-places.ts'
import { MemberList } from './peer/members.ts'
import { type LockRequest, PlaceLock, txNumber } from './peer/place-lock.ts'
import { emptyPlace, fromFields, toFields, type Versioned } from './peer/placement.ts'
import { rpcOfChange } from './peer/rpc-kind.ts'
import { publishStriped } from './publish.ts'
import { SPECIAL } from './registry.ts'
import { join, remove, removeDead } from './transitions.ts'

const TIMER_HEARTBEAT = 1
const TIMER_TX = 2
const TIMER_LEASE = 3
const TIMER_LEASE_SPECIAL = 4

/** A read or prepare unanswered this long aborts the attempt. */
const TX_REPLY_MS = 1500
/** A probe of a suspected parent unanswered this long confirms it dead. */
const PROBE_MS = 600
const COMMIT_RESEND_MS = 500
const COMMIT_RESENDS = 6
const MAX_TX_ATTEMPTS = 12
/** The attempt at which a deletion removes a dead node short of children (removeDead), not gives up. */
const SHORT_DEAD_AFTER_ATTEMPTS = MAX_TX_ATTEMPTS - 1
/** Immediate re-runs of an operation within one event (dead places fixed up), at most. */
const MAX_RERUNS = 16
/** Deletions a node has queued (one per parent at most, plus slack). */
const MAX_WANTED = 8
const HANDOVER_MS = 400
/** How long each child in line waits before it runs a parent's deletion itself. */
const DELEGATE_MS = 2500
/** Reads in flight at once for one operation (prefetching a node's neighbours). */
const PREFETCH_LIMIT = 24
/** The deletion attempt from which a member whose every neighbour is dead joins again instead. */
const ISLAND_REJOIN_ATTEMPTS = 3
/** Transaction number of a READ that only asks a parent for its place (no operation). */
const PLACE_QUERY = 0
/**
 * Special node's parents silent this many liveness periods (12 s): the source starts a fresh
 * forest. At 3 (4.5 s) the reset fired while the source's own deletion of those parents was still
 * under way in a crash burst, and everybody's rejoining then stalled the rest (bursts bench: 214 →
 * 219 of 240 whole, resets 11 → 3).
 */
const COLLAPSE_LIVENESS = 8
/** UPDATE member = false from a parent: the forest above is gone (a reset), join again. */
const LEFT_FOREST: P2PCastMessage = { type: 'update', version: 0, member: false, parents: [], children: [] }
/** Operations holding one place at once (shared HOLDs), and prepares queued behind them (wait-die). */
const LOCK_HOLDERS = 8
const LOCK_WAITERS = 8
/** Every this many beats a node re-sends its place to its children. */
const UPDATE_REFRESH_BEATS = 8

export const PEER_METRIC = {
  parentDiscoveryMs: 'parentDiscoveryMs',
  parentFailures: 'parentFailures',
  joinMessages: 'joinMessages',
  deleteMessages: 'deleteMessages',
  txAborts: 'txAborts',
  txGiveUps: 'txGiveUps',
  forestResets: 'forestResets',
  lockWaits: 'lockWaits',
  deadPlaceScrubs: 'deadPlaceScrubs',
  deadPlacesAssembled: 'deadPlacesAssembled',
  deadPlaceLookups: 'deadPlaceLookups',
  transitionErrors: 'transitionErrors',
  /** Members whose every neighbour was dead and unrepairable, and that joined again. */
  islandRejoins: 'islandRejoins',
  /** Slots left free by deleting a dead node short of children (transitions.ts `removeDead`). */
  deadShortSlots: 'deadShortSlots',
} as const

type TxPhase = 'probe' | 'read' | 'prepare' | 'commit' | 'backoff'

interface Tx {
  readonly id: number
  readonly kind: 'join' | 'delete'
  /** Join: the contact. Delete: the node to delete. */
  readonly target: NodeId
  /** Delete: the target plus neighbours found dead on the way (deleted in the same operation). */
  readonly dead: Set<NodeId>
  /** Places of dead neighbours told by their children (KNOWN). */
  readonly deadPlaces: Map<NodeId, Placement>
  /** Silent nodes this attempt already SEARCHed twice / asked about. */
  resent: Set<NodeId>
  askedAbout: Set<NodeId>
  /** This attempt read our own children to tell whether we are an island (every neighbour dead). */
  childrenProbed: boolean
  /** The deletion was announced (leaving): no probe needed. */
  readonly announced: boolean
  seed: number
  attempt: number
  phase: TxPhase
  reads: Map<NodeId, Versioned>
  /** Placements the last run actually looked at (reads may hold prefetched extras). */
  used: Set<NodeId>
  /** Reads sent ahead of need; their answers are kept but never waited for. */
  prefetched: Set<NodeId>
  waiting: Set<NodeId>
  writes: Map<NodeId, Placement>
  participants: NodeId[]
  resends: number
  messages: number
  /** Slots the last run's deletions left free (a dead node short of children), counted at commit. */
  freeSlots: number
  timer: TimerId | null
}

/**
 * P2PCast in peer mode: no node holds the forest. Each operation (a join, or the deletion of a
 * dead parent) is run by one peer — the joiner, or a child of the dead node — as an optimistic
 * transaction over the nodes it touches: it runs the same transitions (transitions.ts) on a
 * partial forest, READing each placement the walk needs (SEARCH) and re-running until nothing is
 * missing; then it PREPAREs every node it read (version check, lock) with its new place, and
 * COMMITs (or aborts, backs off and retries with fresh reads). Concurrent joins and crashes that
 * touch the same nodes therefore serialise on the versions: one commits, the other retries.
 *
 * The registry (kept by the source) only answers JOIN with a random member (or the special node)
 * and drops members on DELETE. Each node sends its place to its children (UPDATE) after every
 * change, so a child knows a dead parent's place well enough to start its deletion (§7).
 */
export class P2PCastPeerNode implements Protocol<P2PCastMessage> {
  private readonly f: number
  private readonly isSource: boolean
  private own: Versioned
  /** The special node's place (source only). */
  private readonly special: Versioned | null
  private member: boolean
  private gone = false
  /** Locks on our place and (source) the special node's, while operations prepare against them. */
  private readonly lockOwn = new PlaceLock(LOCK_HOLDERS, LOCK_WAITERS)
  private readonly lockSpecial = new PlaceLock(LOCK_HOLDERS, LOCK_WAITERS)
  private leaseTimerOwn: TimerId | null = null
  private leaseTimerSpecial: TimerId | null = null
  /** Places of my parents (the special node's parents at the source), from their UPDATEs. */
  private readonly parentPlaces = new Map<NodeId, Versioned>()
  /**
   * UPDATEs from nodes that are not (yet) our parents: the new parent's UPDATE can overtake the
   * commit that makes it our parent. Bounded (oldest dropped); adopted when the commit lands.
   */
  private readonly pendingPlaces = new Map<NodeId, Versioned>()
  /** Places of my parents' parents (relayed by my parents), bounded by f^2. */
  private readonly grandPlaces = new Map<NodeId, Versioned>()
  private readonly lastHeard: number[]
  private readonly suspected = new Set<NodeId>()
  private readonly livenessMs: number
  private tx: Tx | null = null
  private txCounter = 0
  private runNesting = 0
  private wanted: { target: NodeId; announced: boolean; notBefore: number; since: number }[] = []
  /** Time of the handler being run (nextTx has no `now` of its own). */
  private lastNow = 0
  private wantJoin = false
  private joinStartedMs = 0
  private heartbeatTimer: TimerId | null = null
  private beats = 0
  /**
   * Make-before-break (ours): participants of one operation commit at slightly different times,
   * so for HANDOVER_MS after a commit moves an edge, the old parent keeps feeding the old child
   * and the child keeps accepting it (the decoder drops duplicates). Short, because the extra
   * copies ride on an uplink sized for exactly f stripes.
   */
  private handoverChildren: { id: NodeId; t: number; until: number }[] = []
  private handoverParents: { id: NodeId; t: number; until: number }[] = []
  private readonly decoder: StripeDecoder
  private readonly encoder: ParityEncoder | null
  /** Registry (source only): members, for a uniformly random contact. */
  private readonly members = new MemberList(SPECIAL)
  /** Registry (source only): dead nodes' places reported by their children. */
  private readonly deadDirectory = new DeadDirectory()

  constructor(
    private readonly env: Env<P2PCastMessage>,
    private readonly ctx: NodeContext,
    private readonly params: P2PCastParams,
  ) {
    const f = params.stripes
    this.f = f
    this.isSource = ctx.role === 'source'
    this.own = { version: 0, placement: emptyPlace(f) }
    this.special = this.isSource ? { version: 0, placement: emptyPlace(f) } : null
    if (this.special) {
      // Bootstrap (§3): the special node is the root of every tree.
      for (let t = 0; t < f; t++) {
        this.own.placement.children[t]!.push(SPECIAL)
        this.special.placement.parent[t] = env.self
      }
    }
    this.member = this.isSource
    this.lastHeard = new Array<number>(f).fill(0)
    this.livenessMs = params.heartbeatMs * params.heartbeatMissLimit
    this.decoder = new StripeDecoder(f, params.decoderGroups)
    this.encoder = this.isSource ? new ParityEncoder(f) : null
  }

  start(now: number): void {
    this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
    if (this.isSource) return
    this.joinStartedMs = now
    this.requestJoin()
  }

  publish(_now: number, chunk: Chunk): void {
    if (!this.encoder) throw new LocalProtocolError('p2pcast: publish() called on a viewer')
    publishStriped(this.env, this.encoder, this.f, this.params.parity, chunk, (t, msg) =>
      this.sendToRoot(t, msg),
    )
  }

  private sendToRoot(t: number, msg: ChunkMessage): void {
    const root = this.own.placement.children[t]![0]
    if (root !== undefined && root !== SPECIAL) this.env.send(root, msg)
  }

  leave(_now: number): void {
    if (this.gone) return
    if (this.member) {
      // Also the children of a change we voted for: the COMMIT may land there after we are gone.
      const children = new Set(this.distinctChildren())
      const pending = this.lockOwn.pendingChanges()[0]
      if (pending) {
        for (const c of pending.children.flat()) children.add(this.wire(c))
        // The place that change gives us goes to the registry (our children keep the one they
        // have): if it commits without us, our deletion will find our new parents there.
        if (!this.isSource && pending.parent.every((x) => x !== undefined))
          this.env.send(this.ctx.source, {
            type: 'known',
            tx: PLACE_QUERY,
            node: this.env.self,
            ...toFields(this.own.version + 1, pending),
          })
      }
      for (const c of children) this.env.send(c, { type: 'leaving' })
    }
    this.gone = true
    this.member = false
    this.heartbeatTimer = this.cancel(this.heartbeatTimer)
    if (this.tx) this.tx.timer = this.cancel(this.tx.timer)
  }

  topology(): TopologyView {
    const p = this.own.placement
    const placed = this.member && p.parent.every((x) => x !== undefined)
    return {
      parents: this.isSource || !placed ? [] : p.parent.map((x) => this.wire(x!)),
      children: this.member ? this.distinctChildren() : [],
      connected: this.isSource || placed,
      maxChildren: this.f,
    }
  }

  /** Ids held about others: own place, parents' places, suspicion and queue — O(f^2). */
  get stateSize(): number {
    let n = this.own.placement.parent.length + this.distinctChildren().length
    for (const v of this.parentPlaces.values())
      n += v.placement.parent.length + v.placement.children.flat().length
    return n + this.suspected.size + this.wanted.length
  }

  get rebuiltChunks(): number {
    return this.decoder.rebuilt
  }

  /** Own place (tests and checkers assemble the forest from these). */
  placeOf(key: NodeId): Placement | undefined {
    if (key === SPECIAL) return this.special?.placement
    return this.member ? this.own.placement : undefined
  }

  get isMember(): boolean {
    return this.member
  }

  // ---- message dispatch ---------------------------------------------------------------------

  onMessage(now: number, from: NodeId, msg: P2PCastMessage): void {
    if (this.gone) return
    this.lastNow = now
    switch (msg.type) {
      case 'chunk':
        this.onChunk(now, from, msg)
        return
      case 'heartbeat':
        this.noteAlive(now, from)
        return
      case 'update':
        if (msg.member && msg.parents.length === this.f) {
          this.noteAlive(now, from)
          this.rememberParentPlace(from, msg)
        } else if (!msg.member && this.member && !this.isSource && this.isParent(from)) {
          this.abandon(now)
        }
        return
      case 'relay':
        this.rememberGrandPlace(from, msg)
        return
      case 'ask': {
        const known =
          this.parentPlaces.get(msg.node) ??
          this.grandPlaces.get(msg.node) ??
          (this.isSource ? this.deadDirectory.lookup(msg.node, this.f) : undefined)
        if (known && this.isSource) this.env.metric(PEER_METRIC.deadPlaceLookups, 1)
        if (known)
          this.env.send(from, {
            type: 'known',
            tx: msg.tx,
            node: msg.node,
            ...toFields(known.version, known.placement),
          })
        return
      }
      case 'known':
        if (msg.tx === PLACE_QUERY) this.onPlaceReport(from, msg)
        else this.onKnown(now, msg)
        return
      case 'leaving':
        if (this.isParent(from)) this.want(from, true)
        return
      case 'join':
        if (this.isSource)
          this.env.send(from, { type: 'contact', node: this.members.randomContact(this.env.rng) })
        return
      case 'walk':
        this.onWalk(msg.joiner, msg.ttl)
        return
      case 'joined':
        if (this.isSource) this.members.add(from)
        return
      case 'delete':
        if (this.isSource) {
          this.members.drop(msg.node)
          this.deadDirectory.forget(msg.node)
        }
        return
      case 'contact':
        if (!this.member && this.wantJoin && this.tx?.kind === 'join' && this.tx.attempt < 0) {
          this.startTx(now, 'join', msg.node, false, this.joinStartedMs)
        }
        return
      case 'search':
        this.onSearch(from, msg.tx, msg.flags)
        return
      case 'state':
        this.onState(now, from, msg)
        return
      case 'takeon':
      case 'substitute':
      case 'replace':
      case 'direct':
        this.onPrepare(from, msg.tx, msg.flags, msg.version, fromFields(this.f, msg))
        return
      case 'hold':
        this.onPrepare(from, msg.tx, msg.flags, msg.version, null)
        return
      case 'vote':
        this.onVote(now, from, msg)
        return
      case 'commit':
        this.onCommit(now, from, msg.tx, msg.flags)
        this.env.send(from, { type: 'ack', tx: msg.tx, flags: msg.flags })
        return
      case 'ack':
        this.onAck(now, from, msg.flags)
        return
      case 'abort':
        this.onAbort(from, msg.tx, msg.flags)
        return
    }
  }

  onTimer(now: number, kind: number, _arg: NodeId | undefined): void {
    if (this.gone) return
    this.lastNow = now
    if (kind === TIMER_HEARTBEAT) {
      this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
      this.heartbeat(now)
    } else if (kind === TIMER_TX) {
      if (this.tx) {
        this.tx.timer = null
        this.onTxTimer(now, this.tx)
      }
    } else if (kind === TIMER_LEASE || kind === TIMER_LEASE_SPECIAL) {
      const special = kind === TIMER_LEASE_SPECIAL
      if (special) this.leaseTimerSpecial = null
      else this.leaseTimerOwn = null
      const lock = special ? this.lockSpecial : this.lockOwn
      if (lock.expire(now)) this.serveLock(special)
      this.armLease(special)
    }
  }

  // ---- data ---------------------------------------------------------------------------------

  private onChunk(now: number, from: NodeId, msg: ChunkMessage): void {
    const t = stripeOf(msg.chunk, this.f)
    if (t < 0 || t >= this.f) return
    if (this.isSource) {
      this.noteAlive(now, from) // the special node's feed: liveness of its parents only
      return
    }
    if (!this.member) return
    if (from === this.own.placement.parent[t]) this.lastHeard[t] = now
    else if (!this.handoverParents.some((h) => h.id === from && h.t === t && h.until >= now)) return
    for (const c of this.decoder.push(msg.chunk)) this.env.deliver(c, msg.hops)
    const kids = this.own.placement.children[t]!
    const out: ChunkMessage = { type: 'chunk', chunk: msg.chunk, hops: msg.hops + 1 }
    for (const k of kids) this.env.send(this.wire(k), out)
    for (const h of this.handoverChildren) {
      if (h.t === t && h.until >= now && !kids.includes(h.id)) this.env.send(this.wire(h.id), out)
    }
  }

  /** Remember the edges a new place drops, for the handover window (bounded). */
  private noteHandover(now: number, old: Placement, next: Placement): void {
    const until = now + HANDOVER_MS
    this.handoverChildren = this.handoverChildren.filter((h) => h.until >= now)
    this.handoverParents = this.handoverParents.filter((h) => h.until >= now)
    for (let t = 0; t < this.f; t++) {
      for (const c of old.children[t]!) {
        if (!next.children[t]!.includes(c) && this.handoverChildren.length < 2 * this.f) {
          this.handoverChildren.push({ id: c, t, until })
        }
      }
      const p = old.parent[t]
      if (p !== undefined && p !== next.parent[t] && this.handoverParents.length < 2 * this.f) {
        this.handoverParents.push({ id: p, t, until })
      }
    }
  }

  // ---- liveness and the decision to delete a parent -----------------------------------------------

  /** Parents whose stripes reach us: our own, or the special node's at the source. */
  private watchedParents(): (NodeId | undefined)[] {
    return this.isSource ? this.special!.placement.parent : this.own.placement.parent
  }

  private isParent(id: NodeId): boolean {
    return this.watchedParents().includes(id)
  }

  private noteAlive(now: number, from: NodeId): void {
    const parents = this.watchedParents()
    for (let t = 0; t < this.f; t++) if (parents[t] === from) this.lastHeard[t] = now
  }

  private heartbeat(now: number): void {
    if (this.isSource) this.resetIfCollapsed(now)
    this.nextTx()
    for (const c of this.distinctChildren()) this.env.send(c, { type: 'heartbeat' })
    if (!this.member) return
    const parents = this.watchedParents()
    for (let t = 0; t < this.f; t++) {
      const p = parents[t]
      if (p === undefined || p === this.ctx.source || p === this.env.self) continue
      if (now - this.lastHeard[t]! > this.livenessMs) this.want(p, false)
      // A parent whose place we lack (its UPDATE was lost): ask, while it can still answer.
      else if (!this.parentPlaces.has(p)) this.env.send(p, { type: 'search', tx: PLACE_QUERY, flags: 0 })
    }
    // Periodic UPDATE so children's copy of our place heals after a lost message.
    if (++this.beats % UPDATE_REFRESH_BEATS === 0) {
      this.sendUpdate()
      for (const [node, v] of this.parentPlaces) this.relayDown(node, v)
    }
  }

  /**
   * Last resort, ours (the paper never loses a whole region of the forest at once): when every
   * parent of the special node has been silent for COLLAPSE_LIVENESS liveness periods (no deletion
   * could remove them: the nodes around them died too and nobody alive knows their places), or
   * for one period while the registry knows no member at all, the source starts a fresh forest
   * (the special node the root of every tree, as at bootstrap) and tells the old roots to rejoin;
   * each member passes that on to its children (UPDATE member = false) and joins again.
   */
  private resetIfCollapsed(now: number): void {
    const s = this.special!
    if (s.placement.parent.every((p) => p === this.env.self)) return
    const silentFor = Math.min(...this.lastHeard.map((t) => now - t))
    const noMembers = this.params.join === 'registry' && this.members.size === 0
    if (silentFor <= this.livenessMs * (noMembers ? 1 : COLLAPSE_LIVENESS)) return
    if (this.lockOwn.isHeld || this.lockSpecial.isHeld) return
    this.env.metric(PEER_METRIC.forestResets, 1)
    if (this.tx) this.tx.timer = this.cancel(this.tx.timer)
    this.tx = null
    this.wanted = []
    this.suspected.clear()
    this.parentPlaces.clear()
    this.pendingPlaces.clear()
    for (const root of this.distinctChildren()) if (root !== this.env.self) this.env.send(root, LEFT_FOREST)
    const fresh = emptyPlace(this.f)
    const special = emptyPlace(this.f)
    for (let t = 0; t < this.f; t++) {
      fresh.children[t]!.push(SPECIAL)
      special.parent[t] = this.env.self
    }
    this.own = { version: this.own.version + 1, placement: fresh }
    s.version++
    s.placement = special
    this.lastHeard.fill(now)
  }

  /**
   * Every neighbour we have, parent or child in any tree, is silent (dead in this operation, silent
   * to its reads, or a parent not heard from within the liveness period): a dead region around us
   * whose places nobody alive holds. Our place links only dead nodes, so leaving it loses no live
   * subtree. Returns true for an island, else the children still to read before judging (children
   * send nothing up), empty when some neighbour is alive.
   */
  private islandCheck(now: number, tx: Tx, silent: readonly NodeId[]): true | NodeId[] {
    // A yes vote we gave may still commit a new place for us: not an island until it is settled.
    if (this.isSource || !this.member || this.lockOwn.isHeld) return []
    const p = this.own.placement
    const isSilent = (n: NodeId) => tx.dead.has(n) || silent.includes(n)
    for (let t = 0; t < this.f; t++) {
      const parent = p.parent[t]
      if (parent === undefined || parent === this.ctx.source || parent === SPECIAL) return []
      if (!isSilent(parent) && now - (this.lastHeard[t] ?? now) <= this.livenessMs) return []
    }
    const unread: NodeId[] = []
    for (const c of p.children.flat()) {
      if (isSilent(c)) continue
      if (tx.reads.has(c) || tx.childrenProbed) return []
      unread.push(c)
    }
    return unread.length > 0 ? unread : true
  }

  /** An island gives up its place (last resort, counted) and joins again. */
  private leaveIsland(now: number, tx: Tx): void {
    this.env.metric(PEER_METRIC.islandRejoins, 1)
    this.env.metric(PEER_METRIC.txAborts, 1)
    tx.timer = this.cancel(tx.timer)
    this.abandon(now)
  }

  /** Our parent left the forest for good (a reset): pass it on and join again. */
  private abandon(now: number): void {
    for (const c of this.distinctChildren()) this.env.send(c, LEFT_FOREST)
    if (this.tx) this.tx.timer = this.cancel(this.tx.timer)
    this.tx = null
    this.rejoin(now)
    this.nextTx()
  }

  private want(target: NodeId, announced: boolean): void {
    if (this.suspected.has(target)) return
    // Without the parent's place (no UPDATE from it yet) we cannot run its deletion; its other
    // children can, and we look again at the next beat. Meanwhile ask the registry, which keeps the
    // places other children reported (ours).
    if (!this.parentPlaces.has(target)) {
      if (!this.isSource && this.member) {
        this.env.send(this.ctx.source, { type: 'ask', tx: PLACE_QUERY, node: target })
        // Our own place names the dead parent: it completes the registry's picture of it.
        const own = this.own
        this.env.send(this.ctx.source, {
          type: 'known',
          tx: PLACE_QUERY,
          node: this.env.self,
          ...toFields(own.version, own.placement),
        })
      }
      return
    }
    if (this.wanted.length >= MAX_WANTED) return
    this.suspected.add(target)
    this.env.metric(PEER_METRIC.parentFailures, 1)
    // §7: the child of a dead parent tells the registry; ours: with the place it holds.
    if (!this.isSource) {
      const v = this.parentPlaces.get(target)!
      this.env.send(this.ctx.source, {
        type: 'known',
        tx: PLACE_QUERY,
        node: target,
        ...toFields(v.version, v.placement),
      })
    }
    // One child coordinates (ours): all children noticing at once would collide on the same
    // nodes round after round. The first in id order starts at once, the k-th waits k periods
    // in case the ones before it are dead too.
    const place = this.parentPlaces.get(target)!.placement
    const me = String(this.env.self)
    const ranks = [...new Set(place.children.flat().map((c) => String(this.wire(c))))].sort()
    const rank = Math.max(0, ranks.indexOf(me))
    this.wanted.push({ target, announced, notBefore: this.lastNow + rank * DELEGATE_MS, since: this.lastNow })
    this.nextTx()
  }

  private nextTx(): void {
    if (this.tx || this.gone) return
    const i = this.wanted.findIndex((w) => w.notBefore <= this.lastNow)
    const next = i >= 0 ? this.wanted.splice(i, 1)[0] : undefined
    if (next) {
      this.startTx(this.lastNow, 'delete', next.target, next.announced, next.since)
      return
    }
    if (this.wantJoin && !this.member) this.askRegistry()
  }

  private requestJoin(): void {
    this.wantJoin = true
    this.nextTx()
  }

  /**
   * JOIN to the registry, or (join 'walk') a WALK from the source; a placeholder operation waits
   * for the contact (and asks again).
   */
  private askRegistry(): void {
    if (this.params.join === 'walk') {
      this.env.send(this.ctx.source, { type: 'walk', joiner: this.env.self, ttl: this.params.walkTtl })
    } else {
      this.env.send(this.ctx.source, { type: 'join' })
    }
    const waiting = this.newTx('join', this.ctx.source, false, this.joinStartedMs)
    waiting.phase = 'backoff'
    waiting.attempt = -1
    this.tx = waiting
    waiting.timer = this.env.setTimer(this.params.joinTimeoutMs, TIMER_TX)
  }

  // ---- transactions: the coordinator's side ------------------------------------------------------

  /** `sinceMs`: when the operation was first wanted; its age decides conflicts (wait-die). */
  private newTx(kind: 'join' | 'delete', target: NodeId, announced: boolean, sinceMs: number): Tx {
    return {
      id: txNumber(sinceMs, ++this.txCounter),
      kind,
      target,
      dead: new Set(kind === 'delete' ? [target] : []),
      deadPlaces: new Map(),
      resent: new Set(),
      askedAbout: new Set(),
      childrenProbed: false,
      announced,
      seed: this.env.rng.int(0x7fffffff),
      attempt: 0,
      phase: 'read',
      reads: new Map(),
      used: new Set(),
      prefetched: new Set(),
      waiting: new Set(),
      writes: new Map(),
      participants: [],
      resends: 0,
      messages: 0,
      freeSlots: 0,
      timer: null,
    }
  }

  private startTx(
    now: number,
    kind: 'join' | 'delete',
    target: NodeId,
    announced: boolean,
    sinceMs: number,
  ): void {
    if (this.tx) this.tx.timer = this.cancel(this.tx.timer)
    const tx = this.newTx(kind, target, announced, sinceMs)
    this.tx = tx
    if (kind === 'delete' && !this.parentPlaces.has(target)) {
      // A commit meanwhile gave us another parent: the dead node's deletion is not ours any more.
      this.finishTx(now, tx, false)
      return
    }
    if (kind === 'delete') tx.deadPlaces.set(target, copyPlacement(this.parentPlaces.get(target)!.placement))
    if (kind === 'delete' && !announced) {
      // "the children reattempt to connect, and if no response is obtained, the deletion
      // algorithm is started": probe the parent first.
      tx.phase = 'probe'
      this.txSend(tx, target, { type: 'search', tx: tx.id, flags: 0 })
      tx.timer = this.env.setTimer(PROBE_MS, TIMER_TX)
      return
    }
    this.runTx(now, tx)
  }

  private txSend(tx: Tx, key: NodeId, msg: P2PCastMessage): void {
    tx.messages++
    this.env.send(this.wire(key), msg)
  }

  /** Run the operation on a partial forest; fetch what is missing, or prepare what it changed. */
  private runTx(now: number, tx: Tx): void {
    // Each fix-up of a dead place runs the operation again at once; a fix-up that does not converge
    // must not recurse for ever.
    if (this.runNesting >= MAX_RERUNS) {
      this.abortTx(now, tx)
      return
    }
    this.runNesting++
    try {
      this.runTxOnce(now, tx)
    } finally {
      this.runNesting--
    }
  }

  private runTxOnce(now: number, tx: Tx): void {
    if (tx.kind === 'delete' && !this.isParent(tx.target)) {
      // A commit meanwhile (another child's deletion of it) gave us another parent: not ours any more.
      this.finishTx(now, tx, false)
      return
    }
    tx.used = new Set()
    const forest = Forest.partial(this.f, this.ctx.source, SPECIAL, (id) => this.loadForTx(tx, id))
    try {
      if (tx.kind === 'join') {
        join(forest, this.env.self, tx.target, createRng(tx.seed))
      } else {
        // First classify every dead node by what its live neighbours say (other dead nodes'
        // places may be stale): already removed by another operation, linked, or our copy of its
        // place is older than theirs.
        const linked: NodeId[] = []
        const gone: NodeId[] = []
        for (const d of tx.dead) {
          const state = linkState(forest, d, tx.dead)
          if (state === 'gone') gone.push(d)
          else if (state === 'linked') linked.push(d)
          else {
            // Our copy of the dead node's place is older than its live neighbours': take its place
            // as they say it is (after reading the nodes that can tell), and run again.
            const witnesses = deadPlaceWitnesses(forest, d, tx.reads, tx.dead)
            if (witnesses.length > 0) {
              this.readMissing(tx, witnesses)
              return
            }
            const fixed = reconcileDeadPlace(forest, d, tx.reads, tx.dead)
            if (fixed) {
              tx.deadPlaces.set(d, fixed)
              this.runTx(now, tx)
            } else if (!this.askRegistryAbout(now, tx, d)) this.abortTx(now, tx)
            return
          }
        }
        // A removed dead node may still appear in another dead node's stale place: scrub it.
        if (this.scrubGone(forest, tx, gone, linked)) {
          this.runTx(now, tx)
          return
        }
        let changed = false
        tx.freeSlots = 0
        for (const d of linked) {
          // A dead node's place as its neighbours tell it may be short of a child (a repair changed
          // it while it was dead). Earlier attempts refuse it (fresh reads usually complete it; from
          // attempt 8 on, 3 bursts of 240 that were whole broke); the last removes it all the same
          // instead of giving up, leaving its extra slot free (counted).
          if (tx.attempt >= SHORT_DEAD_AFTER_ATTEMPTS)
            tx.freeSlots += removeDead(forest, d, createRng(tx.seed)).freeSlots.length
          else remove(forest, d, createRng(tx.seed))
          changed = true
        }
        if (!changed) {
          this.finishTx(now, tx, false)
          return
        }
      }
    } catch (err) {
      // An undefined id: a place read names a node that has left its place since (an island that
      // joins again); dropped below like any inconsistent peer data.
      if (err instanceof MissingPlacement && err.id !== undefined) {
        this.readMissing(tx, [err.id])
        return
      }
      if (err instanceof Error && err.name === 'LocalProtocolError') {
        this.abortTx(now, tx)
        return
      }
      // The transitions assume a consistent forest; the places an operation puts together for dead
      // neighbours come from peers and may not be (more orphans than free slots once made
      // transitions.ts's moveSlotDown read past its list; it dead-ends now). Peer data must not
      // crash the node: this attempt is dropped, counted.
      this.env.metric(PEER_METRIC.transitionErrors, 1)
      this.abortTx(now, tx)
      return
    }
    tx.writes = new Map()
    for (const id of forest.takeTouched()) {
      if (tx.dead.has(id)) continue
      tx.writes.set(id, copyPlacement(forest.placement(id)))
    }
    const keys = new Set<NodeId>([...tx.used, ...tx.writes.keys()])
    for (const d of tx.dead) keys.delete(d)
    if (tx.kind === 'join') keys.delete(this.env.self)
    tx.participants = [...keys]
    tx.phase = 'prepare'
    tx.waiting = new Set(tx.participants)
    for (const key of tx.participants) {
      const read = tx.reads.get(key)!
      const next = tx.writes.get(key)
      const flags = key === SPECIAL ? TX_SPECIAL : 0
      if (this.isLocal(key)) {
        this.onPrepare(this.env.self, tx.id, flags, read.version, next ?? null)
      } else if (next) {
        const type = rpcOfChange(tx.kind, this.env.self, read.placement, next)
        this.txSend(tx, key, { type, tx: tx.id, flags, ...toFields(read.version, next) })
      } else {
        this.txSend(tx, key, { type: 'hold', tx: tx.id, flags, version: read.version })
      }
      if (this.tx !== tx || tx.phase !== 'prepare') return
    }
    tx.timer = this.cancel(tx.timer)
    tx.timer = this.env.setTimer(TX_REPLY_MS, TIMER_TX)
  }

  /**
   * The live neighbours read do not say where a dead node is (a parent that took it on is not among
   * them): ask the registry, which keeps the places reported for it (ours). False if asked already.
   */
  private askRegistryAbout(now: number, tx: Tx, d: NodeId): boolean {
    if (tx.askedAbout.has(d)) return false
    tx.askedAbout.add(d)
    if (this.isSource) {
      const place = this.deadDirectory.lookup(d, this.f)
      if (!place) return false
      tx.deadPlaces.set(d, copyPlacement(place.placement))
      this.runTx(now, tx)
      return true
    }
    tx.phase = 'read'
    tx.waiting = new Set([d])
    this.txSend(tx, this.ctx.source, { type: 'ask', tx: tx.id, node: d })
    tx.timer = this.cancel(tx.timer)
    tx.timer = this.env.setTimer(TX_REPLY_MS, TIMER_TX)
    return true
  }

  /** SEARCH the places the run needs (unless prefetched already) and wait for them. */
  private readMissing(tx: Tx, ids: NodeId[]): void {
    tx.phase = 'read'
    tx.waiting = new Set(ids)
    for (const id of ids) {
      if (!tx.prefetched.has(id))
        this.txSend(tx, id, { type: 'search', tx: tx.id, flags: id === SPECIAL ? TX_SPECIAL : 0 })
    }
    tx.timer = this.cancel(tx.timer)
    tx.timer = this.env.setTimer(TX_REPLY_MS, TIMER_TX)
  }

  private loadForTx(tx: Tx, id: NodeId): Placement {
    tx.used.add(id)
    // A dead node's place as the operation has fixed it up, even if it answered a read before dying.
    if (tx.dead.has(id)) {
      const cached = this.deadPlace(tx, id)
      if (cached) return cached
      throw new LocalProtocolError(`p2pcast: place of dead node ${id} unknown`)
    }
    const read = tx.reads.get(id)
    if (read) return read.placement
    if (this.isLocal(id)) {
      const v = id === SPECIAL ? this.special! : this.own
      tx.reads.set(id, { version: v.version, placement: copyPlacement(v.placement) })
      return v.placement
    }
    throw new MissingPlacement(id)
  }

  private onState(now: number, from: NodeId, msg: State): void {
    if (msg.tx === PLACE_QUERY) {
      if (msg.parents.length === this.f) this.rememberParentPlace(from, msg)
      return
    }
    const tx = this.tx
    if (!tx || msg.tx !== tx.id) return
    const key = msg.flags & TX_SPECIAL ? SPECIAL : from
    if (tx.phase === 'probe' && key === tx.target) {
      // The parent answered: it is alive. If it no longer lists us, we were deleted by mistake.
      tx.timer = this.cancel(tx.timer)
      this.suspected.delete(tx.target)
      const me = this.isSource ? SPECIAL : this.env.self
      if (!msg.children.some((list) => list.includes(me))) this.rejoin(now)
      this.tx = null
      this.nextTx()
      return
    }
    if (tx.phase !== 'read' || tx.reads.has(key)) return
    const place = fromFields(this.f, msg)
    tx.reads.set(key, { version: msg.version, placement: place })
    // Prefetch the neighbours in parallel: the transitions read a node's parents and children
    // next, and one round trip for all of them beats one per step. Answers are optional (a dead
    // neighbour must not stall an operation that does not need it).
    for (const id of [...place.parent, ...place.children.flat()]) {
      if (id === undefined || tx.reads.has(id) || tx.prefetched.has(id) || this.isLocal(id)) continue
      if (id === this.ctx.source || tx.dead.has(id)) continue
      if (tx.prefetched.size >= PREFETCH_LIMIT) break
      tx.prefetched.add(id)
      this.txSend(tx, id, { type: 'search', tx: tx.id, flags: id === SPECIAL ? TX_SPECIAL : 0 })
    }
    if (!tx.waiting.delete(key) || tx.waiting.size > 0) return
    tx.timer = this.cancel(tx.timer)
    this.runTx(now, tx)
  }

  private onVote(now: number, from: NodeId, msg: Vote): void {
    const tx = this.tx
    if (!tx || msg.tx !== tx.id || tx.phase !== 'prepare') return
    const key = msg.flags & TX_SPECIAL ? SPECIAL : from
    if (!tx.waiting.has(key)) return
    if (!msg.ok) {
      this.abortTx(now, tx)
      return
    }
    tx.waiting.delete(key)
    if (tx.waiting.size > 0) return
    // Everyone holds its lock: commit.
    tx.phase = 'commit'
    tx.waiting = new Set(tx.participants)
    if (tx.freeSlots > 0) this.env.metric(PEER_METRIC.deadShortSlots, tx.freeSlots)
    if (tx.kind === 'join') this.becomeMember(now, tx.writes.get(this.env.self)!)
    for (const key of tx.participants) this.sendCommit(now, tx, key)
    this.learnCommittedPlaces(tx)
    if (this.tx !== tx) return
    tx.timer = this.cancel(tx.timer)
    tx.timer = this.env.setTimer(COMMIT_RESEND_MS, TIMER_TX)
  }

  /**
   * The coordinator knows the places it just committed: keep its new parents', for it may have to
   * delete one before that parent's UPDATE comes (seen: a parent that left between its yes vote and
   * the COMMIT never applied it, never sent an UPDATE, and the child could not delete it).
   */
  private learnCommittedPlaces(tx: Tx): void {
    for (const p of this.watchedParents()) {
      if (p === undefined || p === this.ctx.source || this.isLocal(p)) continue
      const read = tx.reads.get(p)
      if (!read) continue
      const written = tx.writes.get(p)
      const place: Versioned = written
        ? { version: read.version + 1, placement: copyPlacement(written) }
        : { version: read.version, placement: copyPlacement(read.placement) }
      const known = this.parentPlaces.get(p)
      if (!known || known.version < place.version) this.parentPlaces.set(p, place)
    }
  }

  private sendCommit(now: number, tx: Tx, key: NodeId): void {
    const flags = key === SPECIAL ? TX_SPECIAL : 0
    if (this.isLocal(key)) {
      this.onCommit(now, this.env.self, tx.id, flags)
      this.onAck(now, this.env.self, flags)
    } else {
      this.txSend(tx, key, { type: 'commit', tx: tx.id, flags })
    }
  }

  private onAck(now: number, from: NodeId, flags: number): void {
    const tx = this.tx
    if (tx?.phase !== 'commit') return
    tx.waiting.delete(flags & TX_SPECIAL ? SPECIAL : from)
    if (tx.waiting.size === 0) this.finishTx(now, tx, true)
  }

  private onTxTimer(now: number, tx: Tx): void {
    switch (tx.phase) {
      case 'probe':
        // No answer: the parent is dead, start the deletion.
        this.runTx(now, tx)
        return
      case 'read': {
        const silent = [...tx.waiting].filter((z) => !tx.dead.has(z))
        // One lost message must not look like a dead node: SEARCH the silent ones once more.
        const again = silent.filter((z) => !tx.resent.has(z))
        if (again.length > 0) {
          for (const z of again) {
            tx.resent.add(z)
            this.txSend(tx, z, { type: 'search', tx: tx.id, flags: z === SPECIAL ? TX_SPECIAL : 0 })
          }
          tx.timer = this.env.setTimer(TX_REPLY_MS, TIMER_TX)
          return
        }
        if (tx.kind === 'delete' && silent.length > 0 && this.deleteSilent(now, tx, silent)) return
        if (tx.kind === 'delete' && tx.attempt + 1 >= ISLAND_REJOIN_ATTEMPTS) {
          const island = this.islandCheck(now, tx, silent)
          if (island === true) {
            this.leaveIsland(now, tx)
            return
          }
          if (island.length > 0 && !tx.childrenProbed) {
            // Children send nothing up: read them before judging.
            tx.childrenProbed = true
            this.readMissing(tx, island)
            return
          }
        }
        this.abortTx(now, tx)
        return
      }
      case 'prepare':
        this.abortTx(now, tx)
        return
      case 'commit':
        if (++tx.resends > COMMIT_RESENDS) {
          this.finishTx(now, tx, true)
          return
        }
        for (const key of tx.waiting) this.sendCommit(now, tx, key)
        if (this.tx === tx) tx.timer = this.env.setTimer(COMMIT_RESEND_MS, TIMER_TX)
        return
      case 'backoff':
        if (tx.attempt < 0) {
          // The registry's contact did not come: ask again.
          this.tx = null
          this.nextTx()
          return
        }
        tx.reads = new Map()
        tx.prefetched = new Set()
        tx.askedAbout = new Set()
        tx.childrenProbed = false
        tx.seed = this.env.rng.int(0x7fffffff)
        this.runTx(now, tx)
        return
    }
  }

  /**
   * A deletion found more neighbours dead (they died together): delete them in the same operation
   * when their places are known — a grandparent's we hold; any other's a child of it can tell
   * (ASK/KNOWN; children hold their parents' places). Returns false when there is nobody to ask.
   */
  private deleteSilent(now: number, tx: Tx, silent: NodeId[]): boolean {
    const unknown = silent.filter((z) => !this.deadPlace(tx, z))
    if (this.dropGone(tx, unknown)) {
      tx.waiting.clear()
      this.runTx(now, tx)
      return true
    }
    if (unknown.length === 0) {
      for (const z of silent) {
        tx.deadPlaces.set(z, copyPlacement(this.deadPlace(tx, z)!))
        tx.dead.add(z)
      }
      tx.waiting.clear()
      this.runTx(now, tx)
      return true
    }
    let asked = false
    for (const z of unknown) {
      if (tx.askedAbout.has(z)) continue
      tx.askedAbout.add(z)
      let n = 0
      for (const [id, v] of tx.reads) {
        if (n >= this.f || id === z || !v.placement.parent.includes(z)) continue
        this.txSend(tx, id, { type: 'ask', tx: tx.id, node: z })
        n++
      }
      // The registry keeps the places children reported with their suspicion (ours).
      if (!this.isSource) this.txSend(tx, this.ctx.source, { type: 'ask', tx: tx.id, node: z })
      asked ||= n > 0 || !this.isSource
    }
    if (asked) {
      tx.timer = this.env.setTimer(TX_REPLY_MS, TIMER_TX)
      return true
    }
    // Nobody (more) to ask: put the places together from what links to them (ours, counted).
    const assembled = new Map<NodeId, Placement>()
    for (const z of unknown) {
      const place = assembleDeadPlace(this.f, z, tx.reads, tx.dead, (d) => this.deadPlace(tx, d))
      if (!place) return false
      assembled.set(z, place)
    }
    for (const z of silent) {
      tx.deadPlaces.set(z, assembled.get(z) ?? copyPlacement(this.deadPlace(tx, z)!))
      tx.dead.add(z)
    }
    this.env.metric(PEER_METRIC.deadPlacesAssembled, assembled.size)
    tx.waiting.clear()
    this.runTx(now, tx)
    return true
  }

  /**
   * Silent nodes of unknown place that no live node we read links to are named only by stale
   * copies of dead places (another operation removed them): take them out of those places, which
   * are completed from the live nodes read (ours; counted as `deadPlaceScrubs`). True if it did.
   */
  private dropGone(tx: Tx, silent: NodeId[]): boolean {
    const gone = new Set(silent.filter((z) => !linkedByLive(z, tx.reads, tx.dead)))
    if (gone.size === 0) return false
    const fixed = new Map<NodeId, Placement>()
    for (const d of tx.dead) {
      const place = this.deadPlace(tx, d)
      if (!place) continue
      if (
        !place.parent.some((p) => p !== undefined && gone.has(p)) &&
        !place.children.flat().some((c) => gone.has(c))
      )
        continue
      const without = withoutGone(place, d, gone, tx.reads, tx.dead)
      if (!without) return false
      fixed.set(d, without)
    }
    if (fixed.size === 0) return false
    for (const [d, place] of fixed) tx.deadPlaces.set(d, place)
    this.env.metric(PEER_METRIC.deadPlaceScrubs, 1)
    return true
  }

  /** Drop `gone` nodes from the places of the `linked` dead ones; true if anything changed. */
  private scrubGone(forest: Forest, tx: Tx, gone: NodeId[], linked: NodeId[]): boolean {
    if (gone.length === 0) return false
    let changed = false
    for (const d of linked) {
      const p = forest.placement(d)
      if (!p.children.some((list) => list.some((c) => gone.includes(c)))) continue
      tx.deadPlaces.set(d, {
        parent: p.parent.slice(),
        children: p.children.map((list) => list.filter((c) => !gone.includes(c))),
      })
      changed = true
    }
    return changed
  }

  private deadPlace(tx: Tx, id: NodeId): Placement | undefined {
    const held =
      tx.reads.get(id) ??
      this.parentPlaces.get(id) ??
      this.grandPlaces.get(id) ??
      (this.isSource ? this.deadDirectory.lookup(id, this.f) : undefined)
    return tx.deadPlaces.get(id) ?? held?.placement
  }

  /**
   * KNOWN outside any operation: at the source, a child reporting its dead parent's place (kept for
   * peers that ask); at a peer, the registry's answer about a dead parent whose place it lacked.
   */
  private onPlaceReport(from: NodeId, msg: Known): void {
    if (msg.parents.length !== this.f) return
    const place: Versioned = { version: msg.version, placement: fromFields(this.f, msg) }
    if (this.isSource) {
      this.deadDirectory.report(msg.node, place)
      return
    }
    if (from !== this.ctx.source || !this.isParent(msg.node) || this.parentPlaces.has(msg.node)) return
    this.env.metric(PEER_METRIC.deadPlaceLookups, 1)
    this.parentPlaces.set(msg.node, place)
  }

  private onKnown(now: number, msg: Known): void {
    const tx = this.tx
    if (!tx || tx.id !== msg.tx || tx.phase !== 'read' || !tx.waiting.has(msg.node)) return
    if (msg.parents.length !== this.f) return
    tx.deadPlaces.set(msg.node, fromFields(this.f, msg))
    tx.dead.add(msg.node)
    tx.waiting.delete(msg.node)
    if ([...tx.waiting].some((z) => !tx.dead.has(z))) return
    tx.timer = this.cancel(tx.timer)
    tx.waiting.clear()
    this.runTx(now, tx)
  }

  private abortTx(_now: number, tx: Tx): void {
    this.env.metric(PEER_METRIC.txAborts, 1)
    const silentContact = tx.kind === 'join' && tx.phase === 'read'
    // The registry handed out a contact that does not answer: it stops handing it out (the
    // node's own children delete it from the forest; crashed nodes never say DELETE themselves).
    if (silentContact && !tx.reads.has(tx.target) && this.params.join === 'registry') {
      this.env.send(this.ctx.source, { type: 'delete', node: tx.target })
    }
    if (tx.phase === 'prepare') {
      for (const key of tx.participants) {
        const flags = key === SPECIAL ? TX_SPECIAL : 0
        if (this.isLocal(key)) this.onAbort(this.env.self, tx.id, flags)
        else this.txSend(tx, key, { type: 'abort', tx: tx.id, flags })
      }
    }
    tx.timer = this.cancel(tx.timer)
    if (++tx.attempt >= MAX_TX_ATTEMPTS || silentContact) {
      // A join whose reads go unanswered (the contact or a node on the walk is gone) starts
      // over with a new contact; anything else gives up after MAX_TX_ATTEMPTS.
      if (!silentContact) this.env.metric(PEER_METRIC.txGiveUps, 1)
      if (tx.kind === 'delete') this.suspected.delete(tx.target)
      this.tx = null
      this.nextTx()
      return
    }
    tx.phase = 'backoff'
    const delay = 100 * 2 ** Math.min(tx.attempt, 4) * (0.5 + this.env.rng.next())
    tx.timer = this.env.setTimer(delay, TIMER_TX)
  }

  private finishTx(_now: number, tx: Tx, changed: boolean): void {
    tx.timer = this.cancel(tx.timer)
    this.env.metric(tx.kind === 'join' ? PEER_METRIC.joinMessages : PEER_METRIC.deleteMessages, tx.messages)
    if (tx.kind === 'join') {
      if (this.params.join === 'registry') this.env.send(this.ctx.source, { type: 'joined' })
    } else {
      for (const d of tx.dead) {
        this.suspected.delete(d)
        this.parentPlaces.delete(d)
        this.grandPlaces.delete(d)
        if (changed && this.params.join === 'registry')
          this.env.send(this.ctx.source, { type: 'delete', node: d })
      }
    }
    this.tx = null
    this.nextTx()
  }

  private rejoin(now: number): void {
    this.member = false
    this.own = { version: this.own.version, placement: emptyPlace(this.f) }
    this.parentPlaces.clear()
    this.grandPlaces.clear()
    this.wanted = []
    this.suspected.clear()
    this.joinStartedMs = now
    this.wantJoin = true
  }

  private becomeMember(now: number, place: Placement): void {
    this.own = { version: this.own.version + 1, placement: copyPlacement(place) }
    if (!this.member) this.env.metric(PEER_METRIC.parentDiscoveryMs, now - this.joinStartedMs)
    this.member = true
    this.wantJoin = false
    this.lastHeard.fill(now)
    this.adoptPendingPlaces()
    this.sendUpdate()
  }

  // ---- transactions: the participant's side ----------------------------------------------------

  /** SEARCH: answer with our place (or the special node's, at the source). */
  private onSearch(from: NodeId, tx: number, flags: number): void {
    const special = (flags & TX_SPECIAL) !== 0
    const v = special ? this.special : this.member ? this.own : null
    if (!v) return
    this.env.send(from, { type: 'state', tx, flags: flags & TX_SPECIAL, ...toFields(v.version, v.placement) })
  }

  /**
   * TAKEON / SUBSTITUTE / REPLACE / DIRECT (with the new place) or HOLD (`next` null): vote yes
   * only at the version the operation read and when no conflicting operation holds the place; an
   * older operation blocked by younger ones waits for them (wait-die, `PlaceLock`).
   */
  private onPrepare(from: NodeId, tx: number, flags: number, version: number, next: Placement | null): void {
    const special = (flags & TX_SPECIAL) !== 0
    const req: LockRequest = { coord: from, tx, flags: flags & TX_SPECIAL, version, next }
    const v = special ? this.special : this.member ? this.own : null
    if (!v) {
      this.sendVote(req, false)
      return
    }
    const lock = special ? this.lockSpecial : this.lockOwn
    const answer = lock.request(req, v.version, this.lastNow + this.params.holdLeaseMs)
    if (answer === 'wait') {
      this.env.metric(PEER_METRIC.lockWaits, 1)
      return
    }
    if (answer === 'yes') this.armLease(special)
    this.sendVote(req, answer === 'yes')
  }

  private sendVote(req: LockRequest, ok: boolean): void {
    const vote: Vote = { type: 'vote', tx: req.tx, flags: req.flags, ok }
    if (req.coord === this.env.self) this.onVote(this.lastNow, this.env.self, vote)
    else this.env.send(req.coord, vote)
  }

  /** A lock was released: decide the prepares queued behind it. */
  private serveLock(special: boolean): void {
    const v = special ? this.special : this.member ? this.own : null
    const lock = special ? this.lockSpecial : this.lockOwn
    const decisions = v ? lock.serve(v.version, this.lastNow + this.params.holdLeaseMs) : []
    if (!v) for (const req of lock.clear()) decisions.push({ req, ok: false })
    if (decisions.some((d) => d.ok)) this.armLease(special)
    for (const d of decisions) this.sendVote(d.req, d.ok)
  }

  /** One lease timer per place, at the earliest lease end (every lease has the same length). */
  private armLease(special: boolean): void {
    if ((special ? this.leaseTimerSpecial : this.leaseTimerOwn) !== null) return
    const until = (special ? this.lockSpecial : this.lockOwn).nextExpiry
    if (until === undefined) return
    const timer = this.env.setTimer(
      Math.max(1, until - this.lastNow),
      special ? TIMER_LEASE_SPECIAL : TIMER_LEASE,
    )
    if (special) this.leaseTimerSpecial = timer
    else this.leaseTimerOwn = timer
  }

  private onCommit(now: number, from: NodeId, tx: number, flags: number): void {
    const special = (flags & TX_SPECIAL) !== 0
    const lock = special ? this.lockSpecial : this.lockOwn
    const held = lock.release(from, tx)
    if (!held) return
    if (held.next) this.apply(now, special, held.next)
    this.serveLock(special)
  }

  private apply(now: number, special: boolean, next: Placement): void {
    if (special) {
      const s = this.special!
      for (let t = 0; t < this.f; t++) if (s.placement.parent[t] !== next.parent[t]) this.lastHeard[t] = now
      s.version++
      s.placement = next
      for (const p of [...this.parentPlaces.keys()]) if (!next.parent.includes(p)) this.parentPlaces.delete(p)
      this.adoptPendingPlaces()
      return
    }
    const old = this.own.placement
    this.noteHandover(now, old, next)
    for (let t = 0; t < this.f; t++) if (old.parent[t] !== next.parent[t]) this.lastHeard[t] = now
    this.own = { version: this.own.version + 1, placement: next }
    for (const p of [...this.parentPlaces.keys()]) if (!next.parent.includes(p)) this.parentPlaces.delete(p)
    this.adoptPendingPlaces()
    this.sendUpdate()
  }

  private onAbort(from: NodeId, tx: number, flags: number): void {
    const special = (flags & TX_SPECIAL) !== 0
    const lock = special ? this.lockSpecial : this.lockOwn
    if (lock.release(from, tx)) this.serveLock(special)
  }

  /** UPDATE (§7): "a node sends its updated state to its children". */
  private sendUpdate(): void {
    if (!this.member || this.isSource) return
    const p = this.own.placement
    const msg: P2PCastMessage = {
      type: 'update',
      version: this.own.version,
      member: true,
      parents: p.parent.map((x) => x!),
      children: p.children,
    }
    for (const c of this.distinctChildren()) this.env.send(c, msg)
  }

  private rememberParentPlace(from: NodeId, msg: PlacementFields): void {
    if (!this.isParent(from)) {
      this.pendingPlaces.delete(from)
      this.pendingPlaces.set(from, { version: msg.version, placement: fromFields(this.f, msg) })
      if (this.pendingPlaces.size > 4 * this.f)
        this.pendingPlaces.delete(this.pendingPlaces.keys().next().value!)
      return
    }
    const known = this.parentPlaces.get(from)
    if (known && known.version > msg.version) return
    this.parentPlaces.set(from, { version: msg.version, placement: fromFields(this.f, msg) })
    // Pass it one level down, and forget grandparents no parent of ours names any more.
    this.relayDown(from, this.parentPlaces.get(from)!)
    const grand = new Set<NodeId>()
    for (const v of this.parentPlaces.values())
      for (const g of v.placement.parent) if (g !== undefined) grand.add(g)
    for (const g of [...this.grandPlaces.keys()]) if (!grand.has(g)) this.grandPlaces.delete(g)
  }

  /** Our parents changed: take the places that arrived early. */
  private adoptPendingPlaces(): void {
    for (const p of this.watchedParents()) {
      if (p === undefined) continue
      const early = this.pendingPlaces.get(p)
      if (!early) continue
      this.pendingPlaces.delete(p)
      const known = this.parentPlaces.get(p)
      if (!known || known.version <= early.version) this.parentPlaces.set(p, early)
    }
  }

  private relayDown(node: NodeId, v: Versioned): void {
    if (this.isSource || !this.member) return
    const relay: P2PCastMessage = { type: 'relay', node, ...toFields(v.version, v.placement) }
    for (const c of this.distinctChildren()) this.env.send(c, relay)
  }

  private rememberGrandPlace(from: NodeId, msg: PlacementFields & { node: NodeId }): void {
    const parentPlace = this.parentPlaces.get(from)
    if (!this.isParent(from) || !parentPlace?.placement.parent.includes(msg.node)) return
    if (msg.parents.length !== this.f) return
    const known = this.grandPlaces.get(msg.node)
    if (known && known.version > msg.version) return
    this.grandPlaces.set(msg.node, { version: msg.version, placement: fromFields(this.f, msg) })
  }

  // ---- join without the registry: the random walk ---------------------------------------------

  /**
   * One step of a joiner's random walk over parent/child links: forward to a random neighbour, or
   * at the end answer the joiner with ourselves as its contact. The source stands for the special
   * node it keeps (a walk ending there answers SPECIAL, like the registry may) and its neighbours
   * are the roots and the special node's parents. A node not (yet) in the forest sends the walk
   * back to the source. Degrees are about 2f everywhere, so the walk's end is close to uniform
   * after a few tree heights' worth of steps.
   */
  private onWalk(joiner: NodeId, ttl: number): void {
    if (joiner === this.env.self) return
    const me = this.isSource ? SPECIAL : this.env.self
    if (!this.member) {
      if (!this.isSource) this.env.send(this.ctx.source, { type: 'walk', joiner, ttl: Math.max(0, ttl - 1) })
      return
    }
    const next = ttl > 0 ? this.walkNeighbours(joiner) : []
    if (next.length === 0) {
      this.env.send(joiner, { type: 'contact', node: me })
      return
    }
    this.env.send(next[this.env.rng.int(next.length)]!, { type: 'walk', joiner, ttl: ttl - 1 })
  }

  private walkNeighbours(joiner: NodeId): NodeId[] {
    const out = new Set<NodeId>()
    const places = this.isSource ? [this.own.placement, this.special!.placement] : [this.own.placement]
    for (const p of places) {
      for (const id of [...p.parent, ...p.children.flat()]) {
        if (id === undefined || id === SPECIAL || id === this.env.self || id === joiner) continue
        out.add(id)
      }
    }
    // A walk that steps onto a dead node is lost: skip the parents we have not heard from lately
    // (children send nothing up, so only parents can be judged) and the ones we suspect.
    const watched = this.watchedParents()
    for (let t = 0; t < this.f; t++) {
      const p = watched[t]
      if (p !== undefined && this.lastNow - this.lastHeard[t]! > this.livenessMs) out.delete(this.wire(p))
    }
    for (const id of this.suspected) out.delete(id)
    return [...out]
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private isLocal(key: NodeId): boolean {
    return key === this.env.self || (key === SPECIAL && this.isSource)
  }

  private wire(id: NodeId): NodeId {
    return id === SPECIAL ? this.ctx.source : id
  }

  private distinctChildren(): NodeId[] {
    return [...new Set(this.own.placement.children.flat().map((c) => this.wire(c)))]
  }

  private cancel(timer: TimerId | null): null {
    if (timer !== null) this.env.cancelTimer(timer)
    return null
  }
}
