// Drives the p2pcast overlay in the real Simulation and checks the forest after every step.
import assert from 'node:assert/strict'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng, type Rng } from '../../src/core/rng.ts'
import {
  checkForest,
  type ForestView,
  type P2PCastMessage,
  type P2PCastNode,
  type P2PCastParams,
  type P2PCastPeerNode,
  p2pcast,
  parseParams,
  SPECIAL,
} from '../../src/overlays/p2pcast/index.ts'
import type { LinkSpec } from '../../src/sim/node-stats.ts'
import { Simulation } from '../../src/sim/simulation.ts'
import { createDelaySpace } from '../../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../../src/stream/playout.ts'
import type { StreamSpec } from '../../src/stream/stream-spec.ts'

export const STREAM: StreamSpec = {
  streamId: 'p2pcast-test',
  kbps: 400,
  chunkRateHz: 10,
  keyframeEveryChunks: 10,
}

export interface HarnessOptions {
  seed: number
  params?: Partial<P2PCastParams>
  /** Viewer upload as a multiple of the stream rate (P2PCast needs f/(f-1) plus headers). */
  uploadFactor?: number
  lossRate?: number
}

export class Harness {
  readonly sim: Simulation<P2PCastMessage, P2PCastParams>
  readonly rng: Rng
  readonly link: LinkSpec
  readonly params: P2PCastParams

  constructor(readonly opts: HarnessOptions) {
    this.params = parseParams({ heartbeatMs: 500, ...opts.params })
    this.rng = createRng(opts.seed, 31)
    this.link = { uploadKbps: (opts.uploadFactor ?? 2.5) * STREAM.kbps, downloadKbps: 20 * STREAM.kbps }
    this.sim = new Simulation({
      seed: opts.seed,
      overlay: p2pcast,
      params: this.params,
      underlay: createDelaySpace({ maxDelayFromSourceMs: 60 }),
      stream: STREAM,
      playout: playoutConfig(STREAM.chunkRateHz, { startupChunks: 20 }),
      sourceLink: { uploadKbps: 4.5 * STREAM.kbps, downloadKbps: Number.POSITIVE_INFINITY },
      lossRate: opts.lossRate ?? 0,
    })
  }

  get source(): P2PCastNode {
    return this.sim.protocol(this.sim.sourceId) as P2PCastNode
  }

  node(id: NodeId): P2PCastNode {
    return this.sim.protocol(id) as P2PCastNode
  }

  /** The registry's forest obeys every rule, and holds exactly the live viewers that joined. */
  checkModel(where: string): void {
    const forest = this.source.registry!.forest
    const violations = checkForest(forest)
    assert.deepEqual(violations, [], `forest rules (seed ${this.opts.seed}, ${where})`)
  }

  /** After quiet time: every live viewer is a member and its view equals the registry's. */
  checkViewsConverged(where: string): void {
    const registry = this.source.registry!
    const wrong: string[] = []
    for (const id of this.sim.liveViewers()) {
      if (!registry.has(id)) {
        wrong.push(`${id}: not in the forest`)
        continue
      }
      const view = this.sim.topology(id)
      const expected = Array.from({ length: this.params.stripes }, (_, t) =>
        registry.wire(registry.forest.parentOf(id, t)!),
      )
      if (JSON.stringify(view.parents) !== JSON.stringify(expected)) {
        wrong.push(
          `${id}: parents ${JSON.stringify(view.parents)}, registry says ${JSON.stringify(expected)}`,
        )
      }
    }
    for (const id of registry.forest.peers()) {
      if (id !== SPECIAL && !this.sim.liveViewers().includes(id))
        wrong.push(`${id}: in the forest but not live`)
    }
    assert.deepEqual(wrong, [], `views converge (seed ${this.opts.seed}, ${where})`)
  }

  /** Continuity of every viewer alive over [from, to], measured by the playout buffers. */
  continuityOver(fromMs: number, toMs: number): Map<NodeId, number> {
    this.sim.runUntil(fromMs)
    const before = new Map<NodeId, [number, number]>()
    for (const id of this.sim.liveViewers()) {
      const q = this.sim.nodeStats(id).qoe
      before.set(id, [q.chunksPlayed, q.chunksDue])
    }
    this.sim.runUntil(toMs)
    const out = new Map<NodeId, number>()
    for (const id of this.sim.liveViewers()) {
      const b = before.get(id)
      if (!b) continue
      const q = this.sim.nodeStats(id).qoe
      const due = q.chunksDue - b[1]
      out.set(id, due > 0 ? (q.chunksPlayed - b[0]) / due : 0)
    }
    return out
  }
}

/** The forest as the peers themselves hold it (peer mode): each node's own place. */
export function peerForestView(h: Harness): ForestView {
  const source = h.sim.sourceId
  const src = h.sim.protocol(source) as P2PCastPeerNode
  const place = (id: NodeId) => {
    if (id === SPECIAL) return src.placeOf(SPECIAL)
    if (id === source) return src.placeOf(source)
    return h.sim.liveViewers().includes(id) ? (h.sim.protocol(id) as P2PCastPeerNode).placeOf(id) : undefined
  }
  return {
    f: h.params.stripes,
    source,
    special: SPECIAL,
    peers: () => [
      SPECIAL,
      ...h.sim.liveViewers().filter((id) => (h.sim.protocol(id) as P2PCastPeerNode).isMember),
    ],
    parentOf: (id, t) => place(id)?.parent[t],
    childrenOf: (id, t) => place(id)?.children[t] ?? [],
  }
}
