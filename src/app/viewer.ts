import type { Ed25519PrivateKey } from '@libp2p/interface'
import type { Message } from '../core/codec.ts'
import { PlayerServer, type PlayerServerStats } from '../media/player-server.ts'
import { NetHost } from '../net/host.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import type { LinkProfile } from '../net/link-emulation.ts'
import { parseStreamUri, requiredServers, type StreamUri } from '../net/stream-uri.ts'
import { I3_METRIC } from '../overlays/i3/host/metrics.ts'
import type { Chunk } from '../stream/chunk.ts'
import { PlayoutBuffer, playoutConfig } from '../stream/playout.ts'
import type { QoeSnapshot } from '../stream/qoe.ts'
import { chooseOverlay } from './overlay-choice.ts'
import { registerQoeGauges } from './qoe-gauges.ts'
import { uploadNeed, uploadShortfall } from './upload-need.ts'
import { type ViewerProblem, ViewerProblemDetector } from './viewer-problems.ts'

export interface ViewerOptions {
  uri: string
  /** 0 = any free port (tests); the CLI's default is 8902. */
  httpPort?: number
  /**
   * Declared upload (kbit/s). Default: what the overlay needs when it needs a fixed amount
   * (P2PCast: f/(f-1) × the stream rate, see upload-need.ts), else unlimited. A declared value
   * below that need is reported once through onProblem ('upload-below-need').
   */
  uploadKbps?: number
  /** Identity key file (default ~/.peercaster/identity.key). Ignored when privateKey is given. */
  keyPath?: string
  /** An in-memory identity (tests, demo). */
  privateKey?: Ed25519PrivateKey
  /** Default ['/ip4/127.0.0.1/tcp/0']; children dial these, so a relay must be reachable on them. */
  listen?: string[]
  linkProfile?: (peer: string) => LinkProfile | undefined
  /** Consecutive chunks buffered before playback starts (default 3: two periods of jitter margin). */
  startupChunks?: number
  seed?: number
  /**
   * A mistake the viewer cannot recover from alone (a stream id nobody holds, a stream id that does
   * not match the chunks' signatures), reported once per kind; the viewer keeps trying regardless.
   */
  onProblem?: (problem: ViewerProblem) => void
}

/** The playout figures a viewer reports, as the stream layer defines them (src/stream/qoe.ts). */
type ViewerQoe = Pick<
  QoeSnapshot,
  | 'startupDelayMs'
  | 'playoutLagMs'
  | 'continuity'
  | 'chunksDue'
  | 'chunksPlayed'
  | 'chunksMissing'
  | 'chunksLate'
  | 'duplicates'
>

export interface ViewerStats extends ViewerQoe {
  peerId: string
  streamId: string
  /** Whether the overlay has a working feed right now. */
  connected: boolean
  parents: string[]
  children: string[]
  /** Overlay hops of the newest chunk received (its depth in a tree); null before any chunk. */
  hops: number | null
  bytesUp: number
  bytesDown: number
  /** Chunks whose source signature failed: dropped, never relayed or played. */
  invalidChunks: number
  /** Frames from peers that broke the protocol (garbage, oversized): the stream was reset. */
  remoteErrors: number
  /**
   * Source clock minus ours, estimated at join (null: the source was not reachable directly). i3:
   * the stream clock, i.e. the first rendezvous server's, which the source adopts (see net.md).
   */
  sourceClockOffsetMs: number | null
  /** The problems reported so far (see ViewerOptions.onProblem), one line each. */
  problems: string[]
  /** i3: the rendezvous servers this viewer uses, nearest first (empty for other overlays). */
  servers: string[]
}

export const DEFAULT_VIEWER_STARTUP_CHUNKS = 3

/**
 * A viewer: joins the stream named by a URI through a NetHost in the viewer role, verifies and
 * relays chunks (the host does both), and plays them out through a PlayoutBuffer into a local
 * PlayerServer (/live.ts, /stats, /metrics). Parent changes are invisible to the player: only
 * chunk order reaches it.
 */
