import type { I3Id } from '../ids.ts'
import { MAX_TTL, type Target } from '../messages.ts'
import { I3_METRIC } from './metrics.ts'
import type { HostTools } from './tools.ts'

/** One trigger on the receiver's path, (id -> target), `distance` tree edges above the receiver. */
interface PathLink {
  readonly id: I3Id
  readonly target: Target
  /** 0: the receiver's own (treeId -> host); 1: its join trigger; 2: its parent's; ... */
  readonly distance: number
  timer: number | null
}

/**
 * §4 / §6.2: a receiver refreshes every trigger on its path from the group root down to itself.
 *
 * - naive: each trigger every T/k, no REFRESH_ACK (every receiver refreshes its whole path);
 * - unif:  each after U[T/2, T)/k, and when the receiver refreshes (x -> y) it sends a
 *          REFRESH_ACK for x to y (multicast to y's subtree); a receiver that gets it resets
 *          its timer for (x -> y), so one refresh per period usually suffices;
 * - level: as unif, but U[T/2, 3T/4)/k for triggers one and two levels above the receiver and
 *          U[3T/4, T)/k beyond: the nearest receivers refresh, the rest are suppressed.
 *
 * One timer per path link (the path is at most maxJoinLevels + 1 links).
 */
export class PathRefresher {
  private links = new Map<string, PathLink>()

  constructor(
    private readonly tools: HostTools,
    private readonly treeId: I3Id,
  ) {}

  /**
   * The path is now chain (root first) -> treeId -> this host. Links that stay keep their timers
   * (a chain change must not reset the suppression state of the unchanged part).
   */
  setPath(chain: readonly I3Id[]): void {
    const next = new Map<string, PathLink>()
    const self: Target = { kind: 'host', node: this.tools.env.self }
    const wanted: [I3Id, Target, number][] = [[this.treeId, self, 0]]
    const ids = [...chain, this.treeId]
    for (let i = ids.length - 2; i >= 0; i--)
      wanted.push([ids[i]!, { kind: 'id', id: ids[i + 1]! }, ids.length - 1 - i])
    for (const [id, target, distance] of wanted) {
      const key = linkKey(id, target)
      const old = this.links.get(key)
      if (old && old.distance === distance) {
        next.set(key, old)
        this.links.delete(key)
        continue
      }
      if (old) this.links.delete(key)
      this.tools.timers.cancel(old?.timer)
      const link: PathLink = { id, target, distance, timer: null }
      this.schedule(link)
      next.set(key, link)
    }
    for (const gone of this.links.values()) this.tools.timers.cancel(gone.timer)
    this.links = next
  }

  /**
   * REFRESH_ACK for trigger id x: someone in the subtree refreshed (x -> y), y being the next id
   * on our path below x (servers re-address a multicast copy to each receiver's own id, so the
   * ack names only x; our path knows y). Suppress our own refresh of it.
   */
  onAck(x: I3Id): void {
    if (this.tools.params.refresh === 'naive') return
    for (const link of this.links.values()) {
      if (link.id !== x || link.target.kind !== 'id') continue
      this.tools.timers.cancel(link.timer)
      this.schedule(link)
      return
    }
  }

  stop(): void {
    for (const link of this.links.values()) this.tools.timers.cancel(link.timer)
    this.links.clear()
  }

  get linkCount(): number {
    return this.links.size
  }

  private schedule(link: PathLink): void {
    link.timer = this.tools.timers.after(this.intervalMs(link.distance), () => this.fire(link))
  }

  private fire(link: PathLink): void {
    link.timer = null
    this.tools.triggers.insert(link.id, link.target, { refresh: true })
    this.tools.env.metric(I3_METRIC.refreshesSent, 1)
    if (this.tools.params.refresh !== 'naive' && link.target.kind === 'id') {
      this.tools.router.send({
        type: 'refresh-ack',
        id: link.target.id,
        ttl: MAX_TTL,
        origin: this.tools.env.self,
        trigger: link.id,
      })
    }
    this.schedule(link)
  }

  /** The scheme's timer, already divided by k (§4: survive lost refreshes). */
  private intervalMs(distance: number): number {
    const p = this.tools.params
    const t = p.triggerLifetimeMs / p.refreshLossFactor
    const u = this.tools.env.rng.next()
    switch (p.refresh) {
      case 'naive':
        return t
      case 'unif':
        return t * (0.5 + 0.5 * u)
      case 'level':
        return distance <= 2 ? t * (0.5 + 0.25 * u) : t * (0.75 + 0.25 * u)
    }
  }
}

function linkKey(id: I3Id, target: Target): string {
  return target.kind === 'host' ? `${id}>host` : `${id}>${target.id}`
}
