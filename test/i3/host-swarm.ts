// Shared set-up for the i3 end-host tests: a seeded simulation with a few servers on a small
// transit-stub network, unlimited links (the paper models latency only).
import type { NodeId } from '../../src/core/ids.ts'
import type { Env, Overlay } from '../../src/core/protocol.ts'
import { createRng } from '../../src/core/rng.ts'
import {
  I3HostNode,
  type I3Id,
  type I3Message,
  type I3Params,
  type I3ServerNode,
  i3,
  parseParams,
} from '../../src/overlays/i3/index.ts'
import type { Target } from '../../src/overlays/i3/messages.ts'
import { type LinkSpec, type SimConfig, Simulation } from '../../src/sim/simulation.ts'
import { createTransitStub } from '../../src/sim/underlay/transit-stub.ts'
import type { Underlay } from '../../src/sim/underlay/underlay.ts'
import { playoutConfig } from '../../src/stream/playout.ts'
import type { StreamSpec } from '../../src/stream/stream-spec.ts'

export const UNLIMITED: LinkSpec = {
  uploadKbps: Number.POSITIVE_INFINITY,
  downloadKbps: Number.POSITIVE_INFINITY,
}

export const HOST_TEST_STREAM: StreamSpec = {
  streamId: 'i3-host',
  kbps: 64,
  chunkRateHz: 10,
  keyframeEveryChunks: 1,
}

/** 8 + 8·2·3 = 56 routers: the transit-stub shape, small. */
export function smallTransitStub(seed: number): Underlay {
  return createTransitStub(
    {
      transitDomains: 2,
      routersPerTransitDomain: 4,
      stubDomainsPerTransitRouter: 2,
      routersPerStubDomain: 3,
    },
    createRng(seed, 0x135),
  )
}

export interface HostSwarmOptions {
  seed?: number
  servers?: number
  params?: Record<string, unknown>
  underlay?: Underlay
  overlay?: Overlay<I3Message, I3Params>
  extra?: Partial<SimConfig<I3Message, I3Params>>
}

export function hostSwarm(opts: HostSwarmOptions = {}): Simulation<I3Message, I3Params> {
  const seed = opts.seed ?? 1
  return new Simulation<I3Message, I3Params>({
    seed,
    overlay: opts.overlay ?? i3,
    params: parseParams(opts.params ?? {}),
    underlay: opts.underlay ?? smallTransitStub(seed),
    stream: HOST_TEST_STREAM,
    playout: playoutConfig(HOST_TEST_STREAM.chunkRateHz, { startupChunks: 1 }),
    sourceLink: UNLIMITED,
    servers: { count: opts.servers ?? 6, link: UNLIMITED },
    ...opts.extra,
  })
}

export function hostOf(sim: Simulation<I3Message, I3Params>, id: NodeId): I3HostNode {
  const p = sim.protocol(id)
  if (!(p instanceof I3HostNode)) throw new Error(`node ${id} is not an i3 end host`)
  return p
}

export function serversOf(sim: Simulation<I3Message, I3Params>): I3ServerNode[] {
  return sim.servers.map((id) => sim.protocol(id) as I3ServerNode)
}

/** Add `n` receivers `everyMs` apart starting now. */
export function joinReceivers(sim: Simulation<I3Message, I3Params>, n: number, everyMs: number): NodeId[] {
  const ids: NodeId[] = []
  for (let i = 0; i < n; i++) sim.at(sim.now + i * everyMs, () => ids.push(sim.addViewer(UNLIMITED)))
  return ids
}

/** The i3 overlay with every chunk handed to a player recorded per node (seqs, in delivery order). */
export function recordingI3(): { overlay: Overlay<I3Message, I3Params>; delivered: Map<NodeId, number[]> } {
  const delivered = new Map<NodeId, number[]>()
  const overlay: Overlay<I3Message, I3Params> = {
    ...i3,
    createNode(env, ctx, params) {
      const seqs: number[] = []
      delivered.set(env.self, seqs)
      const recording: Env<I3Message> = {
        self: env.self,
        rng: env.rng,
        send: (to, msg) => env.send(to, msg),
        setTimer: (delayMs, kind, arg) => env.setTimer(delayMs, kind, arg),
        cancelTimer: (id) => env.cancelTimer(id),
        deliver: (chunk, hops) => {
          seqs.push(chunk.seq)
          env.deliver(chunk, hops)
        },
        locate: () => env.locate(),
        distance: (a, b) => env.distance(a, b),
        metric: (name, value) => env.metric(name, value),
        disconnect: (peer) => env.disconnect(peer),
      }
      return i3.createNode(recording, ctx, params)
    },
  }
  return { overlay, delivered }
}

/**
 * The i3 overlay on unsynchronized clocks: every node sees now + its own fixed offset (the
 * source's chunks carry its skewed departure time). Timers are relative, so only what the
 * protocol computes from clock readings can change.
 */
export function skewedI3(skewOf: (self: NodeId) => number): Overlay<I3Message, I3Params> {
  return {
    ...i3,
    createNode(env, ctx, params) {
      const inner = i3.createNode(env, ctx, params)
      const s = skewOf(env.self)
      return {
        start: (now) => inner.start(now + s),
        onMessage: (now, from, msg) => inner.onMessage(now + s, from, msg),
        onTimer: (now, kind, arg) => inner.onTimer(now + s, kind, arg),
        publish: (now, chunk) => inner.publish(now + s, { ...chunk, sourceTime: chunk.sourceTime + s }),
        leave: (now) => inner.leave(now + s),
        topology: () => inner.topology(),
      }
    },
  }
}

/** Seqs missing from a node's deliveries in [from, to], and seqs it was handed twice. */
export function gapsAndRepeats(
  seqs: readonly number[],
  from: number,
  to: number,
): { missing: number[]; repeated: number[] } {
  const seen = new Set<number>()
  const repeated: number[] = []
  for (const s of seqs) {
    if (seen.has(s)) repeated.push(s)
    seen.add(s)
  }
  const missing: number[] = []
  for (let s = from; s <= to; s++) if (!seen.has(s)) missing.push(s)
  return { missing, repeated }
}

/** Whether trigger (id -> target) is live on the server that owns id. */
export function triggerLive(sim: Simulation<I3Message, I3Params>, id: I3Id, target: Target): boolean {
  const servers = serversOf(sim)
  const owner = servers[0]!.ownerOf(id)
  const server = sim.protocol(owner) as I3ServerNode
  return server.table.find(sim.now, id, target) !== undefined
}