export class Viewer {
  readonly playerUrl: string
  readonly statsUrl: string
  readonly metricsUrl: string
  private buffer: PlayoutBuffer | null = null
  private playoutTimer: NodeJS.Timeout | undefined
  private lastHops: number | null = null
  /** The host clock never steps back under the buffer (a wall-clock adjustment would throw there). */
  private lastNowMs = Number.NEGATIVE_INFINITY
  private stopped = false
  private readonly problems: ViewerProblem[] = []
  private problemTimer: NodeJS.Timeout | undefined

  private constructor(
    private readonly host: NetHost<Message, unknown>,
    private readonly player: PlayerServer,
    readonly stream: StreamUri,
    private readonly startupChunks: number,
    private readonly detector: ViewerProblemDetector,
  ) {
    this.playerUrl = player.url
    this.statsUrl = `http://${player.host}:${player.port}/stats`
    this.metricsUrl = `http://${player.host}:${player.port}/metrics`
  }

  /**
   * Parses the URI (StreamUriError names the bad field), opens the player endpoint (PortInUseError),
   * then joins (an Error saying no bootstrap peer could be reached). Nothing is left running on failure.
   */
  static async start(opts: ViewerOptions): Promise<Viewer> {
    const stream = parseStreamUri(opts.uri)
    const servers = requiredServers(stream, opts.uri)
    const { overlay, params } = chooseOverlay(stream.overlay, stream.params)
    const startupChunks = opts.startupChunks ?? DEFAULT_VIEWER_STARTUP_CHUNKS
    playoutConfig(stream.chunkRateHz, { startupChunks }) // validated again by the buffer; fail early
    const privateKey = opts.privateKey ?? (await loadOrCreateIdentity(opts.keyPath)).privateKey
    let viewer: Viewer | undefined
    const player = await PlayerServer.listen({
      port: opts.httpPort ?? 8902,
      portFlag: '--http-port',
      stats: () => (viewer ? { ...viewer.stats() } : {}),
      metrics: () => (viewer ? viewer.host.meters.registry.metrics() : ''),
    })
    const detector = new ViewerProblemDetector(stream.streamId, stream.bootstrap, servers)
    const need = uploadNeed(stream.overlay, stream.params, stream.kbps)
    const uploadKbps = opts.uploadKbps ?? need?.kbps ?? Number.POSITIVE_INFINITY
    const shortfall = uploadShortfall(need, uploadKbps)
    const sourceSession = `session to ${stream.streamId}:`
    let host: NetHost<Message, unknown>
    try {
      host = await NetHost.create({
        overlay,
        params,
        role: 'viewer',
        streamId: stream.streamId,
        streamKbps: stream.kbps,
        uploadKbps,
        privateKey,
        listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: stream.bootstrap,
        // i3: the rendezvous servers, the only nodes an i3 viewer talks to (nearest first by RTT).
        ...(servers.length > 0 ? { servers } : {}),
        linkProfile: opts.linkProfile,
        seed: opts.seed,
        // The landmark and clock-offset pings run alongside the join (they used to delay it by
        // ~0.3-0.5 s on a loaded testbed); the offset only corrects the reported playout lag.
        measureWhileJoining: true,
        onDeliver: (chunk, hops) => viewer?.deliver(chunk, hops),
        // Session resets and failed dials are routine under churn; the stats count them. Failures
        // to reach the source before any chunk came are how a wrong stream id shows.
        onError: (_err, context) => {
          if (context.startsWith(sourceSession)) detector.noteSourceFailure()
        },
      })
    } catch (err) {
      await player.close()
      throw err
    }
    viewer = new Viewer(host, player, stream, startupChunks, detector)
    registerQoeGauges(host.meters.registry, () => viewer.stats())
    const joinWallMs = Date.now()
    try {
      await host.start()
    } catch (err) {
      // NetHost.start stopped libp2p already when no bootstrap peer answered.
      await player.close()
      throw err
    }
    // The buffer runs on our wall clock (host.now() with measureWhileJoining): its schedule is
    // relative, and only the lag it reports needs the source's clock (added in stats()).
    viewer.buffer = new PlayoutBuffer(
      playoutConfig(stream.chunkRateHz, { startupChunks, keepChunks: true }),
      Math.min(joinWallMs, viewer.now()),
    )
    const onProblem = opts.onProblem
    if (shortfall !== null) viewer.report({ kind: 'upload-below-need', message: shortfall }, onProblem)
    viewer.problemTimer = setInterval(() => viewer.checkProblems(onProblem), 1000).unref()
    return viewer
  }

