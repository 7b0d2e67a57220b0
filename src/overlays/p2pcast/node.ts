import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Env, NodeContext, Protocol, TimerId, TopologyView } from '../../core/protocol.ts'
import type { Chunk, ChunkMessage } from '../../stream/chunk.ts'
import { groupOf, ParityEncoder, StripeDecoder, stripeOf } from '../../stream/stripes.ts'
import { DeliveredSeqs, HoleWatch, PendingAsks, RecentChunks } from './backfill.ts'
import { FirstCopy, GraceEdges, UploadCredit } from './handover.ts'
import { MAX_BACKFILL_SEQS, type P2PCastMessage, type Update } from './messages.ts'
import type { P2PCastParams } from './params.ts'
import { publishStriped } from './publish.ts'
import { Registry, SPECIAL } from './registry.ts'
import { REGISTRY_METRIC, RegistryRole } from './registry-role.ts'

export const TIMER_HEARTBEAT = 1
export const TIMER_JOIN = 2

export const METRIC = {
  parentDiscoveryMs: 'parentDiscoveryMs',
  parentFailures: 'parentFailures',
  chunksRebuilt: 'chunksRebuilt',
  ...REGISTRY_METRIC,
  /** A stripe's outage: last chunk or beat heard from a silent parent until its replacement is known. */
  repairMs: 'repairMs',
  /** Chunks a parent resent to a child that asked after a repair (see backfill.ts). */
  backfilledChunks: 'backfilledChunks',
  /** Backfill copies not sent: extra (not owed) and the upload credit spent. */
  backfillUnpaid: 'backfillUnpaid',
} as const

const HEARTBEAT: P2PCastMessage = { type: 'heartbeat' }
const JOIN: P2PCastMessage = { type: 'join' }
const ALIVE: P2PCastMessage = { type: 'alive' }
const HANDOVER_DONE: P2PCastMessage = { type: 'handover-done' }

/**
 * One P2PCast node. A viewer asks the registry (kept by the source) to JOIN, learns its parent and
 * children in each stripe tree from UPDATEs, forwards each stripe it receives from that stripe's
 * parent to its children in that tree, and rebuilds a missing data chunk from parity. A parent
 * silent for heartbeatMs * missLimit is reported with DELETE (§7). The source cuts the stream
 * into stripes, feeds each tree's root, runs the registry and hosts the special node.
 *
 * Viewer states: outside (no UPDATE yet, JOIN pending) -> member (UPDATE with member = true)
 * -> outside again on UPDATE member = false (deleted on suspicion) -> gone (leave).
 */
export class P2PCastNode implements Protocol<P2PCastMessage> {
  readonly registry: Registry | null
  /** The source's registry role (JOIN, verified DELETE, paced UPDATEs); null on viewers. */
  readonly registryRole: RegistryRole | null
  private readonly f: number
  private member = false
  private gone = false
  private version = -1
  private parents: (NodeId | undefined)[]
  private children: readonly (readonly NodeId[])[]
  /** Distinct children across trees (heartbeat fan-out, topology). */
  private childSet: NodeId[] = []
  private readonly lastHeard: number[]
  /** When we last relayed a chunk to each tree's children (a beat is skipped right after one). */
  private readonly lastRelayAt: number[]
  private readonly reportedAt = new Map<NodeId, number>()
  private readonly livenessMs: number
  private readonly decoder: StripeDecoder
  private readonly encoder: ParityEncoder | null
  /** Make-before-break: children a move took from us, still fed during the grace window. */
  private readonly formerChildren: GraceEdges
  /** Make-before-break: parents a move took from us, still accepted during the grace window. */
  private readonly formerParents: GraceEdges
  /** Per stripe: relay each chunk once, whichever feed brought it first. */
  private readonly relayed: FirstCopy[]
  /** Backfill, parent side: what we delivered lately, for a child that asks after a repair. */
  private readonly recent: RecentChunks
  /** Backfill, child side: which seqs we delivered, and which missing ones are holes to ask about. */
  private readonly deliveredSeqs: DeliveredSeqs
  private readonly holes: HoleWatch
  /** Backfill, parent side: children that asked for seqs we did not hold yet. */
  private readonly pendingAsks: PendingAsks
  /** Per stripe: the parent a move took from us, told to stop once the new parent's feed arrives. */
  private readonly awaitingFeed: (NodeId | undefined)[]
  /** Pays for make-before-break copies and backfills (see UploadCredit). */
  private readonly credit: UploadCredit
  private heartbeatTimer: TimerId | null = null
  private joinTimer: TimerId | null = null
  private joinStartedMs = 0

