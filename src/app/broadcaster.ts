import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Message } from '../core/codec.ts'
import { TsIngest, type TsIngestStats } from '../media/ingest.ts'
import { NetHost } from '../net/host.ts'
import type { HostStats } from '../net/host-stats.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import type { LinkProfile } from '../net/link-emulation.ts'
import { parseServerAddrs } from '../net/server-list.ts'
import { formatStreamUri, MAX_BOOTSTRAP_ADDRS, OVERLAYS_WITH_SERVERS } from '../net/stream-uri.ts'
import { MAX_CHUNK_PAYLOAD_BYTES } from '../stream/chunk.ts'
import { openBroadcastInput } from './broadcast-input.ts'
import { type ChosenOverlay, chooseOverlay, OverlayChoiceError, withAppDefaults } from './overlay-choice.ts'
import { RateMeter } from './rate-meter.ts'
import { SteadyChunker, type SteadyChunkerStats } from './steady-chunker.ts'

export interface BroadcasterOptions {
  /** '-' (stdin) | file path | http(s) URL | 'sample' (the embedded clip, looped). */
  input: string
  /** Pace file input to real time (default true for files). */
  realtime?: boolean
  loop?: boolean
  /** Raw byte mode instead of MPEG-TS. */
  raw?: boolean
  /** Default 'spreadit'. */
  overlay?: string
  /** e.g. { maxChildren: 4 }; they go into the URI so every viewer runs the same parameters. */
  overlayParams?: Record<string, unknown>
  /** Declared stream rate (child limits, URI). */
  streamKbps: number
  /** Default 4. */
  chunkRateHz?: number
  /** Source upload capacity (default unlimited: the overlay's maxChildren is the bound). */
  uploadKbps?: number
  /** Default ['/ip4/127.0.0.1/tcp/0']. */
  listen?: string[]
  /**
   * Rendezvous servers (overlay i3, required there): multiaddrs ending in /p2p/<PeerId>. The source
   * publishes through them and the URI lists them instead of the source's own addresses.
   */
  rendezvous?: string[]
  /** Identity key file (default ~/.peercaster/identity.key). Ignored when privateKey is given. */
  keyPath?: string
  /** An in-memory identity (tests, demo). */
  privateKey?: Ed25519PrivateKey
  linkProfile?: (peer: string) => LinkProfile | undefined
  /** Input failures while streaming (stdin or URL not MPEG-TS, read errors). */
  onError?: (err: Error) => void
  seed?: number
}

export interface BroadcasterStats {
  peerId: string
  uri: string
  /** Direct children of the source (i3: 0, the source sends to a server and knows no receiver). */
  viewers: number
  /** i3: the rendezvous servers the source uses, nearest first (empty for other overlays). */
  servers: string[]
  children: string[]
  chunksPublished: number
  bytesPublished: number
  streamKbps: number
  /** What the source actually uploads (all frames, over the last 5 s), kbit/s. */
  uploadKbps: number | null
  /** uploadKbps / streamKbps: SpreadIt's goal is the number of direct children, not the audience. */
  uploadRatio: number | null
  ingestErrors: number
  lastIngestError: string | null
  inputEnded: boolean
  ingest: TsIngestStats | null
  chunker: SteadyChunkerStats
  host: HostStats
}

const EMPTY_CHUNKER_STATS: SteadyChunkerStats = {
  chunks: 0,
  keyframeSnaps: 0,
  emptyChunks: 0,
  oversizeCarries: 0,
  piecesBeforeFirstKeyframe: 0,
}

/** TS input is ingested in pieces this small, so chunk boundaries can snap to any keyframe. */
const INGEST_PIECE_BYTES = 7 * 188
/** Input is paused while this much waits for its chunk (a faster-than-real-time file or pipe). */
const MAX_PENDING_BYTES = 4 * 1024 * 1024

/**
 * A stream source: input bytes → (TS ingest) → one chunk per period (SteadyChunker) → signed and
 * published into the overlay through a NetHost in the source role.
 */
export class Broadcaster {
  readonly uri: string
  private readonly abort = new AbortController()
  private readonly ingest: TsIngest | null
  private chunker: SteadyChunker | null = null
  private cutTimer: NodeJS.Timeout | undefined
  private readonly meterTimer: NodeJS.Timeout
  private readonly upload = new RateMeter()
  private cutWaiters: (() => void)[] = []
  private stopped = false
  private inputEnded = false
  private chunksPublished = 0
  private bytesPublished = 0
  private ingestErrors = 0
  private lastIngestError: string | null = null
  /** Resolves when a finite input has been read and fully published (never for a looped one). */
  readonly ended: Promise<void>
  private resolveEnded!: () => void

