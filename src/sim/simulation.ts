import type { Message } from '../core/codec.ts'
import { LocalProtocolError } from '../core/errors.ts'
import type { NodeId } from '../core/ids.ts'
import type {
  Locator,
  NodeContext,
  NodeRole,
  Overlay,
  Protocol,
  TimerId,
  TopologyView,
} from '../core/protocol.ts'
import { createRng, type Rng } from '../core/rng.ts'
import type { Chunk } from '../stream/chunk.ts'
import { ChunkSource } from '../stream/chunk-source.ts'
import { PlayoutBuffer, type PlayoutConfig } from '../stream/playout.ts'
import type { QoeSnapshot } from '../stream/qoe.ts'
import type { StreamSpec } from '../stream/stream-spec.ts'
import { EventQueue } from './event-queue.ts'
import { ProtocolHandlerError } from './handler-error.ts'
import { LatencyCache } from './latency-cache.ts'
import { type EnvHost, SimEnv } from './node-env.ts'
import type { LinkSpec, NodeStats } from './node-stats.ts'
import {
  N_CHUNK_DELAY_COUNT,
  N_CHUNK_DELAY_SUM,
  N_CONTROL_DOWN_BYTES,
  N_CONTROL_UP_BYTES,
  N_DATA_DOWN_BYTES,
  N_DATA_UP_BYTES,
  N_DOWNLINK_FREE_AT,
  N_DOWNLOAD_KBPS,
  N_DROPPED_QUEUE,
  N_INVALID_CHUNKS,
  N_JOINED_AT,
  N_LEFT_AT,
  N_LOST,
  N_UPLINK_FREE_AT,
  N_UPLOAD_KBPS,
  NODE_RECORD,
  NodeTable,
} from './node-table.ts'
import { materialize, roundTrip } from './round-trip.ts'
import type { Underlay } from './underlay/underlay.ts'

export type { LinkSpec, NodeStats } from './node-stats.ts'

/** Called for every message that enters the network (after tail drop and loss), e.g. for link stress. */
export type TransmitHook<M extends Message> = (
  from: number,
  to: number,
  msg: M,
  bytes: number,
  sentAtMs: number,
  reachesAtMs: number,
) => void

export interface SimConfig<M extends Message, P> {
  seed: number
  overlay: Overlay<M, P>
  params: P
  underlay: Underlay
  stream: StreamSpec
  playout: PlayoutConfig
  sourceLink: LinkSpec
  /** Probability a message is lost in transit (default 0). */
  lossRate?: number
  /** Uplink FIFO bound: a message that would wait longer is tail-dropped (default 2000). */
  maxQueueMs?: number
  /** Host-side source authentication before the protocol sees a chunk (default: accept). */
  verifyChunk?: (c: Chunk) => boolean
  /** Debug: encode + decode every message and deliver the decoded copy (small runs only). */
  roundTripCodec?: boolean
  /** Bound on simultaneously pending events (default 2^24); exceeding it throws. */
  maxPendingEvents?: number
  onTransmit?: TransmitHook<M>
  /**
   * Memoize underlay latency per host pair (see LatencyCache). Off by default: the hierarchical
   * transit-stub and the delay space answer faster than a cache lookup; turn it on for underlays
   * that compute routes on demand (transit-stub with routing 'dijkstra').
   */
  cacheLatencies?: boolean
  /**
   * Infrastructure servers (i3 rendezvous servers), node ids 1..count, created before any viewer.
   * Every end host (the source too) is then placed on the LAN of a uniformly random server (the
   * i3 paper's §6 setup: one server per stub LAN, LAN delay 0) and told that server as its nearest
   * (NodeContext.servers). Servers get the list of every server. Servers are not viewers: they
   * are left out of liveViewers() and liveViewerCount.
   */
  servers?: { readonly count: number; readonly link?: LinkSpec }
  /**
   * Per-message loss probability by sender and receiver (overrides lossRate), e.g. per-hop loss
   * rates drawn per node as in the i3 paper's §6.3. Must be deterministic.
   */
  lossOf?: (from: NodeId, to: NodeId) => number
}