  get peerId(): string {
    return this.host.peerId
  }

  get netHost(): NetHost<Message, unknown> {
    return this.host
  }

  stats(): ViewerStats {
    const topology = this.host.topology()
    const qoe = this.buffer?.qoe.snapshot(this.now())
    const h = this.host.stats
    return {
      peerId: this.host.peerId,
      streamId: this.stream.streamId,
      connected: topology.connected,
      parents: topology.parents.map(String),
      children: topology.children.map(String),
      hops: this.lastHops,
      startupDelayMs: qoe?.startupDelayMs ?? null,
      playoutLagMs: this.playoutLagMs(qoe?.playoutLagMs ?? null),
      continuity: qoe?.continuity ?? null,
      chunksDue: qoe?.chunksDue ?? 0,
      chunksPlayed: qoe?.chunksPlayed ?? 0,
      chunksMissing: qoe?.chunksMissing ?? 0,
      chunksLate: qoe?.chunksLate ?? 0,
      duplicates: qoe?.duplicates ?? 0,
      bytesUp: h.bytesOut,
      bytesDown: h.bytesIn,
      invalidChunks: h.chunksRejected,
      remoteErrors: h.remoteErrors,
      sourceClockOffsetMs: this.host.sourceClockOffsetMs,
      problems: this.problems.map((p) => p.message),
      servers: [...this.host.servers],
    }
  }

  /**
   * The buffer's lag is our play time minus the source's cut time; the source's clock is ahead of
   * ours by the offset measured at join (unknown: we trust NTP, as before the measurement).
   */
  private playoutLagMs(localLagMs: number | null): number | null {
    return localLagMs === null ? null : localLagMs + (this.host.sourceClockOffsetMs ?? 0)
  }

  /** What the player endpoint has served (clients, gaps spliced out, bytes). */
  playerStats(): PlayerServerStats {
    return { ...this.player.stats }
  }

  /** graceful=false: no leave messages, connections just close (what the overlay sees of a crash). */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearTimeout(this.playoutTimer)
    clearInterval(this.problemTimer)
    await Promise.all([this.host.stop(opts.graceful ?? true), this.player.close()])
  }

  private checkProblems(onProblem: ((problem: ViewerProblem) => void) | undefined): void {
    if (this.stopped) return
    this.detector.noteEmptyWalks(this.host.stats.metrics[I3_METRIC.joinRetries]?.count ?? 0)
    for (const problem of this.detector.check(this.host.stats)) this.report(problem, onProblem)
  }

  private report(problem: ViewerProblem, onProblem: ((problem: ViewerProblem) => void) | undefined): void {
    this.problems.push(problem)
    onProblem?.(problem)
  }

  private now(): number {
    this.lastNowMs = Math.max(this.lastNowMs, this.host.now())
    return this.lastNowMs
  }

  private deliver(chunk: Chunk, hops: number): void {
    const buffer = this.buffer
    if (buffer === null || this.stopped) return
    this.lastHops = hops
    buffer.push(this.now(), chunk, hops)
    this.playOut()
  }

  /** Hands every chunk due by now to the player, then sleeps until the next play time. */
  private playOut(): void {
    const buffer = this.buffer
    if (buffer === null || this.stopped) return
    const now = this.now()
    const out: Chunk[] = []
    buffer.advance(now, out)
    for (const chunk of out) this.player.write(chunk)
    clearTimeout(this.playoutTimer)
    const next = buffer.nextDeadlineMs()
    if (next !== null) this.playoutTimer = setTimeout(() => this.playOut(), Math.max(0, next - now))
  }
}
