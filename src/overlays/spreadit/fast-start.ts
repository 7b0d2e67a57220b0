import type { ChunkMessage } from '../../stream/chunk.ts'
import { SeqBitRing } from '../../stream/seq-bit-ring.ts'

/**
 * Fast start (our extension beyond the paper, parameter `burstChunks`, off by default): a node
 * remembers the last K chunk messages it forwarded (or would have, had it children), and sends
 * them to a child the moment it accepts it. The child's playout buffer then fills at once instead
 * of waiting K periods for live chunks: startup becomes connect + redirect walk. Memory: K chunk
 * references per node (the chunk objects are shared with the forwarding path).
 */
export class RecentChunks {
  private readonly ring: (ChunkMessage | undefined)[]
  private next = 0

  constructor(readonly capacity: number) {
    this.ring = new Array<ChunkMessage | undefined>(capacity)
  }

  remember(msg: ChunkMessage): void {
    this.ring[this.next] = msg
    this.next = (this.next + 1) % this.capacity
  }

  /**
   * The remembered messages in seq order (a parent switch can leave arrival order non-monotone:
   * a new parent may fill an older hole). Allocates; runs once per accepted child.
   */
  inSeqOrder(): ChunkMessage[] {
    const held = this.ring.filter((m): m is ChunkMessage => m !== undefined)
    return held.sort((a, b) => a.chunk.seq - b.chunk.seq)
  }
}

/** How far behind the newest seq a node still tells a first copy from a repeat. */
export const SEEN_WINDOW = 256

/**
 * Seqs this node has received recently, so a burst from a new parent (which overlaps what the old
 * parent sent) is neither handed to the player twice nor passed down the subtree. Only needed with
 * fast start: without bursts a tree delivers each seq once per parent session, and the playout
 * buffer counts the rare duplicate. 32 bytes per node.
 */
export class SeenSeqs {
  private readonly bits = new SeqBitRing(SEEN_WINDOW)
  private newest = -1

  /** Marks seq; false when it was seen already or is too old to tell (treated as seen). */
  markNew(seq: number): boolean {
    if (seq > this.newest) {
      this.bits.clearRange(this.newest + 1, seq + 1)
      this.newest = seq
    } else if (seq <= this.newest - SEEN_WINDOW || this.bits.has(seq)) {
      return false
    }
    this.bits.set(seq)
    return true
  }
}
