import type { NodeId } from '../../../core/ids.ts'
import { type I3Id, prefixOf } from '../ids.ts'

/**
 * i3's packet caching (§2.1: "caching ensures that in most cases packets from one i3 node to
 * another traverse just the IP path"): which server holds the ids of a 192-bit prefix, learned
 * from `cache` hints and `inserted` replies. Bounded LRU, so a node that talks to many groups
 * keeps only the recent ones; a miss costs one Chord walk, never correctness.
 *
 * A Map iterates in insertion order, so re-inserting on every hit makes its first key the least
 * recently used one: LRU without a linked list.
 */
export class RouteCache {
  private readonly servers = new Map<string, NodeId>()

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RouteCache capacity must be a positive integer, got ${capacity}`)
    }
  }

  get size(): number {
    return this.servers.size
  }

  /** The server that holds `id`'s prefix, if known; counts as a use for LRU. */
  lookup(id: I3Id): NodeId | undefined {
    const key = prefixOf(id)
    const server = this.servers.get(key)
    if (server === undefined) return undefined
    this.servers.delete(key)
    this.servers.set(key, server)
    return server
  }

  remember(id: I3Id, server: NodeId): void {
    const key = prefixOf(id)
    this.servers.delete(key)
    this.servers.set(key, server)
    if (this.servers.size > this.capacity) {
      const oldest = this.servers.keys().next().value
      if (oldest !== undefined) this.servers.delete(oldest)
    }
  }

  /** Drop every entry naming `server` (it stopped answering, or the ring changed). */
  forgetServer(server: NodeId): void {
    for (const [key, held] of this.servers) if (held === server) this.servers.delete(key)
  }
}
