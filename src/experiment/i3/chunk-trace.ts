import type { NodeId } from '../../core/ids.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { TransmitHook } from '../../sim/simulation.ts'

/**
 * What an i3 experiment learns from watching the wire (SimConfig.onTransmit), so it needs nothing
 * from inside the overlay:
 * - every transmission of ONE traced chunk (source data, not repairs): the overlay hops for link
 *   stress and, per end host, when the first copy reached it (its overlay delay for stretch);
 * - "query distance" messages (Fig. 6) delivered to each end host: what Table 2(b) counts.
 *
 * Only messages that entered the network are seen (the simulator calls the hook after loss and
 * tail drop). With unlimited downlinks, reaching an end host is being delivered to it.
 */
export class I3WireTrace {
  /** Seq of the traced chunk, once chosen. */
  tracedSeq: number | null = null
  /** sourceTime of the traced chunk. */
  tracedSourceTime = 0
  /** Overlay hops of the traced chunk: node ids, hopFrom[i] -> hopTo[i]. */
  readonly hopFrom: NodeId[] = []
  readonly hopTo: NodeId[] = []
  /** First arrival (ms) of the traced chunk at each end host. */
  readonly arrivals = new Map<NodeId, number>()
  /** Query messages delivered to each end host over the whole run. */
  readonly queriesTo = new Map<NodeId, number>()
  private armedAtMs = Number.POSITIVE_INFINITY

  constructor(private readonly isServer: (id: NodeId) => boolean) {}

  /**
   * Trace the first chunk the source cuts after `nowMs`. Call between runs: a chunk due exactly at
   * `nowMs` has already been cut and partly sent, so it would be traced without its first hop.
   */
  traceNextChunk(nowMs: number): void {
    this.armedAtMs = nowMs
    this.tracedSeq = null
    this.hopFrom.length = 0
    this.hopTo.length = 0
    this.arrivals.clear()
  }

  readonly onTransmit: TransmitHook<I3Message> = (from, to, msg, _bytes, _sentAtMs, reachesAtMs) => {
    if (msg.type === 'query') {
      if (!this.isServer(to)) this.queriesTo.set(to, (this.queriesTo.get(to) ?? 0) + 1)
      return
    }
    if (msg.type !== 'chunk' || msg.repair) return
    const chunk = msg.chunk
    if (this.tracedSeq === null) {
      if (chunk.sourceTime <= this.armedAtMs) return
      this.tracedSeq = chunk.seq
      this.tracedSourceTime = chunk.sourceTime
    }
    if (chunk.seq !== this.tracedSeq) return
    this.hopFrom.push(from)
    this.hopTo.push(to)
    if (!this.isServer(to)) {
      const seen = this.arrivals.get(to)
      if (seen === undefined || reachesAtMs < seen) this.arrivals.set(to, reachesAtMs)
    }
  }

  /** Overlay delay of the traced chunk at `node` (ms), or null if no copy reached it. */
  delayAt(node: NodeId): number | null {
    const at = this.arrivals.get(node)
    return at === undefined ? null : at - this.tracedSourceTime
  }
}