  constructor(
    private readonly env: Env<P2PCastMessage>,
    private readonly ctx: NodeContext,
    private readonly params: P2PCastParams,
  ) {
    const f = params.stripes
    this.f = f
    this.parents = new Array<NodeId | undefined>(f).fill(undefined)
    this.children = Array.from({ length: f }, () => [])
    this.lastHeard = new Array<number>(f).fill(0)
    this.lastRelayAt = new Array<number>(f).fill(Number.NEGATIVE_INFINITY)
    this.livenessMs = params.reportSilenceMs || params.heartbeatMs * params.heartbeatMissLimit
    this.decoder = new StripeDecoder(f, params.decoderGroups)
    // A move ends at most f edges in each direction per tree; 2f^2 keeps a second move's as well.
    this.formerChildren = new GraceEdges(params.handoverGraceMs, 2 * f * f)
    this.formerParents = new GraceEdges(params.handoverGraceMs, 2 * f)
    this.relayed = Array.from({ length: f }, () => new FirstCopy())
    this.recent = new RecentChunks(params.backfillChunks, params.backfillMs)
    this.deliveredSeqs = new DeliveredSeqs(Math.max(64, 2 * params.backfillChunks))
    this.holes = new HoleWatch(params.parity ? f : f - 1, f - 1, params.heartbeatMs, 2 * params.heartbeatMs)
    this.pendingAsks = new PendingAsks(f * f + f, params.backfillChunks, params.backfillMs)
    this.awaitingFeed = new Array<NodeId | undefined>(f).fill(undefined)
    this.credit = new UploadCredit(params.extraUploadShare, 2 * params.backfillChunks + 2 * f)
    const isSource = ctx.role === 'source'
    this.registry = isSource ? new Registry(f, env.self, env.rng.fork(1)) : null
    this.registryRole = this.registry
      ? new RegistryRole(env, ctx, params, this.registry, {
          specialMoved: (now) => this.placeSpecial(now),
          rootReplaced: (now, old, t) => this.formerChildren.add(now, old, t),
          rootTaken: (root, t) => this.formerChildren.remove(root, t),
        })
      : null
    this.encoder = isSource ? new ParityEncoder(f) : null
  }

  start(now: number): void {
    this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
    if (this.registry) return
    this.joinStartedMs = now
    this.sendJoin()
  }

  publish(now: number, chunk: Chunk): void {
    if (!this.registry || !this.encoder) throw new LocalProtocolError('p2pcast: publish() called on a viewer')
    publishStriped(this.env, this.encoder, this.f, this.params.parity, chunk, (t, msg) =>
      this.sendToRoot(now, t, msg),
    )
  }

  private sendToRoot(now: number, t: number, msg: ChunkMessage): void {
    const forest = this.registry!.forest
    const root = forest.rootOf(t)
    if (root !== SPECIAL) this.env.send(root, msg)
    // Bootstrap shape (f > 2, fewer than f peers): the special node roots tree t, its children are
    // every peer, and the source feeds them directly (bootstrap.ts). Empty otherwise.
    else for (const c of forest.childrenOf(SPECIAL, t)) this.env.send(c, msg)
    if (this.formerChildren.size === 0) return
    // Make-before-break for a root a join or deletion just replaced (it was our child in tree t).
    for (const old of this.formerChildren.inWindow(now, t)) if (old !== root) this.env.send(old, msg)
  }

  onMessage(now: number, from: NodeId, msg: P2PCastMessage): void {
    if (this.gone) return
    switch (msg.type) {
      case 'chunk':
        this.onChunk(now, from, msg)
        return
      case 'heartbeat':
        this.noteAlive(now, from)
        return
      case 'probe':
        this.noteAlive(now, from)
        // The registry verifies a report against us. A joiner whose UPDATE is still queued at the
        // registry answers too: it is in the forest already.
        if (from === this.ctx.source && !this.registry) this.env.send(from, ALIVE)
        return
      case 'alive':
        this.registryRole?.onAlive(now, from)
        return
      case 'update':
        if (from === this.ctx.source && !this.registry) this.onUpdate(now, msg)
        return
      case 'join':
        this.registryRole?.onJoin(now, from)
        return
      case 'backfill':
        if (!this.registry) this.backfill(now, from, msg.seqs)
        return
      case 'handover-done':
        // From a child we lost (its new feed works) or one leaving: stop the make-before-break copies.
        if (!this.registry) this.formerChildren.release(now, from)
        return
      case 'delete':
        this.registryRole?.onDelete(now, from, msg.node)
        return
    }
  }