const EV_ACTION = 0
const EV_PUBLISH = 1
const EV_TIMER = 2
const EV_REACH_CONTROL = 3
const EV_REACH_DATA = 4
const EV_DELIVER_CONTROL = 5
const EV_DELIVER_DATA = 6

const SOURCE_ID = 0

/** Where a new node attaches, and the servers it is told about. */
interface Placement {
  readonly host: number
  readonly servers?: readonly NodeId[]
}
const PROGRESS_EVERY_EVENTS = 1 << 15

/**
 * The deterministic discrete-event simulator. Nodes are dense integer ids (the source is 0);
 * each runs the overlay's sans-IO protocol object behind a SimEnv. Messages are not encoded:
 * the same frozen object is delivered and the links are charged `codec.sizeOf(msg)` bytes.
 *
 * Access links: per node, an uplink and a downlink FIFO described only by when each becomes free
 * (O(1) per message, no queue objects). A message departs after waiting for the uplink and its
 * serialization (bytes * 8 / kbps ms), reaches the receiver after the underlay latency, then
 * waits for the receiver's downlink in the order messages reach it (a second event, skipped when
 * the downlink is unlimited).
 */
export class Simulation<M extends Message, P> implements EnvHost<M> {
  readonly sourceId: NodeId = SOURCE_ID

  private readonly queue: EventQueue
  private readonly nodes = new NodeTable()
  private readonly protocols: (Protocol<M> | null)[] = []
  private readonly playouts: (PlayoutBuffer | null)[] = []
  /** QoE frozen when a node left; its buffer and protocol are released. */
  private readonly finalQoe: (QoeSnapshot | null)[] = []
  private readonly metrics = new Map<string, number[]>()
  private readonly chunkSource: ChunkSource
  private readonly underlayRng: Rng
  private readonly lossRng: Rng
  private readonly nodeSeed: number
  private readonly lossRate: number
  private readonly maxQueueMs: number
  private readonly latencyOf: (a: number, b: number) => number
  private nowMs = 0
  private processed = 0
  private liveViewersNow = 0
  /** Server node ids (1..serverIds.length) and their underlay hosts. */
  private readonly serverIds: readonly NodeId[]
  private serverHosts: readonly number[] = []

  constructor(private readonly config: SimConfig<M, P>) {
    const rng = createRng(config.seed)
    this.underlayRng = rng.fork(1)
    this.lossRng = rng.fork(2)
    this.nodeSeed = Math.floor(rng.next() * 2 ** 32)
    this.lossRate = config.lossRate ?? 0
    this.maxQueueMs = config.maxQueueMs ?? 2000
    if (!(this.lossRate >= 0 && this.lossRate <= 1)) {
      throw new LocalProtocolError(`SimConfig.lossRate must be in [0, 1], got ${this.lossRate}`)
    }
    if (!(this.maxQueueMs >= 0)) {
      throw new LocalProtocolError(`SimConfig.maxQueueMs must be >= 0, got ${this.maxQueueMs}`)
    }
    const underlay = config.underlay
    if (config.cacheLatencies) {
      const cache = new LatencyCache(underlay)
      this.latencyOf = (a, b) => cache.latency(a, b)
    } else {
      this.latencyOf = (a, b) => underlay.latency(a, b)
    }
    this.queue = new EventQueue(4096, config.maxPendingEvents ?? 1 << 24)
    this.chunkSource = new ChunkSource(config.stream, 0)
    const serverCount = config.servers?.count ?? 0
    if (!(Number.isInteger(serverCount) && serverCount >= 0)) {
      throw new LocalProtocolError(`SimConfig.servers.count must be an integer >= 0, got ${serverCount}`)
    }
    this.serverIds = Array.from({ length: serverCount }, (_, i) => i + 1)
    if (serverCount === 0) {
      this.addNode('source', config.sourceLink)
    } else {
      // Server hosts first (the source sits on one of their LANs), node ids after the source.
      const serverHosts = this.serverIds.map(() => underlay.addHost(this.underlayRng, 'viewer'))
      this.serverHosts = serverHosts
      const sourcePlace = this.nearRandomServer(serverHosts)
      const started: number[] = [this.addNode('source', config.sourceLink, sourcePlace, false)]
      const serverLink = config.servers?.link ?? { uploadKbps: Infinity, downloadKbps: Infinity }
      for (const host of serverHosts) {
        started.push(this.addNode('server', serverLink, { host, servers: this.serverIds }, false))
      }
      for (const id of started.slice(1).concat(started[0]!)) {
        const protocol = this.protocols[id]!
        this.guard(id, 'start', () => protocol.start(this.nowMs))
      }
    }
    this.queue.push(this.chunkSource.nextDueMs(), EV_PUBLISH, SOURCE_ID, 0, 0, undefined)
  }

