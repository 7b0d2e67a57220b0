import { type AddressInfo, createServer } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createRng } from '../core/rng.ts'
import type { LinkProfile } from '../net/link-emulation.ts'
import { summarize } from '../stream/summary.ts'
import { SAMPLE_INPUT } from './broadcast-input.ts'
import { Broadcaster } from './broadcaster.ts'
import { RendezvousServer } from './rendezvous.ts'
import { sourceUploadNeed, uploadNeed } from './upload-need.ts'
import { Viewer } from './viewer.ts'

export interface DemoSwarmOptions {
  viewers: number
  /** Player port of the watched viewer (0: any free port). */
  httpPort: number
  seed?: number
  streamKbps?: number
  maxChildren?: number
  /** 'spreadit' (default), 'p2pcast' (stripe forest) or 'i3' (through local rendezvous servers). */
  overlay?: 'spreadit' | 'p2pcast' | 'i3'
  /** p2pcast: stripes f (default 2); every viewer gets f/(f-1) x the stream of upload and a margin. */
  stripes?: number
  /** i3: rendezvous servers to start (default 3), one static ring; each end host sits on one's LAN. */
  servers?: number
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

/** i3: children per tree node (D); 3 as SpreadIt's maxChildren here, so the tree has depth. */
const DEMO_I3_D = 3
/** i3: one-way delay between an end host and the rendezvous server on its LAN. */
const LAN_DELAY_MS = 1

/** Upload capacities in stream units: with 0.9 headroom they allow 1, 2 or 3 children. */
const UPLOAD_STREAM_MULTIPLES = [1.5, 2.5, 3.5]

/**
 * p2pcast: a viewer relays exactly f stripes, f/(f-1) x the stream (app/upload-need.ts); the
 * margin covers make-before-break copies, backfills and control traffic.
 */
const P2PCAST_UPLOAD_MARGIN = 1.25

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
    readonly servers: readonly RendezvousServer[],
  ) {}

  static async start(opts: DemoSwarmOptions): Promise<DemoSwarm> {
    const rng = createRng(opts.seed ?? 1)
    const streamKbps = opts.streamKbps ?? 1000
    const accessDelay = () => 10 + rng.next() * 30
    const delays = new Map<string, number>()
    // i3: which server's LAN a node is on (servers: their own index). Other overlays: none.
    const lan = new Map<string, number>()
    const profile =
      (selfDelayMs: number, self?: string) =>
      (peer: string): LinkProfile | undefined => {
        const other = delays.get(peer)
        if (other === undefined) return undefined
        const home = self === undefined ? undefined : lan.get(self)
        const sameLan =
          home !== undefined && home === lan.get(peer) && (servers.has(self!) || servers.has(peer))
        const delayMs = sameLan ? LAN_DELAY_MS : selfDelayMs + other
        return { delayMs, jitterMs: Math.min(2, delayMs), loss: 0, uploadKbps: Number.POSITIVE_INFINITY }
      }
    const i3 = opts.overlay === 'i3'
    const stripes = opts.stripes ?? 2
    const p2pcast = opts.overlay === 'p2pcast'
    // The overlay's own needs (app/upload-need.ts) times the margin; null for other overlays.
    const withMargin = (need: { kbps: number } | null) => (need ? need.kbps * P2PCAST_UPLOAD_MARGIN : 0)
    const overlayName = opts.overlay ?? 'spreadit'
    const p2pcastUpload = withMargin(uploadNeed(overlayName, { stripes }, streamKbps))
    const servers = new Set<string>()
    const serverKeys: { key: Ed25519PrivateKey; peerId: string; delay: number }[] = []
    for (let i = 0; i3 && i < (opts.servers ?? 3); i++) {
      const key = await generateKeyPair('Ed25519')
      const peerId = peerIdFromPrivateKey(key).toString()
      serverKeys.push({ key, peerId, delay: accessDelay() })
      servers.add(peerId)
      delays.set(peerId, serverKeys[i]!.delay)
      lan.set(peerId, i)
    }
    const onLan = (peerId: string) => {
      if (i3) lan.set(peerId, rng.int(serverKeys.length))
    }
    const sourceKey = await generateKeyPair('Ed25519')
    const sourceDelay = accessDelay()
    const sourceId = peerIdFromPrivateKey(sourceKey).toString()
    delays.set(sourceId, sourceDelay)
    onLan(sourceId)
    const members: Member[] = []
    for (let i = 0; i < opts.viewers; i++) {
      const key = await generateKeyPair('Ed25519')
      const m: Member = {
        name: `v${i + 1}`,
        key,
        peerId: peerIdFromPrivateKey(key).toString(),
        accessDelayMs: accessDelay(),
        uploadKbps: p2pcast
          ? p2pcastUpload
          : streamKbps * UPLOAD_STREAM_MULTIPLES[Math.floor(rng.next() * UPLOAD_STREAM_MULTIPLES.length)]!,
      }
      delays.set(m.peerId, m.accessDelayMs)
      onLan(m.peerId)
      members.push(m)
    }
    const rendezvous = await startServers(serverKeys, (s) => profile(s.delay, s.peerId), rng.int(2 ** 31))
    let source: Broadcaster
    try {
      source = await Broadcaster.start({
        input: SAMPLE_INPUT,
        loop: true,
        streamKbps,
        ...(i3
          ? {
              overlay: 'i3',
              overlayParams: { maxTriggersPerId: opts.maxChildren ?? DEMO_I3_D },
              rendezvous: rendezvous.map((r) => r.addrs()[0]!),
            }
          : p2pcast
            ? { overlay: 'p2pcast', overlayParams: { stripes } }
            : { overlayParams: { maxChildren: opts.maxChildren ?? 3 } }),
        uploadKbps: Math.max(
          streamKbps * 3.5,
          withMargin(sourceUploadNeed(overlayName, { stripes }, streamKbps)),
        ),
        privateKey: sourceKey,
        linkProfile: profile(sourceDelay, sourceId),
        seed: rng.int(2 ** 31),
      })
    } catch (err) {
      await Promise.allSettled(rendezvous.map((r) => r.stop()))
      throw err
    }
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
            linkProfile: profile(m.accessDelayMs, m.peerId),
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
      await Promise.allSettled(rendezvous.map((r) => r.stop()))
      throw err
    }
    return new DemoSwarm(source, members, watchedMember!.viewer!, rendezvous)
  }

  rows(): SwarmRow[] {
    const names = new Map<string, string>([[this.source.peerId, 'source']])
    for (const m of this.members) names.set(m.peerId, m.name)
    const stats = this.members.map((m) => m.viewer!.stats())
    // i3 end hosts do not know their children (servers replicate): count who names them parent.
    const named = new Map<string, number>()
    for (const s of stats) for (const p of s.parents) named.set(p, (named.get(p) ?? 0) + 1)
    return this.members.map((m, i) => {
      const s = stats[i]!
      return {
        name: m.name,
        peerId: m.peerId,
        parent: s.parents.map((p) => names.get(p) ?? p.slice(-6)).join(',') || '-',
        depth: s.hops,
        children: this.servers.length > 0 ? (named.get(m.peerId) ?? 0) : s.children.length,
        startupDelayMs: s.startupDelayMs,
        playoutLagMs: s.playoutLagMs,
        continuity: s.continuity,
        watched: m.viewer === this.watched,
      }
    })
  }

  summary(rows: readonly SwarmRow[] = this.rows()): SwarmSummary {
    const source = this.source.stats()
    const sourceChildren =
      this.servers.length > 0 ? rows.filter((r) => r.parent === 'source').length : source.viewers
    const startups = rows.flatMap((r) => (r.startupDelayMs === null ? [] : [r.startupDelayMs]))
    const continuities = rows.flatMap((r) => (r.continuity === null ? [] : [r.continuity]))
    const depths = rows.flatMap((r) => (r.depth === null ? [] : [r.depth]))
    return {
      viewers: rows.length,
      playing: startups.length,
      sourceChildren,
      sourceUploadRatio: source.uploadRatio,
      medianStartupMs: startups.length > 0 ? summarize(startups).p50 : null,
      meanContinuity: continuities.length > 0 ? summarize(continuities).mean : null,
      maxDepth: depths.length > 0 ? Math.max(...depths) : null,
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.viewer?.stop({ graceful: true })))
    await this.source.stop()
    await Promise.allSettled(this.servers.map((s) => s.stop()))
  }
}

/** i3: the rendezvous servers, one static ring (each lists all the others). */
async function startServers(
  keys: readonly { key: Ed25519PrivateKey; peerId: string; delay: number }[],
  profile: (s: { peerId: string; delay: number }) => (peer: string) => LinkProfile | undefined,
  seed: number,
): Promise<RendezvousServer[]> {
  // Ports first: every server must know every other's address before the ring starts.
  const ports = await Promise.all(keys.map(() => freeLoopbackPort()))
  const addrs = keys.map((s, i) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${s.peerId}`)
  const servers: RendezvousServer[] = []
  try {
    for (const [i, s] of keys.entries()) {
      servers.push(
        await RendezvousServer.start({
          privateKey: s.key,
          listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`],
          peers: addrs.filter((_, j) => j !== i),
          params: { maxTriggersPerId: DEMO_I3_D },
          linkProfile: profile(s),
          seed: seed + i,
        }),
      )
    }
  } catch (err) {
    await Promise.allSettled(servers.map((x) => x.stop()))
    throw err
  }
  return servers
}

/** A free TCP port on 127.0.0.1 (closed again at once; a race only with other local processes). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}
