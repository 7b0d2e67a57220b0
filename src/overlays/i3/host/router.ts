import type { NodeId } from '../../../core/ids.ts'
import type { Env } from '../../../core/protocol.ts'
import type { I3Id } from '../ids.ts'
import type { I3Message, I3Routed } from '../messages.ts'
import { RouteCache } from '../server/route-cache.ts'

/** Ring positions whose server an end host remembers (i3 caching). */
export const ROUTE_CACHE_ENTRIES = 256

/**
 * Where an end host sends an i3 packet. End hosts talk only to servers: a packet goes to the
 * server that holds its id when a `cache` hint (or an `inserted` reply) named it, else to the
 * host's nearest server, which forwards it. The memory is the servers' own RouteCache (keyed by
 * ring position: one entry serves every id a server owns there).
 */
export class ServerRouter {
  private readonly cache: RouteCache

  constructor(
    private readonly env: Env<I3Message>,
    private readonly nearest: NodeId,
    capacity = ROUTE_CACHE_ENTRIES,
  ) {
    this.cache = new RouteCache(capacity)
  }

  serverFor(id: I3Id): NodeId {
    return this.cache.lookup(id) ?? this.nearest
  }

  /** Whether the server holding `id` is known (a packet to it will not walk Chord). */
  knows(id: I3Id): boolean {
    return this.cache.has(id)
  }

  /** A server said it holds `id` (a cache hint or an insert reply). */
  learn(id: I3Id, server: NodeId): void {
    this.cache.remember(id, server)
  }

  send(packet: I3Routed): void {
    this.env.send(this.serverFor(packet.id), packet)
  }

  get cachedPositions(): number {
    return this.cache.size
  }
}