  get now(): number {
    return this.nowMs
  }

  get eventsProcessed(): number {
    return this.processed
  }

  /** Events scheduled and not cancelled (messages in flight, timers, churn actions). */
  get pendingEvents(): number {
    return this.queue.pending
  }

  /** A new viewer joins now: the node is created and its protocol started. */
  addViewer(link: LinkSpec): NodeId {
    if (this.serverIds.length === 0) return this.addNode('viewer', link)
    return this.addNode('viewer', link, this.nearRandomServer(this.serverHosts))
  }

  /** Infrastructure server ids (empty unless SimConfig.servers). */
  get servers(): readonly NodeId[] {
    return this.serverIds
  }

  isServer(id: NodeId): boolean {
    return typeof id === 'number' && id >= 1 && id <= this.serverIds.length
  }

  /** Graceful leave: the protocol says goodbye, then the node is gone (its messages still fly). */
  leave(id: NodeId): void {
    const n = this.liveIndex(id, 'leave')
    this.guard(n, 'leave', () => this.protocols[n]!.leave(this.nowMs))
    this.remove(n, false)
  }

  /** Silent failure: the node vanishes; messages to it are dropped and its timers never fire. */
  crash(id: NodeId): void {
    this.remove(this.liveIndex(id, 'crash'), true)
  }

  isAlive(id: NodeId): boolean {
    return typeof id === 'number' && id >= 0 && id < this.nodes.count && this.nodes.alive[id] === 1
  }

  /** Live viewers in ascending id order. */
  liveViewers(): NodeId[] {
    const out: NodeId[] = []
    const alive = this.nodes.alive
    for (let id = 1 + this.serverIds.length; id < this.nodes.count; id++) if (alive[id] === 1) out.push(id)
    return out
  }

  /** Live viewers (O(1)). */
  get liveViewerCount(): number {
    return this.liveViewersNow
  }

  /** Every node that ever joined (the source included). */
  get nodeCount(): number {
    return this.nodes.count
  }

  /** Run `action` at simulated time `timeMs` (after events already scheduled for that time). */
  at(timeMs: number, action: () => void): void {
    if (!(timeMs >= this.nowMs)) {
      throw new LocalProtocolError(`Simulation.at(${timeMs}): that is before now (${this.nowMs} ms)`)
    }
    this.queue.push(timeMs, EV_ACTION, 0, 0, 0, action)
  }

  /** Process every event up to and including `timeMs`, then set the clock to `timeMs`. */
  runUntil(timeMs: number, onProgress?: (now: number) => void): void {
    if (!(timeMs >= this.nowMs)) {
      throw new LocalProtocolError(`Simulation.runUntil(${timeMs}): that is before now (${this.nowMs} ms)`)
    }
    const q = this.queue
    while (q.peekTime() <= timeMs) {
      const h = q.pop()
      this.nowMs = q.poppedTime
      this.dispatch(h)
      q.release(h)
      if ((++this.processed & (PROGRESS_EVERY_EVENTS - 1)) === 0 && onProgress) onProgress(this.nowMs)
    }
    this.nowMs = timeMs
    onProgress?.(timeMs)
  }

  topology(id: NodeId): TopologyView {
    return this.protocol(id).topology()
  }

  /** The live node's protocol object (released once the node is gone). */
  protocol(id: NodeId): Protocol<M> {
    const n = this.liveIndex(id, 'protocol')
    return this.protocols[n]!
  }

  /** Underlay host index of a node (for path/link-stress analysis). */
  hostOf(id: NodeId): number {
    return this.nodes.host[this.index(id, 'hostOf')]!
  }