  onTimer(now: number, kind: number, arg: NodeId | undefined): void {
    if (this.gone) return
    if (kind === TIMER_HEARTBEAT) {
      this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
      this.heartbeat(now)
    } else if (kind === TIMER_JOIN) {
      this.joinTimer = null
      if (!this.member) this.sendJoin()
    } else this.registryRole?.onTimer(now, kind, arg)
  }

  leave(_now: number): void {
    if (this.gone) return
    if (this.member) {
      this.env.send(this.ctx.source, { type: 'delete', node: this.env.self })
      // Our parents would otherwise keep make-before-break copies coming to us after their UPDATE.
      for (const p of new Set(this.parents))
        if (p !== undefined && p !== this.ctx.source) this.env.send(p, HANDOVER_DONE)
    }
    this.gone = true
    this.member = false
    this.heartbeatTimer = this.cancel(this.heartbeatTimer)
    this.joinTimer = this.cancel(this.joinTimer)
  }

  topology(): TopologyView {
    if (this.registry) {
      const roots = new Set<NodeId>()
      for (let t = 0; t < this.f; t++) {
        const root = this.registry.forest.rootOf(t)
        if (root !== SPECIAL) roots.add(root)
        else for (const c of this.registry.forest.childrenOf(SPECIAL, t)) roots.add(c)
      }
      return { parents: [], children: [...roots], connected: true, maxChildren: this.f }
    }
    const placed = this.member && this.parents.every((p) => p !== undefined)
    return {
      parents: placed ? (this.parents as NodeId[]).slice() : [],
      children: this.member ? this.childSet.slice() : [],
      connected: placed,
      maxChildren: this.f,
    }
  }

  // ---- data ---------------------------------------------------------------------------------

  private onChunk(now: number, from: NodeId, msg: ChunkMessage): void {
    const t = stripeOf(msg.chunk, this.f)
    if (t < 0 || t >= this.f) return
    if (this.registry) {
      // Chunks reaching the source are the special node's feed: they only prove its parents alive.
      this.noteAlive(now, from)
      return
    }
    if (!this.member) return
    // A moved edge's old parent feeds for a while; a backfill comes from a parent in any tree.
    let backfilled = false
    if (from === this.parents[t]) {
      this.lastHeard[t] = now
      if (this.awaitingFeed[t] !== undefined) this.confirmFeed(t)
    } else if (!this.formerParents.has(now, from, t)) {
      if (!this.parents.includes(from)) return
      backfilled = true
    }
    if (!backfilled) this.holes.heard(now, t, groupOf(msg.chunk, this.f))
    for (const c of this.decoder.push(msg.chunk)) {
      this.env.deliver(c, msg.hops)
      this.deliveredSeqs.note(c.seq)
      const out: ChunkMessage = { type: 'chunk', chunk: c, hops: msg.hops + 1 }
      this.recent.push(now, out)
      // Children that asked for it while we lacked it too: the backfill flows down the cut subtree.
      for (const child of this.pendingAsks.take(now, c.seq)) this.sendBackfill(child, out)
    }
    if (!backfilled) this.askForHoles(now)
    // A backfill goes on only to children that ask for it (above); the regular relay is for live chunks.
    if (backfilled || !this.relayed[t]!.take(msg.chunk.seq)) return
    const kids = this.children[t]!
    const former = this.formerChildren.size === 0 ? [] : this.formerChildren.inWindow(now, t)
    if (kids.length === 0 && former.length === 0) return
    const out: ChunkMessage = { type: 'chunk', chunk: msg.chunk, hops: msg.hops + 1 }
    for (let i = 0; i < kids.length; i++) this.env.send(kids[i]!, out)
    if (kids.length > 0) {
      this.lastRelayAt[t] = now
      this.credit.earn(kids.length)
    }
    for (const c of former) if (!kids.includes(c) && this.credit.spend()) this.env.send(c, out)
  }

  // ---- membership -------------------------------------------------------------------------------

  private sendJoin(): void {
    this.env.send(this.ctx.source, JOIN)
    this.joinTimer = this.cancel(this.joinTimer)
    this.joinTimer = this.env.setTimer(this.params.joinTimeoutMs, TIMER_JOIN)
  }

