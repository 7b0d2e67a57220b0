import type { NodeId } from '../../../core/ids.ts'
import type { I3Id } from '../ids.ts'

/**
 * A receiver's ancestor chain: the tree ids from the group root idg down to the id it joined at
 * (its parent's tree id), with the end host owning each where known: the path the join walk
 * went down, cut short when the receiver moves up. The chain is what a receiver refreshes (§4)
 * and where its recovery requests escalate (§5).
 */
export class AncestorChain {
  private idList: I3Id[] = []
  private nodeList: (NodeId | undefined)[] = []

  constructor(private readonly maxLength: number) {}

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

  /** The parent of joinedAt (undefined at level 1: above idg is the virtual root). */
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
}
