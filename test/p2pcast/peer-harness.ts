// Peer-mode runs in the real Simulation with every control message counted by type, the forest
// as the peers hold it, and a way to hand a joiner a chosen contact (to stage races).
import assert from 'node:assert/strict'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng, type Rng } from '../../src/core/rng.ts'
import {
  checkForest,
  type ForestView,
  type P2PCastMessage,
  type P2PCastParams,
  type P2PCastPeerNode,
  p2pcast,
  parseParams,
  peerForestView,
} from '../../src/overlays/p2pcast/index.ts'
import type { LinkSpec } from '../../src/sim/node-stats.ts'
import { Simulation } from '../../src/sim/simulation.ts'
import { createDelaySpace } from '../../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../../src/stream/playout.ts'
import { STREAM } from './sim-harness.ts'

export class PeerRun {
  readonly sim: Simulation<P2PCastMessage, P2PCastParams>
  readonly rng: Rng
  readonly params: P2PCastParams
  readonly link: LinkSpec = { uploadKbps: 2.5 * STREAM.kbps, downloadKbps: 20 * STREAM.kbps }
  /** Control messages sent, by type. */
  readonly sent = new Map<string, number>()
  /** Every `contact` answer: [to, named contact]. */
  readonly contacts: [NodeId, NodeId][] = []

  constructor(
    readonly seed: number,
    params: Record<string, unknown> = {},
  ) {
    this.params = parseParams({ heartbeatMs: 500, mode: 'peer', ...params })
    this.rng = createRng(seed, 41)
    this.sim = new Simulation({
      seed,
      overlay: p2pcast,
      params: this.params,
      underlay: createDelaySpace({ maxDelayFromSourceMs: 60 }),
      stream: STREAM,
      playout: playoutConfig(STREAM.chunkRateHz, { startupChunks: 20 }),
      sourceLink: { uploadKbps: 4.5 * STREAM.kbps, downloadKbps: Number.POSITIVE_INFINITY },
      onTransmit: (_from, to, msg) => {
        if (msg.type === 'chunk') return
        this.sent.set(msg.type, (this.sent.get(msg.type) ?? 0) + 1)
        if (msg.type === 'contact') this.contacts.push([to, msg.node])
      },
    })
  }

  add(): NodeId {
    return this.sim.addViewer(this.link)
  }

  node(id: NodeId): P2PCastPeerNode {
    return this.sim.protocol(id) as P2PCastPeerNode
  }

  /** Hand `joiner` a contact as if the registry had answered (it arrives before the real answer). */
  giveContact(joiner: NodeId, contact: NodeId): void {
    this.sim.sendFrom(this.sim.sourceId as number, joiner, { type: 'contact', node: contact })
  }

  members(): NodeId[] {
    return this.sim.liveViewers().filter((id) => this.node(id).isMember)
  }

  view(): ForestView {
    const live = this.sim.liveViewers()
    return peerForestView(this.params.stripes, this.sim.sourceId, live, (id) => this.node(id))
  }

  /** Every rule of §3 holds and every live viewer is in the forest. */
  assertWhole(where: string): void {
    const at = `seed ${this.seed}, ${where}, t=${this.sim.now}`
    assert.deepEqual(checkForest(this.view()), [], `forest rules (${at})`)
    assert.deepEqual(
      this.sim.liveViewers().filter((id) => !this.node(id).isMember),
      [],
      `every live viewer is in the forest (${at})`,
    )
  }
}
