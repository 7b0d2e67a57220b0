import type { Ed25519PrivateKey } from '@libp2p/interface'
import { Gauge, type Registry } from 'prom-client'
import type { Message } from '../core/codec.ts'
import { NetHost } from '../net/host.ts'
import type { HostStats } from '../net/host-stats.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import type { LinkProfile } from '../net/link-emulation.ts'
import type { I3ServerCounters } from '../overlays/i3/server/server-node.ts'
import { chooseOverlay } from './overlay-choice.ts'
import { StatusHttp } from './status-http.ts'

export interface RendezvousOptions {
  /** Default ['/ip4/127.0.0.1/tcp/0']. End hosts and the other servers dial these. */
  listen?: string[]
  /** Identity key file (default ~/.peercaster/identity.key). Ignored when privateKey is given. */
  keyPath?: string
  privateKey?: Ed25519PrivateKey
  /** The other servers of the deployment (multiaddrs ending in /p2p/<PeerId>): the static ring. */
  peers?: string[]
  /** i3 parameters that matter to a server: maxTriggersPerId, triggerLifetimeMs, limits. */
  params?: Record<string, unknown>
  /** Port for /stats and /metrics (0: any free port); undefined: no HTTP endpoint. */
  metricsPort?: number
  linkProfile?: (peer: string) => LinkProfile | undefined
  seed?: number
}

export interface RendezvousStats {
  peerId: string
  addrs: string[]
  /** Servers on the ring, this one included. */
  ringSize: number
  /** Live triggers stored here. */
  triggers: number
  /** Connected peers that are not servers of the ring (end hosts). */
  clients: number
  /** The server's own counters (Chord forwards, copies delivered, chains, drops). */
  packets: I3ServerCounters | null
  host: HostStats
}

/** What the app needs of the i3 server protocol object (src/overlays/i3/server/server-node.ts). */
interface ServerNodeView {
  readonly counters: I3ServerCounters
  triggerCount(now: number): number
}

function isServerNode(node: unknown): node is ServerNodeView {
  return typeof node === 'object' && node !== null && 'counters' in node && 'triggerCount' in node
}

/**
 * One i3 rendezvous server (`peercaster rendezvous`): a NetHost in the 'server' role running the
 * i3 overlay's server node. It stores triggers, matches and replicates packets, and forwards ids
 * it does not own along a static Chord ring of itself plus `peers`; it carries no stream of its
 * own and verifies no chunk (end hosts do, before playing or relaying).
 */
export class RendezvousServer {
  private constructor(
    private readonly host: NetHost<Message, unknown>,
    private readonly http: StatusHttp | undefined,
  ) {}

  static async start(opts: RendezvousOptions): Promise<RendezvousServer> {
    const { overlay, params } = chooseOverlay('i3', opts.params ?? {})
    const privateKey = opts.privateKey ?? (await loadOrCreateIdentity(opts.keyPath)).privateKey
    const host = await NetHost.create({
      overlay,
      params,
      role: 'server',
      streamKbps: 0,
      privateKey,
      listen: opts.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      servers: opts.peers ?? [],
      linkProfile: opts.linkProfile,
      seed: opts.seed,
      pingIntervalMs: 0,
      // Failed sessions to end hosts are routine (a viewer crashed); the stats count them.
      onError: () => {},
    })
    let http: StatusHttp | undefined
    try {
      await host.start()
      let server: RendezvousServer | undefined
      if (opts.metricsPort !== undefined) {
        http = await StatusHttp.listen({
          port: opts.metricsPort,
          portFlag: '--metrics-port',
          stats: () => (server ? { ...server.stats() } : {}),
          metrics: () => host.meters.registry.metrics(),
        })
      }
      server = new RendezvousServer(host, http)
      registerServerGauges(host.meters.registry, () => server.stats())
      return server
    } catch (err) {
      await host.stop(false)
      throw err
    }
  }

  get peerId(): string {
    return this.host.peerId
  }

  /** Listen addresses ending in /p2p/<PeerId>: what `broadcast --rendezvous` and `--peer` take. */
  addrs(): string[] {
    return this.host.addrs()
  }

  get statsUrl(): string | undefined {
    return this.http ? `${this.http.url}/stats` : undefined
  }

  get metricsUrl(): string | undefined {
    return this.http ? `${this.http.url}/metrics` : undefined
  }

  get netHost(): NetHost<Message, unknown> {
    return this.host
  }

  stats(): RendezvousStats {
    const node = this.host.node
    const ring = new Set(this.host.servers)
    return {
      peerId: this.host.peerId,
      addrs: this.host.addrs(),
      ringSize: ring.size,
      triggers: isServerNode(node) ? node.triggerCount(this.host.now()) : 0,
      clients: this.host.connectedPeers().filter((p) => !ring.has(p)).length,
      packets: isServerNode(node) ? structuredClone(node.counters) : null,
      host: { ...this.host.stats },
    }
  }

  async stop(): Promise<void> {
    await Promise.all([this.host.stop(true), this.http?.close()])
  }
}

function registerServerGauges(registry: Registry, stats: () => RendezvousStats): void {
  const gauge = (name: string, help: string, read: (s: RendezvousStats) => number) =>
    new Gauge({
      name: `peercaster_i3_${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()))
      },
    })
  gauge('triggers', 'live triggers stored on this server', (s) => s.triggers)
  gauge('clients', 'connected end hosts', (s) => s.clients)
  gauge('ring_servers', 'servers on the static Chord ring, this one included', (s) => s.ringSize)
  gauge('packets_forwarded', 'packets handed to another server along Chord', (s) => s.packets?.forwarded ?? 0)
  gauge('copies_delivered', 'copies sent to end hosts by host triggers', (s) => s.packets?.delivered ?? 0)
  gauge('copies_chained', 'copies re-addressed by trigger chains', (s) => s.packets?.chained ?? 0)
  gauge('dropped_no_match', 'packets matching no trigger', (s) => s.packets?.dropped.noMatch ?? 0)
  gauge('dropped_ttl', 'packets whose ttl ran out (chains or loops)', (s) => s.packets?.dropped.ttl ?? 0)
  gauge('inserts_refused', 'inserts answered other than ok', (s) => s.packets?.refusedInserts ?? 0)
}