  private constructor(
    private readonly host: NetHost<Message, unknown>,
    private readonly opts: BroadcasterOptions,
    private readonly chunkRateHz: number,
  ) {
    this.ingest = opts.raw ? null : new TsIngest({ targetBytes: INGEST_PIECE_BYTES })
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
    const rendezvous = uriRendezvous(opts.rendezvous ?? [], host.clockReference)
    this.uri = formatStreamUri({
      streamId: host.peerId,
      overlay: opts.overlay ?? 'spreadit',
      kbps: opts.streamKbps,
      chunkRateHz,
      // A guess for the URI's informational field: sources commonly send one keyframe a second.
      keyframeEveryChunks: opts.raw ? 1 : Math.max(1, Math.round(chunkRateHz)),
      // Through rendezvous servers nobody dials the source: its address stays out of the URI.
      bootstrap: rendezvous.length > 0 ? [] : host.addrs().slice(0, MAX_BOOTSTRAP_ADDRS),
      ...(rendezvous.length > 0 ? { rendezvous } : {}),
      params: uriParams(withAppDefaults(opts.overlay ?? 'spreadit', opts.overlayParams ?? {})),
    })
    this.meterTimer = setInterval(() => this.upload.sample(host.now(), host.stats.bytesOut), 1000).unref()
    this.upload.sample(host.now(), 0)
  }

  static async start(opts: BroadcasterOptions): Promise<Broadcaster> {
    if (!(opts.streamKbps > 0)) throw new RangeError(`streamKbps must be > 0, got ${opts.streamKbps}`)
    const chunkRateHz = opts.chunkRateHz ?? 4
    if (!(chunkRateHz > 0 && chunkRateHz <= 100)) throw new RangeError(`chunkRateHz must be in (0, 100]`)
    const overlayParams = withAppDefaults(opts.overlay ?? 'spreadit', opts.overlayParams ?? {})
    const { overlay, params } = chooseOverlay(opts.overlay ?? 'spreadit', overlayParams)
    uriParams(overlayParams)
    checkRendezvous(opts.overlay ?? 'spreadit', opts.rendezvous ?? [])
    // The input first: a wrong file fails before anything listens.
    const abort = new AbortController()
    const input = await openBroadcastInput({ ...opts, signal: abort.signal })
    let host: NetHost<Message, unknown>
    try {
      host = await Broadcaster.createHost(opts, overlay, params)
    } catch (err) {
      abort.abort()
      throw err
    }
    const b = new Broadcaster(host, opts, chunkRateHz)
    b.abort.signal.addEventListener('abort', () => abort.abort(), { once: true })
    void b.pump(input)
    return b
  }

  private static async createHost(
    opts: BroadcasterOptions,
    overlay: ChosenOverlay['overlay'],
    params: unknown,
  ): Promise<NetHost<Message, unknown>> {
    const privateKey = opts.privateKey ?? (await loadOrCreateIdentity(opts.keyPath)).privateKey
    const streamId = peerIdFromPrivateKey(privateKey).toString()
    const host = await NetHost.create({
      overlay,
      params,
      role: 'source',
      streamId,
      streamKbps: opts.streamKbps,
      uploadKbps: opts.uploadKbps ?? Number.POSITIVE_INFINITY,
      privateKey,
      listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      ...((opts.rendezvous ?? []).length > 0 ? { servers: opts.rendezvous } : {}),
      linkProfile: opts.linkProfile,
      seed: opts.seed,
      // Session resets are routine (a viewer crashed); the stats count them.
      onError: () => {},
    })
    try {
      await host.start()
    } catch (err) {
      await host.stop(false)
      throw err
    }
    return host
  }

  get peerId(): string {
    return this.host.peerId
  }

  /** The source's NetHost (testbeds read its topology and meters). */
  get netHost(): NetHost<Message, unknown> {
    return this.host
  }

