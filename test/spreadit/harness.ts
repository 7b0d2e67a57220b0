// A tiny deterministic host for overlay unit tests: one event list on a virtual clock, fixed or
// position-derived latency, no bandwidth model. The real simulator (src/sim) is the integration
// host; this one exists so protocol tests can poke single messages and read exact outcomes.
import type { Message, MessageCodec } from '../../src/core/codec.ts'
import type { NodeId } from '../../src/core/ids.ts'
import type { Env, Locator, Overlay, Protocol, TopologyView } from '../../src/core/protocol.ts'
import { createRng, type Rng } from '../../src/core/rng.ts'
import type { Chunk } from '../../src/stream/chunk.ts'

type Event =
  | { t: number; seq: number; kind: 'msg'; to: NodeId; from: NodeId; msg: Message }
  | { t: number; seq: number; kind: 'timer'; to: NodeId; id: number; timerKind: number; arg?: NodeId }
  | { t: number; seq: number; kind: 'publish' }
  | { t: number; seq: number; kind: 'action'; run: () => void }

export interface HarnessOptions<M extends Message, P> {
  overlay: Overlay<M, P>
  params: P
  seed: number
  streamKbps?: number
  chunkPeriodMs?: number
  sourceUploadKbps?: number
  /** Fixed one-way latency; when absent latency = Euclidean distance between locators (ms). */
  latencyMs?: number
  sourceLocator?: Locator
  /** Drop a message in flight (targeted faults in tests). */
  drop?: (from: NodeId, to: NodeId, msg: M) => boolean
  /** Round-trip every message through the codec (slower; proves the wire format). */
  encode?: boolean
}

interface HostNode<M extends Message> {
  id: NodeId
  protocol: Protocol<M>
  alive: boolean
  locator: Locator
  delivered: number[]
  hops: number[]
}

export class Harness<M extends Message, P> {
  now = 0
  readonly sourceId: NodeId = 0
  readonly metrics = new Map<string, number[]>()
  readonly sentByType = new Map<string, number>()
  private readonly events: Event[] = []
  private seq = 0
  private nextTimer = 1
  private readonly cancelled = new Set<number>()
  private readonly nodes = new Map<NodeId, HostNode<M>>()
  private readonly rng: Rng
  private chunkSeq = 0
  private readonly streamKbps: number
  private readonly periodMs: number

  constructor(private readonly opts: HarnessOptions<M, P>) {
    this.rng = createRng(opts.seed)
    this.streamKbps = opts.streamKbps ?? 400
    this.periodMs = opts.chunkPeriodMs ?? 100
    this.spawn('source', opts.sourceUploadKbps ?? 4 * this.streamKbps, opts.sourceLocator ?? [0, 0])
    this.push({ t: 0, seq: 0, kind: 'publish' })
  }