  nodeStats(id: NodeId): NodeStats {
    const n = this.index(id, 'nodeStats')
    const t = this.nodes
    const left = t.get(n, N_LEFT_AT)
    const delays = t.get(n, N_CHUNK_DELAY_COUNT)
    const dataUp = t.get(n, N_DATA_UP_BYTES)
    const controlUp = t.get(n, N_CONTROL_UP_BYTES)
    const dataDown = t.get(n, N_DATA_DOWN_BYTES)
    const controlDown = t.get(n, N_CONTROL_DOWN_BYTES)
    return {
      id: n,
      joinedAtMs: t.get(n, N_JOINED_AT),
      leftAtMs: Number.isNaN(left) ? null : left,
      crashed: t.crashed[n] === 1,
      qoe: this.finalQoe[n] ?? this.playouts[n]!.qoe.snapshot(this.nowMs),
      uploadBytes: dataUp + controlUp,
      downloadBytes: dataDown + controlDown,
      dataUploadBytes: dataUp,
      controlUploadBytes: controlUp,
      dataDownloadBytes: dataDown,
      controlDownloadBytes: controlDown,
      droppedQueueMessages: t.get(n, N_DROPPED_QUEUE),
      lostMessages: t.get(n, N_LOST),
      invalidChunks: t.get(n, N_INVALID_CHUNKS),
      meanChunkDelayMs: delays > 0 ? t.get(n, N_CHUNK_DELAY_SUM) / delays : null,
    }
  }

  allNodeStats(): NodeStats[] {
    const out: NodeStats[] = []
    for (let id = 0; id < this.nodes.count; id++) out.push(this.nodeStats(id))
    return out
  }

  /** Values recorded through Env.metric, by name (in recording order). */
  protocolMetrics(): ReadonlyMap<string, readonly number[]> {
    return this.metrics
  }

  /** Source data bytes sent per second, as a multiple of the stream's bytes per second. */
  sourceUploadRatio(): number {
    if (this.nowMs <= 0) return 0
    const streamBytesPerS = (this.config.stream.kbps * 1000) / 8
    return this.nodes.get(SOURCE_ID, N_DATA_UP_BYTES) / (this.nowMs / 1000) / streamBytesPerS
  }

  // --- EnvHost: what the nodes' Envs call -------------------------------------------------------

  sendFrom(from: number, to: NodeId, msg: M): void {
    const t = this.nodes
    if (typeof to !== 'number' || !Number.isInteger(to) || to < 0 || to >= t.count) {
      throw new LocalProtocolError(`node ${from} sent "${msg.type}" to unknown node ${String(to)}`)
    }
    const codec = this.config.overlay.codec
    const bytes = codec.sizeOf(msg)
    const data = codec.isData(msg)
    const now = this.nowMs
    const rec = t.rec
    const r = from * NODE_RECORD
    const free = rec[r + N_UPLINK_FREE_AT]!
    const start = Math.max(free, now)
    if (start - now > this.maxQueueMs) {
      rec[r + N_DROPPED_QUEUE]!++
      return
    }
    const up = rec[r + N_UPLOAD_KBPS]!
    const departs = up === Number.POSITIVE_INFINITY ? start : start + (bytes * 8) / up
    rec[r + N_UPLINK_FREE_AT] = departs
    if (data) rec[r + N_DATA_UP_BYTES]! += bytes
    else rec[r + N_CONTROL_UP_BYTES]! += bytes
    const lossOf = this.config.lossOf
    const lossRate = lossOf === undefined ? this.lossRate : lossOf(from, to)
    if (lossRate > 0 && this.lossRng.next() < lossRate) {
      rec[r + N_LOST]!++
      return
    }
    const reaches = departs + this.latencyOf(t.host[from]!, t.host[to]!)
    const carried = this.config.roundTripCodec ? roundTrip(codec, msg) : msg
    this.config.onTransmit?.(from, to, carried, bytes, now, reaches)
    this.queue.push(reaches, data ? EV_REACH_DATA : EV_REACH_CONTROL, to, from, bytes, carried)
  }

  setTimerFor(node: number, delayMs: number, kind: number, arg: NodeId | undefined): TimerId {
    if (!(delayMs >= 0 && delayMs < Number.POSITIVE_INFINITY)) {
      throw new LocalProtocolError(`node ${node} set a timer (kind ${kind}) with delay ${delayMs} ms`)
    }
    return this.queue.tokenOf(this.queue.push(this.nowMs + delayMs, EV_TIMER, node, 0, kind, arg))
  }

