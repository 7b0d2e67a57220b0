import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createRng } from '../core/rng.ts'
import type { LinkProfile } from '../net/link-emulation.ts'
import { summarize } from '../stream/summary.ts'
import { SAMPLE_INPUT } from './broadcast-input.ts'
import { Broadcaster } from './broadcaster.ts'
import { Viewer } from './viewer.ts'

export interface DemoSwarmOptions {
  viewers: number
  /** Player port of the watched viewer (0: any free port). */
  httpPort: number
  seed?: number
  streamKbps?: number
  maxChildren?: number
  /** Viewers joining at once (default 4). */
  joinConcurrency?: number
  /** Called after each viewer joined (progress). */
  onJoin?: (joined: number, total: number) => void
}

export interface SwarmRow {
  name: string
  peerId: string
  parent: string
  /** Overlay hops from the source of the newest chunk (the tree depth). */
  depth: number | null
  children: number
  startupDelayMs: number | null
  playoutLagMs: number | null
  continuity: number | null
  watched: boolean
}

export interface SwarmSummary {
  viewers: number
  playing: number
  sourceChildren: number
  sourceUploadRatio: number | null
  medianStartupMs: number | null
  meanContinuity: number | null
  maxDepth: number | null
}

interface Member {
  name: string
  key: Ed25519PrivateKey
  peerId: string
  accessDelayMs: number
  uploadKbps: number
  viewer?: Viewer
}

/** Upload capacities in stream units: with 0.9 headroom they allow 1, 2 or 3 children. */
const UPLOAD_STREAM_MULTIPLES = [1.5, 2.5, 3.5]

/**
 * `peercaster demo`: the sample clip looped by a source and N viewers in this process, all on
 * loopback, each pair of peers behind an emulated WAN link (one-way delay = the sum of both ends'
 * access delays, each uniform in 10-40 ms, so 20-80 ms; ±2 ms jitter). Upload capacities of 1.5 to
 * 3.5 times the stream rate and maxChildren 3 give the tree some depth. In-memory keys: the demo
 * writes no files. The last viewer to join is the one whose player URL is printed (likely deep).
 */
export class DemoSwarm {
  private constructor(
    readonly source: Broadcaster,
    private readonly members: Member[],
    readonly watched: Viewer,
  ) {}

  static async start(opts: DemoSwarmOptions): Promise<DemoSwarm> {
    const rng = createRng(opts.seed ?? 1)
    const streamKbps = opts.streamKbps ?? 1000
    const accessDelay = () => 10 + rng.next() * 30
    const delays = new Map<string, number>()
    const profile =
      (selfDelayMs: number) =>
      (peer: string): LinkProfile | undefined => {
        const other = delays.get(peer)
        if (other === undefined) return undefined
        return { delayMs: selfDelayMs + other, jitterMs: 2, loss: 0, uploadKbps: Number.POSITIVE_INFINITY }
      }
    const sourceKey = await generateKeyPair('Ed25519')
    const sourceDelay = accessDelay()
    delays.set(peerIdFromPrivateKey(sourceKey).toString(), sourceDelay)
    const members: Member[] = []
    for (let i = 0; i < opts.viewers; i++) {
      const key = await generateKeyPair('Ed25519')
      const m: Member = {
        name: `v${i + 1}`,
        key,
        peerId: peerIdFromPrivateKey(key).toString(),
        accessDelayMs: accessDelay(),
        uploadKbps:
          streamKbps * UPLOAD_STREAM_MULTIPLES[Math.floor(rng.next() * UPLOAD_STREAM_MULTIPLES.length)]!,
      }
      delays.set(m.peerId, m.accessDelayMs)
      members.push(m)
    }
    const source = await Broadcaster.start({
      input: SAMPLE_INPUT,
      loop: true,
      streamKbps,
      overlayParams: { maxChildren: opts.maxChildren ?? 3 },
      uploadKbps: streamKbps * 3.5,
      privateKey: sourceKey,
      linkProfile: profile(sourceDelay),
      seed: rng.int(2 ** 31),
    })
    const watchedMember = members[members.length - 1]
    let joined = 0
    try {
      const queue = [...members]
      const worker = async () => {
        for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
          m.viewer = await Viewer.start({
            uri: source.uri,
            httpPort: m === watchedMember ? opts.httpPort : 0,
            uploadKbps: m.uploadKbps,
            privateKey: m.key,
            linkProfile: profile(m.accessDelayMs),
            seed: rng.int(2 ** 31),
          })
          opts.onJoin?.(++joined, members.length)
        }
      }
      // The watched viewer joins last, after the others (so it tends to sit deep in the tree).
      const last = queue.pop()
      await Promise.all(Array.from({ length: opts.joinConcurrency ?? 4 }, worker))
      if (last) {
        queue.push(last)
        await worker()
      }
    } catch (err) {
      await Promise.allSettled(members.map((m) => m.viewer?.stop({ graceful: false })))
      await source.stop()
      throw err
    }
    return new DemoSwarm(source, members, watchedMember!.viewer!)
  }

  rows(): SwarmRow[] {
    const names = new Map<string, string>([[this.source.peerId, 'source']])
    for (const m of this.members) names.set(m.peerId, m.name)
    return this.members.map((m) => {
      const s = m.viewer!.stats()
      return {
        name: m.name,
        peerId: m.peerId,
        parent: s.parents.map((p) => names.get(p) ?? p.slice(-6)).join(',') || '-',
        depth: s.hops,
        children: s.children.length,
        startupDelayMs: s.startupDelayMs,
        playoutLagMs: s.playoutLagMs,
        continuity: s.continuity,
        watched: m.viewer === this.watched,
      }
    })
  }

  summary(rows: readonly SwarmRow[] = this.rows()): SwarmSummary {
    const source = this.source.stats()
    const startups = rows.flatMap((r) => (r.startupDelayMs === null ? [] : [r.startupDelayMs]))
    const continuities = rows.flatMap((r) => (r.continuity === null ? [] : [r.continuity]))
    const depths = rows.flatMap((r) => (r.depth === null ? [] : [r.depth]))
    return {
      viewers: rows.length,
      playing: startups.length,
      sourceChildren: source.viewers,
      sourceUploadRatio: source.uploadRatio,
      medianStartupMs: startups.length > 0 ? summarize(startups).p50 : null,
      meanContinuity: continuities.length > 0 ? summarize(continuities).mean : null,
      maxDepth: depths.length > 0 ? Math.max(...depths) : null,
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.viewer?.stop({ graceful: true })))
    await this.source.stop()
  }
}
