import type { I3Id } from '../ids.ts'
import type { I3Routed, Insert, Remove } from '../messages.ts'

/** Packets a server matches against triggers (inserts and removes are for the table itself). */
export type MatchedPacket = Exclude<I3Routed, Insert | Remove>

/** Recent packets remembered per chain id. */
const PER_ID = 8
/** Chain ids tracked before the guard forgets them all (a bound, not a working set). */
const MAX_IDS = 65_536
/**
 * Same packet through the same id within this time is a loop or a redundant copy. Shorter than
 * any legitimate re-send (a repair is re-requested after repairTimeoutMs, 800 ms by default).
 */
export const LOOP_WINDOW_MS = 500

interface Recent {
  readonly prints: (number | string)[]
  readonly times: number[]
  next: number
}

/**
 * The packet ttl bounds a chain's length, not its fan-out: a loop across servers (invisible to
 * each server's insert-time cycle check, e.g. a receiver that re-joined inside its own subtree on
 * stale information) with D triggers per id multiplies every packet D-fold per turn until the
 * ttl runs out, D^100 copies. So a server remembers, per id whose triggers it follows into
 * chains, the last few packets it sent on, and drops a packet coming round again. Stream chunks
 * are never legitimately repeated (a repeat through one id would only duplicate the subtree's
 * copy), so they are matched by sequence number whatever the time; other packets (repairs,
 * refresh acks, queries) within LOOP_WINDOW_MS.
 */
export class LoopGuard {
  private readonly recent = new Map<I3Id, Recent>()

  /** Records the packet; true if it already passed through `id` (drop it). */
  repeated(now: number, id: I3Id, msg: MatchedPacket): boolean {
    const print = fingerprint(msg)
    const timeless = msg.type === 'chunk' && !msg.repair
    let entry = this.recent.get(id)
    if (!entry) {
      if (this.recent.size >= MAX_IDS) this.recent.clear()
      entry = { prints: [], times: [], next: 0 }
      this.recent.set(id, entry)
    }
    for (let i = 0; i < entry.prints.length; i++) {
      if (entry.prints[i] === print && (timeless || now - entry.times[i]! < LOOP_WINDOW_MS)) return true
    }
    entry.prints[entry.next] = print
    entry.times[entry.next] = now
    entry.next = (entry.next + 1) % PER_ID
    return false
  }
}

/** What makes two copies of a packet the same packet (ids, ttl and origin change along the way). */
function fingerprint(msg: MatchedPacket): number | string {
  switch (msg.type) {
    case 'chunk':
      return msg.repair ? `r${msg.chunk.seq}` : msg.chunk.seq
    case 'refresh-ack':
      return `a${msg.trigger}`
    case 'repair-req':
      return `q${msg.seq}:${msg.replyTo}`
    case 'query':
      return `n${msg.nonce}:${msg.replyTo}`
    case 'query-reply':
      return `m${msg.nonce}:${msg.member}`
  }
}