  private onUpdate(now: number, msg: Update): void {
    if (msg.version < this.version) return
    this.version = msg.version
    if (!msg.member) {
      if (!this.member) return
      // Deleted on suspicion (or our DELETE raced a join): start over.
      this.member = false
      this.parents.fill(undefined)
      this.children = Array.from({ length: this.f }, () => [])
      this.childSet = []
      this.formerChildren.clear()
      this.formerParents.clear()
      this.awaitingFeed.fill(undefined)
      this.recent.clear()
      this.holes.clear()
      this.pendingAsks.clear()
      this.joinStartedMs = now
      this.sendJoin()
      return
    }
    if (msg.parents.length !== this.f || msg.children.length !== this.f) return
    const wasMember = this.member
    if (!this.member) {
      this.env.metric(METRIC.parentDiscoveryMs, now - this.joinStartedMs)
      this.joinTimer = this.cancel(this.joinTimer)
    }
    this.member = true
    if (wasMember) this.noteMovedEdges(now, msg)
    for (let t = 0; t < this.f; t++) {
      if (this.parents[t] !== msg.parents[t]) {
        // A parent that missed two beats was being repaired, not moved by a join (a tree without
        // chunks, parity off, hears its parent only once a beat).
        if (wasMember && now - this.lastHeard[t]! > 2 * this.params.heartbeatMs)
          this.env.metric(METRIC.repairMs, now - this.lastHeard[t]!)
        this.lastHeard[t] = now
      }
      this.parents[t] = msg.parents[t]
    }
    this.children = msg.children
    this.childSet = [...new Set(msg.children.flat())]
    // reportedAt is kept: a parent the registry found alive is not reported again at once.
  }

  /**
   * The new parent's first chunk on stripe t arrived: tell the old one (`handover-done`) so it stops
   * its grace copies. Its chunks still in flight are accepted until the window ends. The source is
   * not told (its grace copies to a replaced root simply end with the window).
   */
  private confirmFeed(t: number): void {
    const old = this.awaitingFeed[t]!
    this.awaitingFeed[t] = undefined
    if (old !== this.ctx.source) this.env.send(old, HANDOVER_DONE)
  }

  /** Make-before-break: the edges this UPDATE ends stay usable for the grace window. */
  private noteMovedEdges(now: number, msg: Update): void {
    for (let t = 0; t < this.f; t++) {
      const old = this.parents[t]
      const next = msg.parents[t]!
      if (old !== undefined && old !== next) {
        this.formerParents.add(now, old, t)
        this.awaitingFeed[t] = old
      }
      this.formerParents.remove(next, t)
      const kids = msg.children[t]!
      for (const c of this.children[t]!) if (!kids.includes(c)) this.formerChildren.add(now, c, t)
      for (const c of kids) this.formerChildren.remove(c, t)
    }
  }

  /**
   * Every stripe has gone past seqs we never delivered (two overlapping repairs cut them all, here
   * or above us): ask a parent for them (§7's orphan "opens a TCP connection to the new parent"),
   * the next parent in turn when a seq is asked again.
   */
  private askForHoles(now: number): void {
    const { seqs, again } = this.holes.due(
      now,
      this.deliveredSeqs,
      this.params.backfillChunks,
      MAX_BACKFILL_SEQS,
    )
    if (seqs.length > 0) this.askParents(now, seqs, again)
  }

  /**
   * First split among the parents whose feeds flow (a cut one would only pass the ask up): each
   * serves a share, so no uplink carries the whole backfill. Asked again, a seq goes to the next
   * parent, a cut one included (it gets the seq through its own ask).
   */
  private askParents(now: number, seqs: readonly number[], again: boolean): void {
    const asked: NodeId[] = []
    for (let t = 0; t < this.f; t++) {
      const p = this.parents[t]
      if (p === undefined || p === this.ctx.source || asked.includes(p)) continue
      if (again || this.holes.flowing(now, t)) asked.push(p)
    }
    if (asked.length === 0) return
    const share: number[][] = asked.map(() => [])
    for (let i = 0; i < seqs.length; i++) share[(i + this.holes.turn) % asked.length]!.push(seqs[i]!)
    for (let i = 0; i < asked.length; i++)
      if (share[i]!.length > 0) this.env.send(asked[i]!, { type: 'backfill', seqs: share[i]! })
  }

