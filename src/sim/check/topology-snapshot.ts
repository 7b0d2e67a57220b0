import type { NodeId } from '../../core/ids.ts'
import type { TopologyView } from '../../core/protocol.ts'

/** The live overlay at one instant, as the invariant checkers see it (generic over overlays). */
export interface TopologySnapshot {
  readonly sourceId: NodeId
  /** Live nodes, the source included, in a deterministic order. */
  readonly nodes: readonly NodeId[]
  readonly views: ReadonlyMap<NodeId, TopologyView>
  /** Upload capacity of each live node in kbit/s (Infinity: unlimited). */
  uploadKbps(id: NodeId): number
}

/** What a snapshot needs from a host (the Simulation satisfies it). */
export interface SnapshotSource {
  readonly sourceId: NodeId
  liveViewers(): NodeId[]
  topology(id: NodeId): TopologyView
}

export function takeSnapshot(host: SnapshotSource, uploadKbps: (id: NodeId) => number): TopologySnapshot {
  const nodes = [host.sourceId, ...host.liveViewers()]
  const views = new Map<NodeId, TopologyView>()
  for (const id of nodes) views.set(id, host.topology(id))
  return { sourceId: host.sourceId, nodes, views, uploadKbps }
}
