// A loopback i3 deployment: S rendezvous servers on one static Chord ring, one Broadcaster and N
// Viewers, all in this process, every pair behind emulated links. The layout follows the paper's
// §6 setup: each stub network is a LAN with one i3 server, so every end host sits next to one
// "home" server (1 ms) and reaches everything else over the WAN (its access delay plus the
// other end's, each uniform in [10, 40] ms). End hosts only ever talk to servers.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Broadcaster } from '../../src/app/broadcaster.ts'
import { RendezvousServer } from '../../src/app/rendezvous.ts'
import { Viewer } from '../../src/app/viewer.ts'
import { createRng } from '../../src/core/rng.ts'
import type { LinkProfile } from '../../src/net/index.ts'
import { freePort } from './ffmpeg-live.ts'
import { type BedPeer, LoopbackBed } from './loopback-bed.ts'

export interface I3TestbedOptions {
  readonly servers: number
  readonly viewers: number
  /** Seeds the link delays and the home servers: same seed, same layout. */
  readonly seed: number
  /** Broadcaster input: a URL (live encoder), a path, or 'sample'. */
  readonly input: string
  readonly streamKbps: number
  readonly chunkRateHz?: number
  /** i3 parameters for servers and end hosts alike (one deployment shares them). */
  readonly params?: Record<string, unknown>
  readonly startupChunks?: number
  /** Viewers joining at the same time (default 4). */
  readonly joinConcurrency?: number
}

interface Node {
  readonly key: Ed25519PrivateKey
  readonly peerId: string
  readonly accessDelayMs: number
  /** Index of the server on this node's LAN (a server's own index). */
  readonly home: number
}

export interface I3Peer extends Node, BedPeer {}

/** One-way delay between a node and its LAN's server. */
const LAN_DELAY_MS = 1

export class I3Testbed extends LoopbackBed<I3Peer> {
  readonly servers: RendezvousServer[] = []
  private readonly nodes = new Map<string, Node & { isServer: boolean }>()

  private constructor(readonly opts: I3TestbedOptions) {
    super()
  }

  /** Starts the servers, the source, then the viewers; on any failure stops what started and rethrows. */
  static async start(opts: I3TestbedOptions): Promise<I3Testbed> {
    return LoopbackBed.started(new I3Testbed(opts))
  }

  /** The PeerId of the server on this end host's LAN. */
  homeServerOf(peerId: string): string {
    const node = this.nodes.get(peerId)
    if (!node) throw new Error(`unknown node ${peerId}`)
    return this.servers[node.home]!.peerId
  }

  /** The servers go last: a crashed viewer's triggers stay on them (soft state) until they stop. */
  protected async release(): Promise<void> {
    await Promise.allSettled(this.servers.map((s) => s.stop()))
  }

  /** Emulated one-way delay from `self` toward `peer` (symmetric). */
  private profileFrom(self: string): (peer: string) => LinkProfile | undefined {
    return (peer) => {
      const a = this.nodes.get(self)
      const b = this.nodes.get(peer)
      if (!a || !b) return undefined
      const sameLan = a.home === b.home && (a.isServer || b.isServer)
      const delayMs = sameLan ? LAN_DELAY_MS : a.accessDelayMs + b.accessDelayMs
      return { delayMs, jitterMs: Math.min(2, delayMs), loss: 0, uploadKbps: Number.POSITIVE_INFINITY }
    }
  }

  private async node(home: number, isServer: boolean, accessDelayMs: number): Promise<Node> {
    const key = await generateKeyPair('Ed25519')
    const node = { key, peerId: peerIdFromPrivateKey(key).toString(), accessDelayMs, home }
    this.nodes.set(node.peerId, { ...node, isServer })
    return node
  }

  protected async launch(): Promise<void> {
    const rng = createRng(this.opts.seed)
    const drawDelay = () => 10 + rng.next() * 30
    // Every key and port first, so every link and the whole ring are known before anyone dials.
    const serverNodes: Node[] = []
    for (let i = 0; i < this.opts.servers; i++) serverNodes.push(await this.node(i, true, drawDelay()))
    const ports = await Promise.all(serverNodes.map(() => freePort()))
    const addrs = serverNodes.map((s, i) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${s.peerId}`)
    const sourceNode = await this.node(rng.int(this.opts.servers), false, drawDelay())
    for (let i = 0; i < this.opts.viewers; i++) {
      const node = await this.node(rng.int(this.opts.servers), false, drawDelay())
      this.peers.push({ ...node, index: i, viewer: undefined, alive: false })
    }

    for (const [i, s] of serverNodes.entries()) {
      this.servers.push(
        await RendezvousServer.start({
          privateKey: s.key,
          listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`],
          peers: addrs.filter((_, j) => j !== i),
          params: this.opts.params ?? {},
          linkProfile: this.profileFrom(s.peerId),
          seed: rng.int(2 ** 31),
        }),
      )
    }
    this.source = await Broadcaster.start({
      input: this.opts.input,
      streamKbps: this.opts.streamKbps,
      overlay: 'i3',
      overlayParams: this.opts.params ?? {},
      rendezvous: addrs,
      privateKey: sourceNode.key,
      linkProfile: this.profileFrom(sourceNode.peerId),
      seed: rng.int(2 ** 31),
      ...(this.opts.chunkRateHz !== undefined ? { chunkRateHz: this.opts.chunkRateHz } : {}),
    })
    const seeds = this.peers.map(() => rng.int(2 ** 31))
    await this.joinAll(this.opts.joinConcurrency ?? 4, async (peer) => {
      peer.viewer = await Viewer.start({
        uri: this.uri,
        httpPort: 0,
        privateKey: peer.key,
        linkProfile: this.profileFrom(peer.peerId),
        seed: seeds[peer.index]!,
        ...(this.opts.startupChunks !== undefined ? { startupChunks: this.opts.startupChunks } : {}),
      })
      peer.alive = true
    })
  }
}
