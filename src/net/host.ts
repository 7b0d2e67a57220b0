import type { Connection, Ed25519PrivateKey, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Message } from '../core/codec.ts'
import { isRemoteProtocolError, LocalProtocolError } from '../core/errors.ts'
import type { NodeId } from '../core/ids.ts'
import type {
  Env,
  Locator,
  NodeContext,
  NodeRole,
  Overlay,
  Protocol,
  TimerId,
  TopologyView,
} from '../core/protocol.ts'
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
import { parseServerAddrs, rankServers, type ServerAddr, type ServerProbe } from './server-list.ts'

/**
 * Drives any overlay's sans-IO Protocol over libp2p. The protocol's handlers run synchronously
 * from event-loop callbacks (incoming frames, timers); everything async (dials, drains, address
 * look-ups) stays here. Node ids are PeerId strings.
 */
export interface NetHostOptions<M extends Message, P> {
  readonly overlay: Overlay<M, P>
  readonly params: P
  /**
   * 'server': an infrastructure node (an i3 rendezvous server). It carries no stream of its own,
   * serves any group, and so cannot know every stream key: it verifies no chunk (end hosts verify
   * every chunk before playing or relaying it), estimates no source clock, needs no bootstrap.
   */
  readonly role: NodeRole
  /** The stream id = the source's PeerId string (a source passes its own). Servers have none. */
  readonly streamId?: string
  readonly streamKbps: number
  /** This node's upload capacity in kbit/s (default Infinity). */
  readonly uploadKbps?: number
  readonly privateKey: Ed25519PrivateKey
  /** Listen multiaddrs (default /ip4/127.0.0.1/tcp/0). */
  readonly listen?: readonly string[]
  readonly connectionLimits?: ConnectionLimits
  /** Multiaddrs ending in /p2p/<PeerId> (from the stream URI); also the RTT landmarks. */
  readonly bootstrap?: readonly string[]
  /**
   * Infrastructure servers (i3 rendezvous), multiaddrs ending in /p2p/<PeerId>; their addresses go
   * into the address book. End hosts: start() dials and pings each (in parallel), fails when none
   * answers, and hands the protocol NodeContext.servers nearest first; they are the RTT landmarks
   * when there is no bootstrap list. The first one given is the stream clock's reference (see
   * `clockReference`). Servers: the other servers of the deployment (NodeContext.servers = itself
   * plus these, a static ring); they need not be up yet.
   */
  readonly servers?: readonly string[]
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
  /** Created by start(), once NodeContext.servers is known (nearest first needs measurements). */
  private protocol: Protocol<M> | undefined
  private readonly sessions = new Map<string, PeerSession>()
  /** Sessions the protocol disconnected that still flush their last frames (kept for stop()). */
  private readonly finishing = new Set<PeerSession>()
  private readonly timers = new Map<TimerId, NodeJS.Timeout>()
  private nextTimerId = 1
  private readonly dialBackoffUntil = new Map<string, number>()
  /** Most recently heard-from peers last; the candidates for address look-ups. */
  private readonly recentlyHeard = new Map<string, true>()
  /** Undefined on a server: it forwards chunks of any stream unverified. */
  private readonly verify: ChunkVerifier | undefined
  private readonly sign: ChunkSigner | undefined
  private readonly rng: Rng
  private readonly clock: () => number
  private readonly landmarks: PeerId[]
  private landmarkRtts: (number | undefined)[] = []
  private readonly serverAddrs: readonly ServerAddr[]
  /**
   * Source clock minus our wall clock, estimated by a viewer at start (null: unknown, or the source).
   * With servers (i3, where nobody reaches the source) "the source clock" is the stream clock: the
   * clock of the reference server (the first one listed), which the source adopts at start.
   */
  sourceClockOffsetMs: number | null = null
  /**
   * With servers: the address of the server whose clock is the stream clock. A source takes the
   * first of its servers that answered (it must be listed first in the stream URI); a viewer the
   * first in the URI. Undefined when that server did not answer (a viewer's offset is then null).
   */
  clockReference: string | undefined
  /** NodeContext.servers as handed to the protocol (end hosts: nearest first). */
  servers: readonly string[] = []
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
    this.serverAddrs = parseServerAddrs(opts.servers ?? [])
    if (opts.role !== 'server' && opts.streamId === undefined) {
      throw new LocalProtocolError(`a ${opts.role} needs the stream id`)
    }
    this.verify =
      opts.role === 'server'
        ? undefined
        : (opts.verifyChunk ?? createChunkVerifier(opts.streamId!, publicKeyOfPeerId(opts.streamId!)))
    if (opts.role === 'source') {
      if (opts.streamId !== this.peerId) {
        throw new LocalProtocolError(`a source's stream id must be its own PeerId ${this.peerId}`)
      }
      this.sign = createChunkSigner(nodeSigningKey(opts.privateKey))
    }
    this.landmarks =
      (opts.bootstrap ?? []).length > 0 || opts.role === 'server'
        ? (opts.bootstrap ?? []).map((a) => bootstrapPeer(a))
        : this.serverAddrs.map((s) => s.peer)
    this.meters = new HostMeters(
      () => [...this.sessions.values()].reduce((s, x) => s + x.queuedBytes, 0),
      () => this.sessions.size,
    )
  }

  /** Creates the libp2p node and starts listening; call start() to join the overlay. */
  static async create<M extends Message, P>(opts: NetHostOptions<M, P>): Promise<NetHost<M, P>> {
    const libp2p = await createLibp2pNode({
      privateKey: opts.privateKey,
      listen: opts.listen ?? undefined,
      limits: opts.connectionLimits ?? undefined,
    })
    let host: NetHost<M, P>
    try {
      host = new NetHost(libp2p, opts)
      await host.listen()
    } catch (err) {
      await libp2p.stop()
      throw err
    }
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
    return this.protocol?.topology() ?? NOT_STARTED
  }

  /**
   * The protocol object itself, once started: hosts of infrastructure nodes read their counters
   * (an i3 server's triggers held, packets forwarded) beyond what TopologyView says.
   */
  get node(): Protocol<M> | undefined {
    return this.protocol
  }

  /** Peers with an open connection to us (a server's clients and fellow servers). */
  connectedPeers(): string[] {
    return [...new Set(this.libp2p.getConnections().map((c) => c.remotePeer.toString()))]
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
   * Connects to the bootstrap peers (a viewer needs at least one) and the servers (an end host
   * needs at least one to answer), measures RTT to them, then creates and starts the protocol.
   * Throws a readable error, with libp2p stopped, when nobody needed can be reached.
   */
  async start(): Promise<void> {
    try {
      await this.connect()
    } catch (err) {
      await this.libp2p.stop()
      throw err
    }
    const interval = this.opts.pingIntervalMs ?? 30_000
    if (interval > 0 && this.landmarks.length > 0)
      this.pingTimer = setInterval(() => void this.measureLandmarks(), interval).unref()
    this.running = true
    this.guard('start', () => this.protocol!.start(this.clock()))
  }

  private async connect(): Promise<void> {
    const self = this.libp2p.peerId
    for (const s of this.serverAddrs) {
      if (!s.peer.equals(self)) await this.libp2p.peerStore.merge(s.peer, { multiaddrs: [s.transport] })
    }
    const reached: PeerId[] = []
    const failures: string[] = []
    for (const addr of this.opts.bootstrap ?? []) {
      const ma = multiaddr(addr)
      const peer = bootstrapPeer(addr)
      if (peer.equals(self)) continue
      try {
        await this.libp2p.peerStore.merge(peer, { multiaddrs: [ma.decapsulateCode(421)] })
        await this.libp2p.dial(ma, { signal: AbortSignal.timeout(this.opts.dialTimeoutMs ?? 5000) })
        reached.push(peer)
      } catch (err) {
        failures.push(`${addr} (${(err as Error).message})`)
      }
    }
    const endHostWithServers = this.opts.role !== 'server' && this.serverAddrs.length > 0
    if (this.opts.role === 'viewer' && !endHostWithServers && reached.length === 0) {
      throw new Error(
        failures.length === 0
          ? 'Cannot join the stream: the stream URI lists no bootstrap peer'
          : `Cannot reach any bootstrap peer of the stream: ${failures.join('; ')}`,
      )
    }
    if (this.opts.role === 'server') {
      const others = this.serverAddrs.map((s) => s.peer.toString()).filter((p) => p !== this.peerId)
      this.servers = [this.peerId, ...new Set(others)]
    } else if (endHostWithServers) await this.chooseServers()
    const measure = async () => {
      await this.measureLandmarks()
      if (this.opts.role === 'viewer' && !endHostWithServers) await this.estimateSourceClock()
    }
    if (this.opts.measureWhileJoining) this.measured = measure()
    else await measure()
    this.protocol = this.opts.overlay.createNode(this.env(), this.context(), this.opts.params)
  }

  private context(): NodeContext {
    return {
      source: this.opts.streamId ?? '',
      streamKbps: this.opts.streamKbps,
      uploadKbps: this.opts.uploadKbps ?? Number.POSITIVE_INFINITY,
      role: this.opts.role,
      ...(this.opts.role === 'server' || this.serverAddrs.length > 0 ? { servers: this.servers } : {}),
    }
  }

  /**
   * An end host's servers, nearest first, and the stream clock. Every server is dialled and pinged
   * at once (one round of dial + 3 pings: this is the dial the first packet needs anyway). Our
   * control pings bypass link emulation, so the emulated delay of the link to each server is added
   * to its RTT (a local testbed then ranks servers as its emulated network would).
   */
  private async chooseServers(): Promise<void> {
    const probes = await Promise.all(this.serverAddrs.map((s) => this.probeServer(s)))
    if (probes.every((p) => p.rttMs === undefined)) {
      throw new Error(
        `Cannot join the stream: none of its rendezvous servers answered: ${probes
          .map((p) => `${p.server.addr} (${p.error})`)
          .join('; ')}`,
      )
    }
    this.servers = rankServers(probes).map((p) => p.server.peer.toString())
    // The source adopts the clock of the first server that answered, before the protocol starts
    // (so `now` never jumps); a viewer measures its offset to the URI's first server, which the
    // source lists first. Error: half the source's RTT to it plus half ours.
    const reference = this.opts.role === 'source' ? probes.find((p) => p.rttMs !== undefined) : probes[0]
    if (reference?.clockOffsetMs === undefined || this.opts.clock) return
    this.clockReference = reference.server.addr
    this.sourceClockOffsetMs = reference.clockOffsetMs
  }

  private async probeServer(server: ServerAddr): Promise<ServerProbe> {
    if (server.peer.equals(this.libp2p.peerId)) return { server, rttMs: 0, clockOffsetMs: 0 }
    try {
      // Best of 2 after a warm-up ping: one sample on a busy host can be off by tens of ms.
      const sample = await measureRtt(this.libp2p, server.peer, this.opts.dialTimeoutMs ?? 5000, Date.now, 3)
      const emulated = this.opts.linkProfile?.(server.peer.toString())?.delayMs ?? 0
      return { server, rttMs: sample.rttMs + 2 * emulated, clockOffsetMs: sample.clockOffsetMs }
    } catch (err) {
      return { server, rttMs: undefined, clockOffsetMs: undefined, error: (err as Error).message }
    }
  }

  /** Source only: sign a freshly cut chunk (unless already signed) and hand it to the overlay. */
  publish(chunk: Chunk): Chunk {
    if (!this.sign) throw new LocalProtocolError('only the source publishes chunks')
    const protocol = this.protocol
    if (!protocol) throw new LocalProtocolError('publish before start()')
    const signed = chunk.auth === null ? this.sign(chunk) : chunk
    this.guard('publish', () => protocol.publish(this.clock(), signed))
    return signed
  }

  /** Leave gracefully (when `graceful`), flush queued frames briefly, and stop libp2p. */
  async stop(graceful = true): Promise<void> {
    if (this.running && graceful) this.guard('leave', () => this.protocol!.leave(this.clock()))
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
        peerIdFromString(this.opts.streamId!),
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
        if (this.running) this.guard('onTimer', () => this.protocol!.onTimer(this.clock(), kind, arg))
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
    if (msg.type === 'chunk' && this.verify) {
      if (!this.verify((msg as unknown as ChunkMessage).chunk)) {
        this.meters.count('chunksRejected')
        return
      }
      this.meters.count('chunksVerified')
    }
    if (this.running) this.guard('onMessage', () => this.protocol!.onMessage(this.clock(), from, msg))
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

const NOT_STARTED: TopologyView = { parents: [], children: [], connected: false, maxChildren: 0 }

function bootstrapPeer(addr: string): PeerId {
  const id = multiaddr(addr)
    .getComponents()
    .findLast((c) => c.name === 'p2p')?.value
  if (id === undefined) throw new LocalProtocolError(`bootstrap address ${addr} has no /p2p/<PeerId>`)
  return peerIdFromString(id)
}