  cancelTimerFor(node: number, id: TimerId): void {
    const q = this.queue
    const h = q.resolve(id)
    // Only the node's own pending timers: a stale id or someone else's event is left alone.
    if (h >= 0 && q.kindOf(h) === EV_TIMER && q.aOf(h) === node) q.cancel(id)
  }

  deliverTo(node: number, chunk: Chunk, hops: number): void {
    const playout = this.playouts[node]
    if (!playout) return
    playout.push(this.nowMs, chunk, hops)
    const rec = this.nodes.rec
    const r = node * NODE_RECORD
    rec[r + N_CHUNK_DELAY_SUM]! += this.nowMs - chunk.sourceTime
    rec[r + N_CHUNK_DELAY_COUNT]!++
  }

  locatorOf(node: number): Locator {
    return this.config.underlay.locator(this.nodes.host[node]!)
  }

  locatorDistance(a: Locator, b: Locator): number {
    return this.config.underlay.locatorDistance(a, b)
  }

  recordMetric(name: string, value: number): void {
    let values = this.metrics.get(name)
    if (!values) this.metrics.set(name, (values = []))
    values.push(value)
  }

  // --- internals --------------------------------------------------------------------------------

  /** A host on the LAN of a uniformly random server, and that server as its nearest. */
  private nearRandomServer(serverHosts: readonly number[]): Placement {
    const i = this.underlayRng.int(serverHosts.length)
    const underlay = this.config.underlay
    const near = serverHosts[i]!
    const host = underlay.addHostNear
      ? underlay.addHostNear(near)
      : underlay.addHost(this.underlayRng, 'viewer')
    return { host, servers: [this.serverIds[i]!] }
  }

  private addNode(role: NodeRole, link: LinkSpec, place?: Placement, startNow = true): number {
    for (const [field, v] of [
      ['uploadKbps', link.uploadKbps],
      ['downloadKbps', link.downloadKbps],
    ] as const) {
      if (!(v > 0)) throw new LocalProtocolError(`LinkSpec.${field} must be > 0 (or Infinity), got ${v}`)
    }
    const host =
      place?.host ?? this.config.underlay.addHost(this.underlayRng, role === 'source' ? 'source' : 'viewer')
    const id = this.nodes.add(this.nowMs, link.uploadKbps, link.downloadKbps, host)
    const env = new SimEnv<M>(this, id, createRng(this.nodeSeed, id))
    const ctx: NodeContext = {
      source: SOURCE_ID,
      streamKbps: this.config.stream.kbps,
      uploadKbps: link.uploadKbps,
      role,
      ...(place?.servers ? { servers: place.servers } : {}),
    }
    this.playouts.push(new PlayoutBuffer(this.config.playout, this.nowMs))
    this.finalQoe.push(null)
    const protocol = this.config.overlay.createNode(env, ctx, this.config.params)
    this.protocols.push(protocol)
    if (role === 'viewer') this.liveViewersNow++
    if (startNow) this.guard(id, 'start', () => protocol.start(this.nowMs))
    return id
  }

  private remove(n: number, crashed: boolean): void {
    const t = this.nodes
    t.alive[n] = 0
    if (n !== SOURCE_ID && !this.isServer(n)) this.liveViewersNow--
    t.crashed[n] = crashed ? 1 : 0
    t.rec[n * NODE_RECORD + N_LEFT_AT] = this.nowMs
    this.finalQoe[n] = this.playouts[n]!.qoe.snapshot(this.nowMs)
    this.playouts[n] = null
    this.protocols[n] = null
  }

