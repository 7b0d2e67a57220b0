import type { NodeId } from '../../core/ids.ts'

/**
 * The registry's control output (ours; the paper's registry only answers JOIN and DELETE). The
 * registry lives on the source, whose uplink also carries every tree's root feed: 10^4 joins in
 * 30 s sent at once would queue the chunks behind seconds of UPDATEs (the simulator tail-drops
 * past 2 s), and a node whose UPDATE is lost or late suspects a parent that does not know it yet.
 * So UPDATEs go through this outbox:
 *  - coalesced per node: a node queued twice gets one UPDATE, built when it leaves (its newest place);
 *  - repairs first: nodes touched by a deletion before nodes touched by a join;
 *  - paced: a token bucket of `bytesPerS` (burst: `burstMs` worth), Infinity = unpaced;
 *  - bounded: at most one entry per member; when more than `admitBelow` wait, new JOINs are not
 *    admitted (§10.1: "we might always refuse to accept connections if the number exceeds certain
 *    limits"); the joiner asks again after its join timeout.
 */
export class RegistryOutbox {
  private readonly repairs = new Set<NodeId>()
  private readonly joins = new Set<NodeId>()
  private tokens: number
  private lastMs = 0

  constructor(
    private readonly bytesPerS: number,
    private readonly burstMs: number,
    private readonly admitBelow: number,
  ) {
    this.tokens = this.burstBytes
  }

  private get burstBytes(): number {
    return (this.bytesPerS * this.burstMs) / 1000
  }

  get size(): number {
    return this.repairs.size + this.joins.size
  }

  /** Whether a new JOIN may run now. */
  get admitsJoins(): boolean {
    return this.size < this.admitBelow
  }

  has(id: NodeId): boolean {
    return this.repairs.has(id) || this.joins.has(id)
  }

  add(id: NodeId, repair: boolean): void {
    if (repair) {
      this.joins.delete(id)
      this.repairs.add(id)
    } else if (!this.repairs.has(id)) this.joins.add(id)
  }

  /**
   * Send what the budget allows at `now`: `send(id)` sends one node's UPDATE and returns its size
   * in bytes. Returns whether entries are left (the caller drains again later).
   */
  drain(now: number, send: (id: NodeId) => number): boolean {
    if (this.bytesPerS !== Number.POSITIVE_INFINITY) {
      this.tokens = Math.min(this.burstBytes, this.tokens + ((now - this.lastMs) * this.bytesPerS) / 1000)
    }
    this.lastMs = now
    while (this.size > 0 && this.tokens > 0) {
      const id = this.shift()
      if (this.bytesPerS !== Number.POSITIVE_INFINITY) this.tokens -= send(id)
      else send(id)
    }
    return this.size > 0
  }

  private shift(): NodeId {
    const from = this.repairs.size > 0 ? this.repairs : this.joins
    const id = from.values().next().value as NodeId
    from.delete(id)
    return id
  }
}
