import type { NodeId } from '../../../core/ids.ts'
import type { Env } from '../../../core/protocol.ts'
import { type I3Id, prefixOf } from '../ids.ts'
import type { I3Message, I3Routed } from '../messages.ts'

/** Prefixes whose server an end host remembers (i3 caching); least recently used go first. */
export const ROUTE_CACHE_ENTRIES = 256

/**
 * Where an end host sends an i3 packet. End hosts talk only to servers: a packet goes to the
 * server that holds its id's prefix when a `cache` hint (or an `inserted` reply) named it, else
 * to the host's nearest server, which forwards it along Chord. Every id of one prefix lives on
 * one server (ids.ts), so the cache is keyed by prefix: one entry serves a whole anycast group.
 */
export class ServerRouter {
  private readonly cache = new Map<string, NodeId>()

  constructor(
    private readonly env: Env<I3Message>,
    private readonly nearest: NodeId,
    private readonly capacity = ROUTE_CACHE_ENTRIES,
  ) {}

  serverFor(id: I3Id): NodeId {
    const prefix = prefixOf(id)
    const server = this.cache.get(prefix)
    if (server === undefined) return this.nearest
    // Refresh recency: Map iteration order is insertion order, so re-insert at the end.
    this.cache.delete(prefix)
    this.cache.set(prefix, server)
    return server
  }

  /** Whether the server holding `id` is known (a packet to it will not walk Chord). */
  knows(id: I3Id): boolean {
    return this.cache.has(prefixOf(id))
  }

  /** A server said it holds `id` (a cache hint or an insert reply). */
  learn(id: I3Id, server: NodeId): void {
    const prefix = prefixOf(id)
    this.cache.delete(prefix)
    this.cache.set(prefix, server)
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value
      if (oldest !== undefined) this.cache.delete(oldest)
    }
  }

  send(packet: I3Routed): void {
    this.env.send(this.serverFor(packet.id), packet)
  }

  get cachedPrefixes(): number {
    return this.cache.size
  }
}
