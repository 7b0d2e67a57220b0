import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Env, NodeContext, Protocol, TimerId, TopologyView } from '../../core/protocol.ts'
import type { Chunk, ChunkMessage } from '../../stream/chunk.ts'
import { ParityEncoder, StripeDecoder, stripeOf } from '../../stream/stripes.ts'
import type { P2PCastMessage, Update } from './messages.ts'
import type { P2PCastParams } from './params.ts'
import { publishStriped } from './publish.ts'
import { Registry, type RegistryResult, SPECIAL } from './registry.ts'

export const TIMER_HEARTBEAT = 1
export const TIMER_JOIN = 2

export const METRIC = {
  parentDiscoveryMs: 'parentDiscoveryMs',
  parentFailures: 'parentFailures',
  chunksRebuilt: 'chunksRebuilt',
  joinMessages: 'joinMessages',
  deleteMessages: 'deleteMessages',
  repairFallbacks: 'repairFallbacks',
  /** A stripe's outage: last chunk or beat heard from a silent parent until its replacement is known. */
  repairMs: 'repairMs',
} as const

const HEARTBEAT: P2PCastMessage = { type: 'heartbeat' }
const JOIN: P2PCastMessage = { type: 'join' }

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
  private readonly f: number
  private member = false
  private gone = false
  private version = -1
  private parents: (NodeId | undefined)[]
  private children: readonly (readonly NodeId[])[]
  /** Distinct children across trees (heartbeat fan-out, topology). */
  private childSet: NodeId[] = []
  private readonly lastHeard: number[]
  private readonly reportedAt = new Map<NodeId, number>()
  private readonly livenessMs: number
  private readonly decoder: StripeDecoder
  private readonly encoder: ParityEncoder | null
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
    this.livenessMs = params.heartbeatMs * params.heartbeatMissLimit
    this.decoder = new StripeDecoder(f, params.decoderGroups)
    const isSource = ctx.role === 'source'
    this.registry = isSource ? new Registry(f, env.self, env.rng.fork(1)) : null
    this.encoder = isSource ? new ParityEncoder(f) : null
  }

  start(now: number): void {
    this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
    if (this.registry) return
    this.joinStartedMs = now
    this.sendJoin()
  }

  publish(_now: number, chunk: Chunk): void {
    if (!this.registry || !this.encoder) throw new LocalProtocolError('p2pcast: publish() called on a viewer')
    publishStriped(this.env, this.encoder, this.f, this.params.parity, chunk, (t, msg) =>
      this.sendToRoot(t, msg),
    )
  }

  private sendToRoot(t: number, msg: ChunkMessage): void {
    const root = this.registry!.forest.rootOf(t)
    if (root !== SPECIAL) this.env.send(root, msg)
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
      case 'update':
        if (from === this.ctx.source && !this.registry) this.onUpdate(now, msg)
        return
      case 'join':
        if (this.registry) this.apply(now, this.registry.join(from), METRIC.joinMessages)
        return
      case 'delete':
        if (this.registry) this.apply(now, this.registry.delete(from, msg.node), METRIC.deleteMessages)
        return
    }
  }

  onTimer(now: number, kind: number, _arg: NodeId | undefined): void {
    if (this.gone) return
    if (kind === TIMER_HEARTBEAT) {
      this.heartbeatTimer = this.env.setTimer(this.params.heartbeatMs, TIMER_HEARTBEAT)
      this.heartbeat(now)
    } else if (kind === TIMER_JOIN) {
      this.joinTimer = null
      if (!this.member) this.sendJoin()
    }
  }

  leave(_now: number): void {
    if (this.gone) return
    if (this.member) this.env.send(this.ctx.source, { type: 'delete', node: this.env.self })
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
    if (!this.member || from !== this.parents[t]) return
    this.lastHeard[t] = now
    for (const c of this.decoder.push(msg.chunk)) this.env.deliver(c, msg.hops)
    const kids = this.children[t]!
    if (kids.length === 0) return
    const out: ChunkMessage = { type: 'chunk', chunk: msg.chunk, hops: msg.hops + 1 }
    for (let i = 0; i < kids.length; i++) this.env.send(kids[i]!, out)
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
    this.reportedAt.clear()
  }

  // ---- the registry's side (source) -------------------------------------------------------------

  private apply(now: number, result: RegistryResult, metric: string): void {
    for (const { to, msg } of result.updates) this.env.send(to, msg)
    if (result.cost) {
      this.env.metric(metric, result.cost.rpcs + result.cost.walkHops + result.updates.length)
      if (result.cost.fallbacks > 0) this.env.metric(METRIC.repairFallbacks, result.cost.fallbacks)
    }
    if (result.specialMoved) this.placeSpecial(now)
  }

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
    for (const c of this.childSet) this.env.send(c, HEARTBEAT)
    if (!this.member && !this.registry) return
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
      if (this.registry) this.apply(now, this.registry.delete(this.env.self, p), METRIC.deleteMessages)
      else this.env.send(this.ctx.source, { type: 'delete', node: p })
    }
  }

  private cancel(timer: TimerId | null): null {
    if (timer !== null) this.env.cancelTimer(timer)
    return null
  }

  /** Ids held about other nodes: parents + children (<= f + f^2) — bounded by f. */
  get stateSize(): number {
    return this.parents.length + this.childSet.length + this.reportedAt.size
  }

  get rebuiltChunks(): number {
    return this.decoder.rebuilt
  }
}
