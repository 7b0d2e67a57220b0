import type { NodeId } from '../../../core/ids.ts'
import type { Env } from '../../../core/protocol.ts'
import { type I3Id, ringKey } from '../ids.ts'
import type { I3Message, I3Routed } from '../messages.ts'

/** Ring positions whose server an end host remembers (i3 caching); least recently used go first. */
export const ROUTE_CACHE_ENTRIES = 256

/**
 * Where an end host sends an i3 packet. End hosts talk only to servers: a packet goes to the
 * server that holds its id when a `cache` hint (or an `inserted` reply) named it for that id's
 * ring position, else to the host's nearest server, which forwards it. The owner is a function
 * of the ring position (ids.ts: the first RING_HEX digits), so the cache is keyed by it: one
 * entry serves a whole anycast group, and every id picked close to one server (private and
 * tree ids of all hosts on its LAN) shares one entry.
 */
export class ServerRouter {
  private readonly cache = new Map<number, NodeId>()

  constructor(
    private readonly env: Env<I3Message>,
    private readonly nearest: NodeId,
    private readonly capacity = ROUTE_CACHE_ENTRIES,
  ) {}

  serverFor(id: I3Id): NodeId {
    const key = ringKey(id)
    const server = this.cache.get(key)
    if (server === undefined) return this.nearest
    // Refresh recency: Map iteration order is insertion order, so re-insert at the end.
    this.cache.delete(key)
    this.cache.set(key, server)
    return server
  }

  /** Whether the server holding `id` is known (a packet to it will not walk Chord). */
  knows(id: I3Id): boolean {
    return this.cache.has(ringKey(id))
  }

  /** A server said it holds `id` (a cache hint or an insert reply). */
  learn(id: I3Id, server: NodeId): void {
    const key = ringKey(id)
    this.cache.delete(key)
    this.cache.set(key, server)
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
  }

  send(packet: I3Routed): void {
    this.env.send(this.serverFor(packet.id), packet)
  }

  get cachedPositions(): number {
    return this.cache.size
  }
}
