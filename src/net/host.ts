import type { Connection, Ed25519PrivateKey, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Message } from '../core/codec.ts'
import { isRemoteProtocolError, LocalProtocolError } from '../core/errors.ts'
import type { NodeId } from '../core/ids.ts'
import type { Env, Locator, Overlay, Protocol, TimerId, TopologyView } from '../core/protocol.ts'
import { createRng, type Rng } from '../core/rng.ts'
import {
  type ChunkSigner,
  type ChunkVerifier,
  createChunkSigner,
  createChunkVerifier,
} from '../stream/auth.ts'
import type { Chunk, ChunkMessage } from '../stream/chunk.ts'
import { encodeFrame, FrameDecoder } from './framing.ts'
import { lookupAddrs, measureRtt, serveControl } from './host-control.ts'
import { HostMeters, type HostStats } from './host-stats.ts'
import { nodeSigningKey, publicKeyOfPeerId } from './identity.ts'
import { landmarkDistance, locatorFromRtts } from './landmarks.ts'
import { type ConnectionLimits, createLibp2pNode } from './libp2p-node.ts'
import { type LinkProfile, LinkShaper } from './link-emulation.ts'
import { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from './outbox.ts'
import { PeerSession } from './peer-session.ts'

/**
 * Drives any overlay's sans-IO Protocol over libp2p. The protocol's handlers run synchronously
 * from event-loop callbacks (incoming frames, timers); everything async (dials, drains, address
 * look-ups) stays here. Node ids are PeerId strings.
 */
export interface NetHostOptions<M extends Message, P> {
  readonly overlay: Overlay<M, P>
  readonly params: P
  readonly role: 'source' | 'viewer'
  /** The stream id = the source's PeerId string (a source passes its own). */
  readonly streamId: string
  readonly streamKbps: number
  /** This node's upload capacity in kbit/s (default Infinity). */
  readonly uploadKbps?: number
  readonly privateKey: Ed25519PrivateKey
  /** Listen multiaddrs (default /ip4/127.0.0.1/tcp/0). */
  readonly listen?: readonly string[]
  readonly connectionLimits?: ConnectionLimits
  /** Multiaddrs ending in /p2p/<PeerId> (from the stream URI); also the RTT landmarks. */
  readonly bootstrap?: readonly string[]
  /** Default: the source's Ed25519 signature check, key taken from the stream id. */
  readonly verifyChunk?: ChunkVerifier
  /** A verified chunk for the local player (viewers). */
  readonly onDeliver?: (chunk: Chunk, hops: number) => void
  readonly outboxLimits?: OutboxLimits
  /** Per-destination link emulation for local testbeds (undefined: none). */
  readonly linkProfile?: (peer: string) => LinkProfile | undefined
  readonly seed?: number
  /**
   * Milliseconds; the protocol's `now`. Default: Date.now(), and on a viewer Date.now() plus the
   * source's clock offset estimated at start, so `now` and chunk.sourceTime share one timeline.
   */
  readonly clock?: () => number
  readonly dialTimeoutMs?: number
  /**
   * Viewer start-up: start the protocol right after the bootstrap dial and take the RTT-landmark
   * and clock-offset measurements alongside the join instead of before it (default false). They
   * cost several round trips and no protocol step needs them first. The protocol's clock is then
   * our wall clock: applying an offset learned after start would make `now` jump under running
   * timers. `sourceClockOffsetMs` is set when known and `measured` settles then; the app applies
   * the offset where it matters (playout lag). The first subscribe carries an empty locator.
   */
  readonly measureWhileJoining?: boolean
  /** How often to re-measure RTT to the landmarks (default 30 s; 0 = only at start). */
  readonly pingIntervalMs?: number
  /** Bugs in the protocol and dial failures are reported here (default: console.error for bugs). */
  readonly onError?: (err: unknown, context: string) => void
}

/** After a failed dial, messages to that peer are dropped for this long instead of redialing. */
const DIAL_BACKOFF_MS = 2000
const LOOKUP_CANDIDATES = 4

export class NetHost<M extends Message, P = unknown> {
  readonly peerId: string
  readonly protocolId: string
  readonly meters: HostMeters
  private readonly protocol: Protocol<M>
  private readonly sessions = new Map<string, PeerSession>()
  /** Sessions the protocol disconnected that still flush their last frames (kept for stop()). */
  private readonly finishing = new Set<PeerSession>()
  private readonly timers = new Map<TimerId, NodeJS.Timeout>()
  private nextTimerId = 1
  private readonly dialBackoffUntil = new Map<string, number>()
  /** Most recently heard-from peers last; the candidates for address look-ups. */
  private readonly recentlyHeard = new Map<string, true>()
  private readonly verify: ChunkVerifier
  private readonly sign: ChunkSigner | undefined
  private readonly rng: Rng
  private readonly clock: () => number
  private readonly landmarks: PeerId[]
  private landmarkRtts: (number | undefined)[] = []
  /** Source clock minus our wall clock, estimated by a viewer at start (null: unknown, or the source). */
  sourceClockOffsetMs: number | null = null
  /** Settles when the start-up measurements are done (at once unless measureWhileJoining). */
  measured: Promise<void> = Promise.resolve()
  private pingTimer: NodeJS.Timeout | undefined
  private running = false

  private constructor(
    private readonly libp2p: Libp2p,
    private readonly opts: NetHostOptions<M, P>,
  ) {
    this.peerId = libp2p.peerId.toString()
    this.protocolId = `/peercaster/${opts.overlay.name}/${opts.overlay.codec.version}`
    this.clock =
      opts.clock ?? (opts.measureWhileJoining ? Date.now : () => Date.now() + (this.sourceClockOffsetMs ?? 0))
    this.rng = createRng(opts.seed ?? (Math.random() * 2 ** 32) >>> 0)
    this.verify = opts.verifyChunk ?? createChunkVerifier(opts.streamId, publicKeyOfPeerId(opts.streamId))
    if (opts.role === 'source') {
      if (opts.streamId !== this.peerId) {
        throw new LocalProtocolError(`a source's stream id must be its own PeerId ${this.peerId}`)
      }
      this.sign = createChunkSigner(nodeSigningKey(opts.privateKey))
    }
    this.landmarks = (opts.bootstrap ?? []).map((a) => bootstrapPeer(a))
    this.meters = new HostMeters(
      () => [...this.sessions.values()].reduce((s, x) => s + x.queuedBytes, 0),
      () => this.sessions.size,
    )
    this.protocol = opts.overlay.createNode(
      this.env(),
      {
        source: opts.streamId,
        streamKbps: opts.streamKbps,
        uploadKbps: opts.uploadKbps ?? Number.POSITIVE_INFINITY,
        role: opts.role,
      },
      opts.params,
    )
  }

  /** Creates the libp2p node and starts listening; call start() to join the overlay. */
  static async create<M extends Message, P>(opts: NetHostOptions<M, P>): Promise<NetHost<M, P>> {
    const libp2p = await createLibp2pNode({
      privateKey: opts.privateKey,
      listen: opts.listen ?? undefined,
      limits: opts.connectionLimits ?? undefined,
    })
    const host = new NetHost(libp2p, opts)
    await host.listen()
    return host
  }

  private async listen(): Promise<void> {
    await this.libp2p.handle(this.protocolId, (stream, conn) => this.acceptInbound(stream, conn), {
      maxInboundStreams: 4,
    })
    await serveControl(this.libp2p, this.clock, () => this.meters.count('remoteErrors'))
  }

  /** Our listen addresses, each ending in /p2p/<our PeerId> (what goes into a stream URI). */
  addrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString())
  }

  get stats(): HostStats {
    return this.meters.stats
  }

  topology(): TopologyView {
    return this.protocol.topology()
  }

  /**
   * The protocol's clock (ms): on a viewer, the source's timeline (with measureWhileJoining, our
   * wall clock; add sourceClockOffsetMs for the source's). Feed it to the playout buffer too.
   */
  now(): number {
    return this.clock()
  }

  /** Bytes queued toward `peer` (outbox plus emulated delay line). */
  queuedBytes(peer: string): number {
    return this.sessions.get(peer)?.queuedBytes ?? 0
  }

  /**
   * Connects to the bootstrap peers (a viewer needs at least one), measures RTT to them, then
   * starts the protocol. Throws a readable error when no bootstrap peer can be reached.
   */
  async start(): Promise<void> {
    const reached: PeerId[] = []
    const failures: string[] = []
    for (const addr of this.opts.bootstrap ?? []) {
      const ma = multiaddr(addr)
      const peer = bootstrapPeer(addr)
      if (peer.equals(this.libp2p.peerId)) continue
      try {
        await this.libp2p.peerStore.merge(peer, { multiaddrs: [ma.decapsulateCode(421)] })
        await this.libp2p.dial(ma, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs ?? 5000) })
        reached.push(peer)
      } catch (err) {
        failures.push(`${addr} (${(err as Error).message})`)
      }
    }
    if (this.opts.role === 'viewer' && reached.length === 0) {
      await this.libp2p.stop()
      throw new Error(
        failures.length === 0
          ? 'Cannot join the stream: the stream URI lists no bootstrap peer'
          : `Cannot reach any bootstrap peer of the stream: ${failures.join('; ')}`,
      )
    }
    const measure = async () => {
      await this.measureLandmarks()
      if (this.opts.role === 'viewer') await this.estimateSourceClock()
    }
    if (this.opts.measureWhileJoining) this.measured = measure()
    else await measure()
    const interval = this.opts.pingIntervalMs ?? 30_000
    if (interval > 0) this.pingTimer = setInterval(() => void this.measureLandmarks(), interval).unref()
    this.running = true
    this.guard('start', () => this.protocol.start(this.clock()))
  }

  /** Source only: sign a freshly cut chunk (unless already signed) and hand it to the overlay. */
  publish(chunk: Chunk): Chunk {
    if (!this.sign) throw new LocalProtocolError('only the source publishes chunks')
    const signed = chunk.auth === null ? this.sign(chunk) : chunk
    this.guard('publish', () => this.protocol.publish(this.clock(), signed))
    return signed
  }

  /** Leave gracefully (when `graceful`), flush queued frames briefly, and stop libp2p. */
  async stop(graceful = true): Promise<void> {
    if (this.running && graceful) this.guard('leave', () => this.protocol.leave(this.clock()))
    this.running = false
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    if (this.pingTimer) clearInterval(this.pingTimer)
    const all = [...this.sessions.values(), ...this.finishing]
    if (graceful) await Promise.all(all.map((s) => s.flush(1000)))
    for (const s of all) s.close()
    this.finishing.clear()
    this.sessions.clear()
    await this.libp2p.stop()
  }

  private async measureLandmarks(): Promise<void> {
    this.landmarkRtts = await Promise.all(
      this.landmarks.map((peer) =>
        peer.equals(this.libp2p.peerId)
          ? 0
          : measureRtt(this.libp2p, peer, this.opts.dialTimeoutMs ?? 5000, this.clock)
              .then((s) => s.rttMs)
              .catch(() => undefined),
      ),
    )
  }

  /**
   * Once, before the protocol starts (so `now` never jumps under it) or alongside the join
   * (measureWhileJoining: `now` stays our wall clock): the offset of the source's
   * clock, measured over the source's own ping (error <= rtt/2). Left null when the source cannot
   * be reached directly; `now` is then our wall clock and playout lag is only as good as NTP.
   */
  private async estimateSourceClock(): Promise<void> {
    if (this.opts.clock) return
    try {
      const sample = await measureRtt(
        this.libp2p,
        peerIdFromString(this.opts.streamId),
        this.opts.dialTimeoutMs ?? 5000,
        Date.now,
      )
      this.sourceClockOffsetMs = sample.clockOffsetMs
    } catch {
      this.sourceClockOffsetMs = null
    }
  }

  private env(): Env<M> {
    const sign = this.sign
    return {
      // Only the source holds the key: a viewer's protocol sees no sign capability at all.
      ...(sign ? { sign: (chunk: Chunk) => (chunk.auth === null ? sign(chunk) : chunk) } : {}),
      self: this.peerId,
      rng: this.rng,
      send: (to, msg) => this.send(to, msg),
      setTimer: (delayMs, kind, arg) => this.setTimer(delayMs, kind, arg),
      cancelTimer: (id) => {
        clearTimeout(this.timers.get(id))
        this.timers.delete(id)
      },
      deliver: (chunk, hops) => {
        this.meters.count('delivered')
        this.opts.onDeliver?.(chunk, hops)
      },
      locate: (): Locator => locatorFromRtts(this.landmarkRtts),
      distance: (a, b) => landmarkDistance(a, b),
      metric: (name, value) => this.meters.metric(name, value),
      disconnect: (peer) => {
        const session = this.sessions.get(String(peer))
        if (!session) return
        this.sessions.delete(String(peer))
        this.finishing.add(session)
        session.finish(5000, () => this.finishing.delete(session))
      },
    }
  }

  private setTimer(delayMs: number, kind: number, arg: NodeId | undefined): TimerId {
    const id = this.nextTimerId++
    const timer = setTimeout(
      () => {
        this.timers.delete(id)
        if (this.running) this.guard('onTimer', () => this.protocol.onTimer(this.clock(), kind, arg))
      },
      Math.max(0, delayMs),
    )
    this.timers.set(id, timer)
    return id
  }

  private send(to: NodeId, msg: M): void {
    const peer = String(to)
    if (peer === this.peerId)
      throw new LocalProtocolError(`${this.opts.overlay.name}: node sent a message to itself`)
    const frame = encodeFrame(this.opts.overlay.codec.encode(msg))
    const data = this.opts.overlay.codec.isData(msg)
    if (this.dialBackoffUntil.size > 1024) this.pruneBackoffs()
    const backoff = this.dialBackoffUntil.get(peer)
    if (backoff !== undefined) {
      if (this.clock() < backoff) {
        this.meters.count('outboxDroppedFrames')
        this.meters.count('outboxDroppedBytes', frame.length)
        return
      }
      this.dialBackoffUntil.delete(peer)
    }
    let session = this.sessions.get(peer)
    if (!session || session.isClosed) {
      session = this.openSession(peer)
      this.sessions.set(peer, session)
    }
    session.send(frame, data)
  }

  private pruneBackoffs(): void {
    const now = this.clock()
    for (const [peer, until] of this.dialBackoffUntil) if (until <= now) this.dialBackoffUntil.delete(peer)
  }

  private openSession(peer: string): PeerSession {
    const profile = this.opts.linkProfile?.(peer)
    const shaper = profile ? new LinkShaper(profile, this.rng.fork(this.sessions.size + 1)) : undefined
    return new PeerSession(
      peer,
      this.opts.outboxLimits ?? DEFAULT_OUTBOX_LIMITS,
      {
        now: () => this.clock(),
        openStream: (p) => this.openStream(p),
        sent: (bytes, data, lost) => {
          if (lost) return this.meters.count('linkLost')
          this.meters.count('framesOut')
          this.meters.count('bytesOut', bytes)
          this.meters.count(data ? 'dataBytesOut' : 'controlBytesOut', bytes)
        },
        dropped: (frames, bytes) => {
          this.meters.count('outboxDroppedFrames', frames)
          this.meters.count('outboxDroppedBytes', bytes)
        },
        failed: (p, reason, err) => {
          this.meters.count('sessionResets')
          this.opts.onError?.(err ?? new Error(reason), `session to ${p}: ${reason}`)
          if (this.sessions.get(p)?.isClosed) this.sessions.delete(p)
        },
      },
      shaper,
    )
  }

  private async openStream(peer: string): Promise<Stream> {
    const id = peerIdFromString(peer)
    const signal = AbortSignal.timeout(this.opts.dialTimeoutMs ?? 5000)
    try {
      if (this.libp2p.getConnections(id).length === 0 && !(await this.hasAddrs(id))) await this.findAddrs(id)
      // Optimistic protocol selection: the protocol id travels with our first frame instead of
      // costing a round trip first (one per new session; a redirect walk opens one per hop, and
      // so does each acceptor toward its new child). We only write on these streams, and a peer
      // without the protocol resets it, which the session reports like any other failure.
      return await this.libp2p.dialProtocol(id, this.protocolId, { signal, negotiateFully: false })
    } catch (err) {
      this.meters.count('dialFailures')
      this.dialBackoffUntil.set(peer, this.clock() + DIAL_BACKOFF_MS)
      throw err
    }
  }

  private async hasAddrs(id: PeerId): Promise<boolean> {
    return (await this.libp2p.peerStore.has(id)) && (await this.libp2p.peerStore.get(id)).addresses.length > 0
  }

  /** Ask the most recently heard-from connected peers where `target` listens. */
  private async findAddrs(target: PeerId): Promise<void> {
    const connected = new Set(this.libp2p.getConnections().map((c) => c.remotePeer.toString()))
    const candidates = [...this.recentlyHeard.keys()].reverse().filter((p) => connected.has(p))
    for (const p of connected) if (!candidates.includes(p)) candidates.push(p)
    for (const via of candidates.slice(0, LOOKUP_CANDIDATES)) {
      const addrs = await lookupAddrs(this.libp2p, peerIdFromString(via), target.toString(), 2000)
      if (addrs.length > 0) {
        await this.libp2p.peerStore.merge(target, { multiaddrs: addrs })
        this.meters.count('addrLookups')
        return
      }
    }
    throw new Error(`no known address for peer ${target.toString()} (asked ${candidates.length} peers)`)
  }

  private acceptInbound(stream: Stream, connection: Connection): void {
    const from = connection.remotePeer.toString()
    const decoder = new FrameDecoder(this.opts.overlay.codec.maxFrameBytes)
    // We never write on an inbound stream; once the peer half-closes it (Env.disconnect), close
    // ours too. A half-closed stream stays open and counts against maxInboundStreams: after 4
    // redirect+disconnect rounds the peer could no longer reach us on that connection.
    stream.addEventListener('remoteCloseWrite', () => {
      stream.close().catch((err: Error) => stream.abort(err))
    })
    stream.addEventListener('message', (e) => {
      if (stream.status !== 'open') return
      const bytes = e.data.subarray()
      this.meters.count('bytesIn', bytes.length)
      try {
        for (const frame of decoder.push(bytes)) this.receive(from, frame)
      } catch (err) {
        if (!isRemoteProtocolError(err)) throw err
        this.meters.count('remoteErrors')
        this.opts.onError?.(err, `from ${from}`)
        stream.abort(err)
      }
    })
  }

  /** One frame from `from`: decode (throws RemoteProtocolError), verify chunks, hand to the protocol. */
  private receive(from: string, frame: Uint8Array): void {
    const msg = this.opts.overlay.codec.decode(frame)
    this.meters.count('framesIn')
    this.recentlyHeard.delete(from)
    this.recentlyHeard.set(from, true)
    if (this.recentlyHeard.size > 64) this.recentlyHeard.delete(this.recentlyHeard.keys().next().value!)
    if (msg.type === 'chunk') {
      if (!this.verify((msg as unknown as ChunkMessage).chunk)) {
        this.meters.count('chunksRejected')
        return
      }
      this.meters.count('chunksVerified')
    }
    if (this.running) this.guard('onMessage', () => this.protocol.onMessage(this.clock(), from, msg))
  }

  /** Protocol exceptions are bugs (handlers never throw on peer input): count, report, keep serving. */
  private guard(context: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.meters.count('protocolErrors')
      if (this.opts.onError) this.opts.onError(err, context)
      else console.error(`peercaster: ${this.opts.overlay.name} ${context} threw`, err)
    }
  }
}

function bootstrapPeer(addr: string): PeerId {
  const id = multiaddr(addr)
    .getComponents()
    .findLast((c) => c.name === 'p2p')?.value
  if (id === undefined) throw new LocalProtocolError(`bootstrap address ${addr} has no /p2p/<PeerId>`)
  return peerIdFromString(id)
}
