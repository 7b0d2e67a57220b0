// A loopback testbed: one Broadcaster and N Viewers in this process, every pair of peers behind
// emulated WAN links (src/net link emulation, seeded). Used by the end-to-end tests and by
// bench/testbed.bench.ts. Lives in test/ because it drives src/app, which src/net must not import.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broadcaster, type BroadcasterOptions } from '../../src/app/broadcaster.ts'
import { Viewer } from '../../src/app/viewer.ts'
import { createRng } from '../../src/core/rng.ts'
import { type LinkProfile, loadOrCreateIdentity } from '../../src/net/index.ts'
import { type BedPeer, LoopbackBed } from './loopback-bed.ts'

export interface TestbedOptions {
  readonly viewers: number
  /** Seeds the link delays (and so the whole layout): same seed, same links. */
  readonly seed: number
  /** Broadcaster input: a URL (live encoder), a path, or 'sample'. */
  readonly input: string
  readonly loop?: boolean
  readonly realtime?: boolean
  readonly streamKbps: number
  readonly chunkRateHz?: number
  /** Default 'spreadit'. */
  readonly overlay?: string
  readonly overlayParams?: Record<string, unknown>
  /**
   * Each peer's one-way access delay is uniform in [min, max] ms; a pair's one-way delay is the
   * sum of both ends' (default [10, 40], so every pair sees 20-80 ms).
   */
  readonly accessDelayMs?: readonly [number, number]
  /** Jitter on every link (ms, default 2). */
  readonly jitterMs?: number
  readonly viewerUploadKbps?: number
  readonly sourceUploadKbps?: number
  readonly startupChunks?: number
  /** Viewers joining at the same time (default 4). */
  readonly joinConcurrency?: number
  readonly onSourceError?: (err: Error) => void
}

export interface TestbedPeer extends BedPeer {
  readonly peerId: string
  readonly keyPath: string
  readonly accessDelayMs: number
  /** Wall time Viewer.start took (bootstrap dial, RTT landmarks, clock offset, protocol start). */
  startMs: number
}

export class Testbed extends LoopbackBed<TestbedPeer> {
  readonly sourceKeyPath: string
  sourcePeerId = ''
  private readonly delays = new Map<string, number>()
  private sourceDelayMs = 0

  private constructor(
    readonly dir: string,
    readonly opts: TestbedOptions,
  ) {
    super()
    this.sourceKeyPath = join(dir, 'source.key')
  }

  /** Starts the source, then the viewers; on any failure stops what started and rethrows. */
  static async start(opts: TestbedOptions): Promise<Testbed> {
    return LoopbackBed.started(new Testbed(await mkdtemp(join(tmpdir(), 'peercaster-testbed-')), opts))
  }

  /** One-way emulated delay between two peers of the testbed (ms), or undefined for strangers. */
  linkDelayMs(a: string, b: string): number | undefined {
    const da = this.delays.get(a)
    const db = this.delays.get(b)
    return da === undefined || db === undefined ? undefined : da + db
  }

  /** The key directory goes once every peer has stopped. */
  protected async release(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }

  private profileFrom(selfDelayMs: number): (peer: string) => LinkProfile | undefined {
    const jitterMs = this.opts.jitterMs ?? 2
    return (peer) => {
      const other = this.delays.get(peer)
      if (other === undefined) return undefined
      const delayMs = selfDelayMs + other
      return { delayMs, jitterMs: Math.min(jitterMs, delayMs), loss: 0, uploadKbps: Number.POSITIVE_INFINITY }
    }
  }

  protected async launch(): Promise<void> {
    const rng = createRng(this.opts.seed)
    const [lo, hi] = this.opts.accessDelayMs ?? [10, 40]
    const drawDelay = () => lo + rng.next() * (hi - lo)
    // Keys first, so every PeerId (and so every link delay) is known before anyone dials.
    const sourceId = await loadOrCreateIdentity(this.sourceKeyPath)
    this.sourcePeerId = sourceId.peerId.toString()
    this.sourceDelayMs = drawDelay()
    this.delays.set(this.sourcePeerId, this.sourceDelayMs)
    for (let i = 0; i < this.opts.viewers; i++) {
      const keyPath = join(this.dir, `viewer-${i}.key`)
      const id = await loadOrCreateIdentity(keyPath)
      const peer: TestbedPeer = {
        index: i,
        peerId: id.peerId.toString(),
        keyPath,
        accessDelayMs: drawDelay(),
        viewer: undefined,
        alive: false,
        startMs: 0,
      }
      this.delays.set(peer.peerId, peer.accessDelayMs)
      this.peers.push(peer)
    }

    const sourceOptions: BroadcasterOptions = {
      input: this.opts.input,
      streamKbps: this.opts.streamKbps,
      overlay: this.opts.overlay ?? 'spreadit',
      keyPath: this.sourceKeyPath,
      linkProfile: this.profileFrom(this.sourceDelayMs),
      ...(this.opts.loop !== undefined ? { loop: this.opts.loop } : {}),
      ...(this.opts.realtime !== undefined ? { realtime: this.opts.realtime } : {}),
      ...(this.opts.chunkRateHz !== undefined ? { chunkRateHz: this.opts.chunkRateHz } : {}),
      ...(this.opts.overlayParams !== undefined ? { overlayParams: this.opts.overlayParams } : {}),
      ...(this.opts.sourceUploadKbps !== undefined ? { uploadKbps: this.opts.sourceUploadKbps } : {}),
      ...(this.opts.onSourceError !== undefined ? { onError: this.opts.onSourceError } : {}),
    }
    this.source = await Broadcaster.start(sourceOptions)
    await this.joinAll(this.opts.joinConcurrency ?? 4, (peer) => this.join(peer))
  }

  private async join(peer: TestbedPeer): Promise<void> {
    const began = performance.now()
    peer.viewer = await Viewer.start({
      uri: this.uri,
      httpPort: 0,
      keyPath: peer.keyPath,
      linkProfile: this.profileFrom(peer.accessDelayMs),
      ...(this.opts.viewerUploadKbps !== undefined ? { uploadKbps: this.opts.viewerUploadKbps } : {}),
      ...(this.opts.startupChunks !== undefined ? { startupChunks: this.opts.startupChunks } : {}),
    })
    peer.startMs = performance.now() - began
    peer.alive = true
  }
}