  private dispatch(h: number): void {
    const q = this.queue
    const kind = q.kindOf(h)
    switch (kind) {
      case EV_REACH_CONTROL:
      case EV_REACH_DATA:
        this.reach(h, kind === EV_REACH_DATA)
        return
      case EV_DELIVER_CONTROL:
      case EV_DELIVER_DATA:
        this.deliverMessage(q.aOf(h), q.bOf(h), q.xOf(h), kind === EV_DELIVER_DATA, q.refOf(h) as M)
        return
      case EV_TIMER: {
        const node = q.aOf(h)
        if (this.nodes.alive[node] !== 1) return
        const timerKind = q.xOf(h)
        const arg = q.refOf(h) as NodeId | undefined
        const protocol = this.protocols[node]!
        const now = this.nowMs
        try {
          protocol.onTimer(now, timerKind, arg)
        } catch (err) {
          throw this.handlerError(
            node,
            `timer kind ${timerKind}${arg === undefined ? '' : ` (arg ${arg})`}`,
            err,
          )
        }
        return
      }
      case EV_PUBLISH:
        this.publish()
        return
      case EV_ACTION:
        ;(q.refOf(h) as () => void)()
        return
    }
  }

  /** The message reaches the receiver's downlink; it waits there in arrival order. */
  private reach(h: number, data: boolean): void {
    const q = this.queue
    const to = q.aOf(h)
    const t = this.nodes
    if (t.alive[to] !== 1) return
    const from = q.bOf(h)
    // A crash also kills the sender's uplink queue: what had not left by then never arrives.
    if (t.crashed[from] === 1) {
      const departed = this.nowMs - this.latencyOf(t.host[from]!, t.host[to]!)
      if (departed > t.get(from, N_LEFT_AT) + 1e-9) return
    }
    const bytes = q.xOf(h)
    const rec = t.rec
    const r = to * NODE_RECORD
    const down = rec[r + N_DOWNLOAD_KBPS]!
    if (down === Number.POSITIVE_INFINITY) {
      this.deliverMessage(to, from, bytes, data, q.refOf(h) as M)
      return
    }
    const free = rec[r + N_DOWNLINK_FREE_AT]!
    const done = Math.max(free, this.nowMs) + (bytes * 8) / down
    rec[r + N_DOWNLINK_FREE_AT] = done
    q.push(done, data ? EV_DELIVER_DATA : EV_DELIVER_CONTROL, to, from, bytes, q.refOf(h))
  }

  private deliverMessage(to: number, from: number, bytes: number, data: boolean, msg: M): void {
    const t = this.nodes
    if (t.alive[to] !== 1) return
    const r = to * NODE_RECORD
    if (data) t.rec[r + N_DATA_DOWN_BYTES]! += bytes
    else t.rec[r + N_CONTROL_DOWN_BYTES]! += bytes
    const verify = this.config.verifyChunk
    if (verify !== undefined && msg.type === 'chunk' && !verify((msg as unknown as { chunk: Chunk }).chunk)) {
      t.rec[r + N_INVALID_CHUNKS]!++
      return
    }
    try {
      this.protocols[to]!.onMessage(this.nowMs, from, msg)
    } catch (err) {
      throw this.handlerError(to, `message "${msg.type}" from ${from}`, err)
    }
  }

  private publish(): void {
    if (this.nodes.alive[SOURCE_ID] !== 1) return
    let chunk = this.chunkSource.next(this.nowMs)
    if (this.config.roundTripCodec) chunk = materialize(chunk)
    this.guard(SOURCE_ID, `publish of chunk ${chunk.seq}`, () =>
      this.protocols[SOURCE_ID]!.publish(this.nowMs, chunk),
    )
    this.queue.push(this.chunkSource.nextDueMs(), EV_PUBLISH, SOURCE_ID, 0, 0, undefined)
  }

  private guard(node: number, event: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      throw this.handlerError(node, event, err)
    }
  }

  private handlerError(node: number, event: string, err: unknown): Error {
    // A handler that made an illegal call into the simulator is already attributed; keep the innermost.
    if (err instanceof ProtocolHandlerError) return err
    return new ProtocolHandlerError(node, this.nowMs, event, err)
  }

  private index(id: NodeId, op: string): number {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.nodes.count) {
      throw new LocalProtocolError(`Simulation.${op}: no node ${String(id)}`)
    }
    return id
  }

  private liveIndex(id: NodeId, op: string): number {
    const n = this.index(id, op)
    if (this.nodes.alive[n] !== 1) throw new LocalProtocolError(`Simulation.${op}: node ${n} is not alive`)
    return n
  }
}
