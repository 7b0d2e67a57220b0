import type { NodeId } from '../../../core/ids.ts'
import { type I3Id, ringKey } from '../ids.ts'

/**
 * i3's packet caching (§2.1: "caching ensures that in most cases packets from one i3 node to
 * another traverse just the IP path"): which server holds an id, learned from `cache` hints and
 * `inserted` replies. Keyed by the id's ring position, not its whole prefix: the owner is a
 * function of the position, so one hint serves every id there: a whole anycast group, and every
 * private id picked on one server (`idOnServer` puts them all on the server's own position).
 * Bounded, so a node that talks to many groups keeps only the recent ones; a miss costs one
 * Chord walk, never correctness.
 *
 * Recency is kept by two generations instead of a linked list: entries land in `young`; when it
 * outgrows half the capacity it becomes `old` and the previous old generation is dropped; a hit
 * in `old` moves the entry back to `young`. So an entry used between any two inserts is never
 * evicted, and a hit in `young`, the common case, is a single Map get.
 */
export class RouteCache {
  private young = new Map<number, NodeId>()
  private old = new Map<number, NodeId>()
  /** `young` rotates into `old` when it grows past this. */
  private readonly generation: number

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`RouteCache capacity must be a positive integer, got ${capacity}`)
    }
    this.generation = Math.floor(capacity / 2)
  }

  get size(): number {
    return this.young.size + this.old.size
  }

  /** The server that holds `id`, if known; a hit counts as a use. */
  lookup(id: I3Id): NodeId | undefined {
    return this.lookupKey(ringKey(id))
  }

  /** lookup() for a caller that already has the id's ring key. */
  lookupKey(key: number): NodeId | undefined {
    const server = this.young.get(key)
    if (server !== undefined) return server
    const aged = this.old.get(key)
    if (aged !== undefined) this.put(key, aged)
    return aged
  }

  /** Whether the server holding `id` is known; unlike lookup(), not a use. */
  has(id: I3Id): boolean {
    const key = ringKey(id)
    return this.young.has(key) || this.old.has(key)
  }

  remember(id: I3Id, server: NodeId): void {
    this.put(ringKey(id), server)
  }

  /** Drop every entry naming `server` (it stopped answering, or the ring changed). */
  forgetServer(server: NodeId): void {
    for (const map of [this.young, this.old]) {
      for (const [key, held] of map) if (held === server) map.delete(key)
    }
  }

  private put(key: number, server: NodeId): void {
    this.old.delete(key)
    this.young.set(key, server)
    if (this.young.size > this.generation) {
      this.old = this.young
      this.young = new Map()
    }
    // With an even capacity the two generations can hold one entry too many: trim the oldest.
    while (this.size > this.capacity) {
      const oldest = this.old.keys().next().value
      if (oldest === undefined) break
      this.old.delete(oldest)
    }
  }
}
