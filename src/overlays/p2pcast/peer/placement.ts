import type { NodeId } from '../../../core/ids.ts'
import type { Placement } from '../forest.ts'
import type { PlacementFields } from '../messages.ts'

/** A place as a peer holds it: the owner's version counts its changes (operations check it). */
export interface Versioned {
  version: number
  placement: Placement
}

export function emptyPlace(f: number): Placement {
  return {
    parent: new Array<NodeId | undefined>(f).fill(undefined),
    children: Array.from({ length: f }, () => [] as NodeId[]),
  }
}

export function toFields(version: number, p: Placement): PlacementFields {
  const parents = p.parent.every((x) => x !== undefined) ? (p.parent as NodeId[]) : []
  return { version, parents, children: p.children }
}

export function fromFields(f: number, m: PlacementFields): Placement {
  return {
    parent: m.parents.length === f ? m.parents.slice() : new Array<NodeId | undefined>(f).fill(undefined),
    children: Array.from({ length: f }, (_, t) => (m.children[t] ?? []).slice()),
  }
}
