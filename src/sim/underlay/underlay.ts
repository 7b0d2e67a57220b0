import type { Locator } from '../../core/protocol.ts'
import type { Rng } from '../../core/rng.ts'

/**
 * The network the simulated end hosts sit on. Hosts are dense indices (0, 1, 2, ...) in the order
 * they attach; the simulator maps its node ids onto them. Implementations: transit-stub
 * (GT-ITM style, i3 §6) and delay space (DOAT §5).
 */
export interface Underlay {
  readonly name: string
  /** Attach a new end host and return its index (0, 1, 2, ...). The source attaches first with role 'source'
   *  (the delay space puts it at the centre). */
  addHost(rng: Rng, role: 'source' | 'viewer'): number
  /**
   * Attach a new host at the same place as host `near` (same stub LAN; latency 0 between them),
   * e.g. an i3 end host beside its server. Underlays without places may leave this out.
   */
  addHostNear?(near: number): number
  /** One-way latency in ms between two attached hosts (0 for a == b). Must be cheap: called for many messages. */
  latency(a: number, b: number): number
  /** Physical link ids along the route a -> b (for link stress); [] when the underlay has no links. */
  path(a: number, b: number): readonly number[]
  /** Network-position token for host h (sent in protocol messages; at most 8 numbers). */
  locator(h: number): Locator
  /** Estimated one-way latency in ms between two locators (what Env.distance returns). */
  locatorDistance(a: Locator, b: Locator): number
}