  /**
   * A child lacks `seqs`: resend those we hold (paid from the credit); the ones we lack too are
   * sent when they reach us (our own ask, a late copy, a rebuild).
   */
  private backfill(now: number, child: NodeId, seqs: readonly number[]): void {
    if (!this.member || !this.childSet.includes(child)) return
    const held = this.recent.pick(now, seqs)
    for (const out of held) this.sendBackfill(child, out)
    const heldSeqs = new Set(held.map((m) => m.chunk.seq))
    const lacking = seqs.filter((s) => !heldSeqs.has(s) && !this.deliveredSeqs.has(s))
    this.pendingAsks.add(now, child, lacking)
    // Seqs from before our first one (we joined after them) will never reach us by themselves:
    // ask our own parents, and pass them on when they come.
    const beforeUs = lacking.filter((s) => s < this.deliveredSeqs.oldestSeq)
    if (beforeUs.length > 0) this.askParents(now, beforeUs, false)
  }

  /**
   * One backfill copy. It is owed, not extra, when we never relayed the child's stripe of that seq
   * (we were cut too): it stands for the copy we did not send, and is marked sent. Any other is
   * paid from the credit (none when it is spent).
   */
  private sendBackfill(child: NodeId, out: ChunkMessage): void {
    const seq = out.chunk.seq
    const g = this.f - 1
    let owed = false
    for (let t = 0; t < this.f && !owed; t++) {
      if (!this.children[t]!.includes(child)) continue
      // The child's copy of data seq `seq` in tree t: the seq itself on its data stripe, the group on parity.
      const copy = t === g ? Math.floor(seq / g) : seq % g === t ? seq : -1
      if (copy >= 0 && !this.relayed[t]!.seen(copy)) owed = this.relayed[t]!.take(copy)
    }
    if (!owed && !this.credit.spend()) {
      this.env.metric(METRIC.backfillUnpaid, 1)
      return
    }
    this.env.send(child, out)
    this.env.metric(METRIC.backfilledChunks, 1)
  }

  // ---- the registry's side (source) -------------------------------------------------------------

  /** The source hosts the special node: its parents are whatever the forest says. */
  private placeSpecial(now: number): void {
    const forest = this.registry!.forest
    for (let t = 0; t < this.f; t++) {
      const p = this.registry!.wire(forest.parentOf(SPECIAL, t)!)
      if (this.parents[t] !== p) this.lastHeard[t] = now
      this.parents[t] = p
    }
  }

  // ---- liveness -------------------------------------------------------------------------------

  private noteAlive(now: number, from: NodeId): void {
    for (let t = 0; t < this.f; t++) if (this.parents[t] === from) this.lastHeard[t] = now
  }

  private heartbeat(now: number): void {
    // Chunks prove we are alive: children of a tree we relayed on within the last beat get no beat.
    for (let t = 0; t < this.f; t++) {
      if (now - this.lastRelayAt[t]! < this.params.heartbeatMs) continue
      for (const c of this.children[t]!) this.env.send(c, HEARTBEAT)
    }
    if (!this.member && !this.registry) return
    // Only current parents can be reported again (keeps this map within f entries).
    for (const p of this.reportedAt.keys()) if (!this.parents.includes(p)) this.reportedAt.delete(p)
    for (let t = 0; t < this.f; t++) {
      const p = this.parents[t]
      if (p === undefined || p === this.ctx.source || p === this.env.self) continue
      if (now - this.lastHeard[t]! <= this.livenessMs) continue
      const reported = this.reportedAt.get(p)
      if (reported !== undefined && now - reported <= this.livenessMs) continue
      this.reportedAt.set(p, now)
      this.env.metric(METRIC.parentFailures, 1)
      // "when the parent fails, the children reattempts to connect, and if no response is
      // obtained, the deletion algorithm is started": DELETE to the registry.
      if (this.registryRole) this.registryRole.onDelete(now, this.env.self, p)
      else this.env.send(this.ctx.source, { type: 'delete', node: p })
    }
  }

  private cancel(timer: TimerId | null): null {
    if (timer !== null) this.env.cancelTimer(timer)
    return null
  }

  /**
   * Ids held about other nodes: parents + children (<= f + f^2) — bounded by f. The make-before-break
   * and backfill tables have their own bounds (2f^2 + 2f edges, 4f children; test/p2pcast).
   */
  get stateSize(): number {
    return this.parents.length + this.childSet.length + this.reportedAt.size
  }

  get rebuiltChunks(): number {
    return this.decoder.rebuilt
  }
}