  stats(): BroadcasterStats {
    const topology = this.host.topology()
    const uploadKbps = this.upload.kbps()
    return {
      peerId: this.host.peerId,
      uri: this.uri,
      viewers: topology.children.length,
      children: topology.children.map(String),
      servers: [...this.host.servers],
      chunksPublished: this.chunksPublished,
      bytesPublished: this.bytesPublished,
      streamKbps: this.opts.streamKbps,
      uploadKbps,
      uploadRatio: uploadKbps === null ? null : uploadKbps / this.opts.streamKbps,
      ingestErrors: this.ingestErrors,
      lastIngestError: this.lastIngestError,
      inputEnded: this.inputEnded,
      ingest: this.ingest?.stats() ?? null,
      chunker: { ...(this.chunker?.stats ?? { ...EMPTY_CHUNKER_STATS }) },
      host: { ...this.host.stats },
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.abort.abort()
    clearTimeout(this.cutTimer)
    clearInterval(this.meterTimer)
    this.releaseWaiters()
    await this.host.stop(true)
  }

  private async pump(input: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const bytes of input) {
        if (this.stopped) return
        const now = this.host.now()
        if (this.ingest === null) this.accept({ payload: bytes.slice(), keyframe: false }, now)
        else for (const piece of this.ingest.push(bytes, now)) this.accept(piece, now)
        while (!this.stopped && (this.chunker?.pendingBytes ?? 0) > MAX_PENDING_BYTES) {
          await new Promise<void>((resolve) => this.cutWaiters.push(resolve))
        }
      }
      if (this.ingest !== null && !this.stopped) {
        const now = this.host.now()
        for (const piece of this.ingest.end(now)) this.accept(piece, now)
      }
    } catch (err) {
      if (this.stopped) return
      this.ingestErrors++
      this.lastIngestError = (err as Error).message
      this.opts.onError?.(err as Error)
    }
    this.inputEnded = true
    if (this.chunker === null || this.chunker.pendingBytes === 0) this.resolveEnded()
  }

  private accept(piece: { payload: Uint8Array; keyframe: boolean }, now: number): void {
    if (this.chunker === null) {
      // The schedule starts with the first input: no empty chunks while a pipe or URL warms up.
      this.chunker = new SteadyChunker({
        chunkRateHz: this.chunkRateHz,
        startMs: now,
        maxBytes: MAX_CHUNK_PAYLOAD_BYTES,
        raw: this.opts.raw ?? false,
      })
      this.scheduleCut()
    }
    this.chunker.add(piece, now)
  }

  private scheduleCut(): void {
    const chunker = this.chunker
    if (chunker === null || this.stopped) return
    const delay = Math.max(0, chunker.nextCutTime() - this.host.now())
    this.cutTimer = setTimeout(() => this.cutDue(), delay)
  }

  private cutDue(): void {
    const chunker = this.chunker
    if (chunker === null || this.stopped) return
    for (const piece of chunker.cut(this.host.now())) {
      const signed = this.host.publish({ ...piece, stream: this.host.peerId, auth: null })
      this.chunksPublished++
      this.bytesPublished += signed.size
    }
    this.releaseWaiters()
    if (this.inputEnded && chunker.pendingBytes === 0) {
      this.resolveEnded()
      return
    }
    this.scheduleCut()
  }

  private releaseWaiters(): void {
    const waiters = this.cutWaiters
    this.cutWaiters = []
    for (const w of waiters) w()
  }
}

/** Rendezvous servers are what an i3 stream runs through, and nothing else uses them. */
function checkRendezvous(overlay: string, rendezvous: readonly string[]): void {
  const needs = OVERLAYS_WITH_SERVERS.includes(overlay)
  if (needs && rendezvous.length === 0)
    throw new OverlayChoiceError(
      `overlay ${overlay} needs at least one rendezvous server (--rendezvous <multiaddr>)`,
    )
  if (!needs && rendezvous.length > 0)
    throw new OverlayChoiceError(
      `rendezvous servers are for overlay ${OVERLAYS_WITH_SERVERS.join(', ')} only, not ${overlay}`,
    )
  if (rendezvous.length > MAX_BOOTSTRAP_ADDRS)
    throw new OverlayChoiceError(
      `${rendezvous.length} rendezvous servers, at most ${MAX_BOOTSTRAP_ADDRS} fit a stream URI`,
    )
  try {
    parseServerAddrs(rendezvous)
  } catch (err) {
    throw new OverlayChoiceError(`rendezvous ${(err as Error).message}`)
  }
}

/**
 * The URI's rendezvous list: the server whose clock the source adopted first (viewers measure
 * their offset to the first one listed), then the others as given.
 */
function uriRendezvous(given: readonly string[], reference: string | undefined): string[] {
  if (reference === undefined) return [...given]
  return [reference, ...given.filter((a) => a !== reference)]
}

/** Overlay parameters as URI values; the overlays' parameters are all numbers, booleans or names. */
function uriParams(raw: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new RangeError(`overlay parameter ${key} must be a string, number or boolean to fit a stream URI`)
    }
    out[key] = value
  }
  return out
}
