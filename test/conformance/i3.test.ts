import type { NodeId } from '../../src/core/ids.ts'
import {
  type I3HostNode,
  type I3Id,
  type I3Message,
  type I3Params,
  type I3ServerNode,
  i3,
  parseParams,
} from '../../src/overlays/i3/index.ts'
import type { Simulation } from '../../src/sim/simulation.ts'
import { runConformance } from './conformance.ts'

const SERVERS = 8

/**
 * Reachability over the tree of triggers (what the data path really is in i3): from the group
 * root idg, follow every trigger the servers hold (each id matched as a packet to it would be:
 * best-matching id, every trigger with it), across servers, and collect the hosts reached.
 */
function unreachableOverTriggers(sim: Simulation<I3Message, I3Params>): NodeId[] {
  const servers = sim.servers.map((id) => sim.protocol(id) as I3ServerNode)
  const owner = (id: I3Id) => sim.protocol(servers[0]!.ownerOf(id)) as I3ServerNode
  const reached = new Set<NodeId>()
  const seen = new Set<I3Id>()
  const pending: I3Id[] = [(sim.protocol(sim.sourceId) as I3HostNode).treeId]
  while (pending.length > 0) {
    const id = pending.pop()!
    if (seen.has(id)) continue
    seen.add(id)
    for (const t of owner(id).table.match(sim.now, id)) {
      if (t.target.kind === 'host') reached.add(t.target.node)
      else pending.push(t.target.id)
    }
  }
  return sim.liveViewers().filter((id) => !reached.has(id))
}

runConformance(() => ({
  label: 'i3',
  overlay: i3,
  params: parseParams({}),
  servers: SERVERS,
  // End hosts forward no stream data (servers replicate); only repairs leave a viewer.
  childRateKbps: () => 0,
  unreachable: unreachableOverTriggers,
  stateSize: (p) => (p as unknown as I3HostNode).stateSize,
  // timers (path links <= 65, own 4, one per open repair and pending insert) + pending inserts
  // (<= 256) + open repairs (<= 256) + chain (<= 65) + route cache (<= 256).
  maxStateSize: 1500,
}))
