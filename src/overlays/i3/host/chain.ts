import type { NodeId } from '../../../core/ids.ts'
import type { I3Id } from '../ids.ts'

/**
 * A receiver's ancestor chain: the tree ids from the group root idg down to the id it joined at
 * (its parent's tree id), with the end host owning each where known. It starts as the path the
 * join walk went down and follows later moves: a REFRESH_ACK for trigger (x -> y), multicast
 * to y's subtree, tells every descendant that y's parent is now x (an ancestor that moved up
 * announces itself this way). The chain is what a receiver refreshes (§4) and where its
 * recovery requests escalate (§5).
 */
export class AncestorChain {
  private idList: I3Id[] = []
  private nodeList: (NodeId | undefined)[] = []

  constructor(
    private readonly root: I3Id,
    private readonly maxLength: number,
  ) {}

  get ids(): readonly I3Id[] {
    return this.idList
  }

  get length(): number {
    return this.idList.length
  }

  /** The id this receiver joined at (its parent's tree id). */
  get joinedAt(): I3Id | undefined {
    return this.idList[this.idList.length - 1]
  }

  /** The parent of joinedAt (undefined at level 1, or when the top of the chain is not known yet). */
  get aboveJoinedAt(): I3Id | undefined {
    return this.idList[this.idList.length - 2]
  }

  nodeOf(id: I3Id): NodeId | undefined {
    const i = this.idList.indexOf(id)
    return i < 0 ? undefined : this.nodeList[i]
  }

  set(ids: readonly I3Id[], nodes: readonly (NodeId | undefined)[]): void {
    this.idList = ids.slice(0, this.maxLength)
    this.nodeList = nodes.slice(0, this.idList.length)
  }

  /** Move up: the chain now ends at `id` (which must be in it). */
  endAt(id: I3Id): void {
    const i = this.idList.indexOf(id)
    if (i < 0) return
    this.idList = this.idList.slice(0, i + 1)
    this.nodeList = this.nodeList.slice(0, i + 1)
  }

  /** Whether the chain reaches the group root. */
  get complete(): boolean {
    return this.idList[0] === this.root
  }

  /**
   * Trigger (x -> y) exists and is refreshed (a REFRESH_ACK). Returns true when that changed the
   * chain: y's parent was something else (an ancestor moved up: splice out what it skipped) or
   * unknown (the top of an incomplete chain: prepend).
   */
  learn(x: I3Id, y: I3Id): boolean {
    const i = this.idList.indexOf(y)
    if (i < 0 || y === this.root) return false
    if (i > 0 && this.idList[i - 1] === x) return false
    const j = this.idList.indexOf(x)
    if (j > i) return false // x below y: a stale or bogus ack would make a loop; ignore it
    if (j >= 0) {
      this.idList.splice(j + 1, i - j - 1)
      this.nodeList.splice(j + 1, i - j - 1)
      return true
    }
    if (this.idList.length - i + 1 > this.maxLength) return false
    this.idList = [x, ...this.idList.slice(i)]
    this.nodeList = [undefined, ...this.nodeList.slice(i)]
    return true
  }
}