  private push(e: Event): void {
    e.seq = this.seq++
    let lo = 0
    let hi = this.events.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const m = this.events[mid]!
      if (m.t < e.t || (m.t === e.t && m.seq < e.seq)) lo = mid + 1
      else hi = mid
    }
    this.events.splice(lo, 0, e)
  }

  private latency(a: NodeId, b: NodeId): number {
    if (this.opts.latencyMs !== undefined) return this.opts.latencyMs
    const la = this.nodes.get(a)!.locator
    const lb = this.nodes.get(b)!.locator
    return Math.max(1, euclid(la, lb))
  }

  private spawn(role: 'source' | 'viewer', uploadKbps: number, locator: Locator): NodeId {
    const id = this.nodes.size
    const host = this
    const nodeRng = this.rng.fork(id)
    const codec: MessageCodec<M> = this.opts.overlay.codec
    const env: Env<M> = {
      self: id,
      rng: nodeRng,
      send(to, msg) {
        host.sentByType.set(msg.type, (host.sentByType.get(msg.type) ?? 0) + 1)
        if (!host.nodes.has(to) || host.opts.drop?.(id, to, msg)) return
        const wire = host.opts.encode && !codec.isData(msg) ? codec.decode(codec.encode(msg)) : msg
        host.push({ t: host.now + host.latency(id, to), seq: 0, kind: 'msg', to, from: id, msg: wire })
      },
      setTimer(delayMs, kind, arg) {
        const timerId = host.nextTimer++
        host.push({ t: host.now + delayMs, seq: 0, kind: 'timer', to: id, id: timerId, timerKind: kind, arg })
        return timerId
      },
      cancelTimer(timerId) {
        host.cancelled.add(timerId)
      },
      deliver(chunk, hops) {
        const n = host.nodes.get(id)!
        n.delivered.push(chunk.seq)
        n.hops.push(hops)
      },
      locate: () => locator,
      distance: euclid,
      metric(name, value) {
        const list = host.metrics.get(name) ?? []
        list.push(value)
        host.metrics.set(name, list)
      },
      disconnect() {},
    }
    const ctx = { source: this.sourceId, streamKbps: this.streamKbps, uploadKbps, role }
    const protocol = this.opts.overlay.createNode(env, ctx, this.opts.params)
    this.nodes.set(id, { id, protocol, alive: true, locator, delivered: [], hops: [] })
    protocol.start(this.now)
    return id
  }

  addViewer(uploadKbps: number, locator: Locator = [0, 0]): NodeId {
    return this.spawn('viewer', uploadKbps, locator)
  }

  leave(id: NodeId): void {
    const n = this.nodes.get(id)!
    n.protocol.leave(this.now)
    n.alive = false
  }

  crash(id: NodeId): void {
    this.nodes.get(id)!.alive = false
  }

  at(t: number, run: () => void): void {
    this.push({ t, seq: 0, kind: 'action', run })
  }

  /** Deliver one message by hand (bypasses latency), e.g. a forged or stale one. */
  inject(to: NodeId, from: NodeId, msg: M): void {
    this.nodes.get(to)!.protocol.onMessage(this.now, from, msg)
  }

  runUntil(t: number): void {
    while (this.events.length > 0 && this.events[0]!.t <= t) {
      const e = this.events.shift()!
      this.now = e.t
      if (e.kind === 'publish') {
        const chunk = this.cutChunk()
        this.nodes.get(this.sourceId)!.protocol.publish(this.now, chunk)
        this.push({ t: this.now + this.periodMs, seq: 0, kind: 'publish' })
      } else if (e.kind === 'action') {
        e.run()
      } else {
        const n = this.nodes.get(e.to)!
        if (!n.alive) continue
        if (e.kind === 'msg') n.protocol.onMessage(this.now, e.from, e.msg as M)
        else if (!this.cancelled.delete(e.id)) n.protocol.onTimer(this.now, e.timerKind, e.arg)
      }
    }
    this.now = t
  }

  private cutChunk(): Chunk {
    const seq = this.chunkSeq++
    const size = Math.round((this.streamKbps * 1000) / 8 / (1000 / this.periodMs))
    return {
      stream: 's',
      seq,
      sourceTime: this.now,
      stripe: -1,
      size,
      payload: null,
      keyframe: seq % 10 === 0,
      auth: null,
    }
  }

  protocol(id: NodeId): Protocol<M> {
    return this.nodes.get(id)!.protocol
  }

  topology(id: NodeId): TopologyView {
    return this.nodes.get(id)!.protocol.topology()
  }

  isAlive(id: NodeId): boolean {
    return this.nodes.get(id)?.alive ?? false
  }

  liveViewers(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.alive && n.id !== this.sourceId).map((n) => n.id)
  }

  delivered(id: NodeId): readonly number[] {
    return this.nodes.get(id)!.delivered
  }

  hops(id: NodeId): readonly number[] {
    return this.nodes.get(id)!.hops
  }

  /** Chunks delivered to `id` with source time in [fromMs, toMs), over those published then. */
  deliveryRatio(id: NodeId, fromMs: number, toMs: number): number {
    const first = Math.ceil(fromMs / this.periodMs)
    const last = Math.ceil(toMs / this.periodMs)
    const got = new Set(this.delivered(id).filter((s) => s >= first && s < last))
    return got.size / Math.max(1, last - first)
  }

  parentOf(id: NodeId): NodeId | undefined {
    return this.topology(id).parents[0]
  }

  metric(name: string): readonly number[] {
    return this.metrics.get(name) ?? []
  }
}

export function euclid(a: Locator, b: Locator): number {
  let sum = 0
  for (let i = 0; i < Math.max(a.length, b.length); i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2
  return Math.sqrt(sum)
}
