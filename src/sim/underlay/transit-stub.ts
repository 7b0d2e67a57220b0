import type { Locator } from '../../core/protocol.ts'
import type { Rng } from '../../core/rng.ts'
import { DijkstraRoutes } from './dijkstra-routes.ts'
import { HierarchicalRoutes } from './hierarchical-routes.ts'
import { HostColumn } from './host-table.ts'
import type { RouteOracle } from './route-oracle.ts'
import type { RouterGraph } from './router-graph.ts'
import { resolveTransitStubOptions, type TransitStubOptions } from './transit-stub-options.ts'
import { generateTransitStub, type TransitStubTopology } from './transit-stub-topology.ts'
import type { Underlay } from './underlay.ts'

/** The transit-stub underlay plus what the i3 metrics and tests need beyond the common interface. */
export interface TransitStubUnderlay extends Underlay {
  readonly topology: TransitStubTopology
  readonly graph: RouterGraph
  readonly routes: RouteOracle
  readonly hostCount: number
  /** The stub router host h sits behind (its LAN). */
  routerOf(host: number): number
  /** Attach a host to a chosen router, e.g. one i3 server per stub LAN. */
  attachHost(router: number): number
}

/**
 * A GT-ITM-style transit-stub network (i3 §6). End hosts sit on LANs behind stub routers chosen
 * uniformly at random; the LAN adds no delay, so two hosts on one router are 0 ms apart and their
 * path crosses no link. `latency` is the unicast (shortest-path) latency the i3 stretch metric
 * divides by; `path` gives stable link ids for link stress.
 */
export function createTransitStub(options: Partial<TransitStubOptions>, rng: Rng): TransitStubUnderlay {
  const o = resolveTransitStubOptions(options)
  const topology = generateTransitStub(o, rng)
  const routes: RouteOracle =
    o.routing === 'hierarchical'
      ? new HierarchicalRoutes(topology)
      : new DijkstraRoutes(topology.graph, o.maxCachedRows)
  return new TransitStubNetwork(topology, routes)
}

class TransitStubNetwork implements TransitStubUnderlay {
  readonly name = 'transit-stub'
  readonly graph: RouterGraph
  private readonly hostRouter = new HostColumn()

  constructor(
    readonly topology: TransitStubTopology,
    readonly routes: RouteOracle,
  ) {
    this.graph = topology.graph
  }

  get hostCount(): number {
    return this.hostRouter.length
  }

  addHost(rng: Rng, _role: 'source' | 'viewer'): number {
    const stubRouters = this.topology.stubDomainCount * this.topology.routersPerStubDomain
    return this.hostRouter.push(this.topology.stubBase + rng.int(stubRouters))
  }

  addHostNear(near: number): number {
    return this.hostRouter.push(this.hostRouter.get(near))
  }

  attachHost(router: number): number {
    if (!(Number.isInteger(router) && router >= 0 && router < this.graph.routerCount)) {
      throw new RangeError(
        `Cannot attach a host to router ${router}: routers are 0..${this.graph.routerCount - 1}`,
      )
    }
    return this.hostRouter.push(router)
  }

  routerOf(host: number): number {
    return this.hostRouter.get(host)
  }

  latency(a: number, b: number): number {
    if (a === b) return 0
    return this.routes.latency(this.hostRouter.get(a), this.hostRouter.get(b))
  }

  path(a: number, b: number): readonly number[] {
    if (a === b) return []
    return this.routes.path(this.hostRouter.get(a), this.hostRouter.get(b))
  }

  /** The simulator may give protocols exact knowledge: a locator is just the host index. */
  locator(h: number): Locator {
    this.hostRouter.get(h)
    return [h]
  }

  /** Infinity for a locator that names no attached host (a peer may send garbage). */
  locatorDistance(a: Locator, b: Locator): number {
    const ha = a[0]
    const hb = b[0]
    if (!this.isHost(ha) || !this.isHost(hb)) return Number.POSITIVE_INFINITY
    return this.latency(ha, hb)
  }

  private isHost(h: number | undefined): h is number {
    return h !== undefined && Number.isInteger(h) && h >= 0 && h < this.hostRouter.length
  }
}
