import { LocalProtocolError } from '../../core/errors.ts'
import type { NodeId } from '../../core/ids.ts'
import type { Overlay } from '../../core/protocol.ts'
import { createRng } from '../../core/rng.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'
import { type LinkSpec, Simulation, type TransmitHook } from '../../sim/simulation.ts'
import { createTransitStub, type TransitStubUnderlay } from '../../sim/underlay/transit-stub.ts'
import type { TransitStubOptions } from '../../sim/underlay/transit-stub-options.ts'
import { playoutConfig } from '../../stream/playout.ts'
import type { StreamSpec } from '../../stream/stream-spec.ts'
import { defaultI3Overlay, type ServerRouting } from './overlay.ts'

/**
 * The i3 paper models latency only (§6: link latencies, no capacities), so every access link —
 * servers, source, receivers — is unlimited: a message departs the moment it is sent and its
 * delay is exactly the underlay's unicast latency. Stretch and stress then measure the tree, not
 * queueing.
 */
export const UNLIMITED_LINK: LinkSpec = Object.freeze({
  uploadKbps: Number.POSITIVE_INFINITY,
  downloadKbps: Number.POSITIVE_INFINITY,
})

/** 8 + 8·3·5 = 128 routers: the paper's transit-stub shape in miniature, for tests and quick checks. */
export const TINY_TRANSIT_STUB: Partial<TransitStubOptions> = Object.freeze({
  transitDomains: 2,
  routersPerTransitDomain: 4,
  stubDomainsPerTransitRouter: 3,
  routersPerStubDomain: 5,
})

/** Salt of the underlay's random stream (kept apart from the simulator's own seed use). */
const SALT_UNDERLAY = 0x135

export interface I3SwarmOptions {
  seed: number
  /** Receivers that join (the source is extra). */
  receivers: number
  /** Rendezvous servers, node ids 1..servers (default 8,192, the paper's §6). */
  servers?: number
  /** Transit-stub shape; omitted fields are I3_TRANSIT_STUB (10,000 routers, the paper's latencies). */
  underlay?: Partial<TransitStubOptions>
  /** Raw i3 parameters, checked by the overlay's parseParams (maxTriggersPerId default 9: tree degree D = 8). */
  params?: Record<string, unknown>
  /** Receivers join one after another, evenly spaced at this rate (default 20/s). */
  joinsPerS?: number
  /** When the first receiver joins, in simulated seconds (default 1: the source is up first). */
  joinStartS?: number
  /**
   * Chunks per second (default 1). Data only has to flow so that members know their distance to
   * the source (srcDist, Fig. 6) and so that one chunk can be traced for stretch and stress; a
   * low rate keeps a 65,536-receiver run small.
   */
  chunkRateHz?: number
  /** Stream rate in kbit/s (default 64; links are unlimited, so it only sets the bytes counted). */
  kbps?: number
  /** Per-message loss by sender and receiver (e.g. the per-hop rates of §6.3). Must be deterministic. */
  lossOf?: (from: NodeId, to: NodeId) => number
  /** Sees every transmission (link stress, chunk tracing, message counts). */
  onTransmit?: TransmitHook<I3Message>
  /** The i3 overlay object (default: src/overlays/i3; tests may pass a stand-in). */
  overlay?: Overlay<I3Message, I3Params>
  /** Server forwarding for the default overlay (ignored with `overlay`): 'chord' (default) or 'direct'. */
  serverRouting?: ServerRouting
}

export interface I3Swarm {
  readonly sim: Simulation<I3Message, I3Params>
  readonly underlay: TransitStubUnderlay
  readonly params: I3Params
  readonly stream: StreamSpec
  /** Receivers added so far, in join order (grows while the simulation runs). */
  readonly receivers: readonly NodeId[]
  /** When the last receiver is added (ms). */
  readonly lastJoinMs: number
  /** Rendezvous server ids (1..count). */
  readonly servers: readonly NodeId[]
}

/**
 * An i3 deployment in the simulator: servers on random stub routers of a transit-stub network,
 * the source and every receiver on the LAN of a random server (§6), unlimited links, receivers
 * joining at a steady rate. Nothing runs until the caller advances `sim`.
 */
export function buildI3Swarm(options: I3SwarmOptions): I3Swarm {
  const serverCount = options.servers ?? 8192
  const joinsPerS = options.joinsPerS ?? 20
  const joinStartMs = (options.joinStartS ?? 1) * 1000
  const chunkRateHz = options.chunkRateHz ?? 1
  if (!(Number.isInteger(options.receivers) && options.receivers >= 0)) {
    throw new LocalProtocolError(`buildI3Swarm: receivers must be a whole number, got ${options.receivers}`)
  }
  if (!(Number.isInteger(serverCount) && serverCount >= 1)) {
    throw new LocalProtocolError(`buildI3Swarm: servers must be a whole number >= 1, got ${serverCount}`)
  }
  if (!(joinsPerS > 0)) throw new LocalProtocolError(`buildI3Swarm: joinsPerS must be > 0, got ${joinsPerS}`)
  const overlay = options.overlay ?? defaultI3Overlay(options.serverRouting)
  const params = overlay.parseParams(options.params ?? {})
  const underlay = createTransitStub(options.underlay ?? {}, createRng(options.seed, SALT_UNDERLAY))
  const stream: StreamSpec = {
    streamId: 'i3-sim',
    kbps: options.kbps ?? 64,
    chunkRateHz,
    keyframeEveryChunks: 1,
  }
  const sim = new Simulation<I3Message, I3Params>({
    seed: options.seed,
    overlay,
    params,
    underlay,
    stream,
    playout: playoutConfig(chunkRateHz, { startupChunks: 1 }),
    sourceLink: UNLIMITED_LINK,
    servers: { count: serverCount, link: UNLIMITED_LINK },
    ...(options.lossOf ? { lossOf: options.lossOf } : {}),
    ...(options.onTransmit ? { onTransmit: options.onTransmit } : {}),
  })

  const receivers: NodeId[] = []
  const joinAt = (i: number) => joinStartMs + (i * 1000) / joinsPerS
  // One pending join at a time (each schedules the next): no 65,536 closures in the queue up front.
  const join = (i: number) => {
    receivers.push(sim.addViewer(UNLIMITED_LINK))
    if (i + 1 < options.receivers) sim.at(joinAt(i + 1), () => join(i + 1))
  }
  if (options.receivers > 0) sim.at(joinAt(0), () => join(0))
  return {
    sim,
    underlay,
    params,
    stream,
    receivers,
    lastJoinMs: options.receivers > 0 ? joinAt(options.receivers - 1) : 0,
    servers: sim.servers,
  }
}

export interface JoinOutcome {
  /** Receivers with a parent in the tree when the run stopped. */
  joined: number
  /** Receivers added that had no parent yet (their join never finished within the bound). */
  neverJoined: number
  /** Simulated time when every receiver had joined, or the bound if some never did. */
  atMs: number
}

/** Whether a receiver has finished its join (it reports the member it joined at as its parent). */
export function hasJoined(swarm: I3Swarm, id: NodeId): boolean {
  return swarm.sim.isAlive(id) && swarm.sim.topology(id).parents.length > 0
}

/**
 * Run until every receiver has been added and has joined, checking every `checkEveryMs`, but
 * never past `lastJoinMs + maxExtraMs` (a join that never ends must not hang the experiment).
 */
export function runUntilJoined(
  swarm: I3Swarm,
  opts: { maxExtraMs?: number; checkEveryMs?: number; onProgress?: (nowMs: number) => void } = {},
): JoinOutcome {
  const { sim } = swarm
  const step = opts.checkEveryMs ?? 1000
  const bound = swarm.lastJoinMs + (opts.maxExtraMs ?? 120_000)
  // Receivers before this index have all joined (joins are checked in order, once each).
  let firstPending = 0
  for (;;) {
    const t = Math.min(bound, Math.max(sim.now, Math.floor(sim.now / step) * step + step))
    sim.runUntil(t, opts.onProgress)
    while (firstPending < swarm.receivers.length && hasJoined(swarm, swarm.receivers[firstPending]!))
      firstPending++
    const allAdded = sim.now >= swarm.lastJoinMs
    if ((allAdded && firstPending === swarm.receivers.length) || sim.now >= bound) break
  }
  let joined = 0
  for (const id of swarm.receivers) if (hasJoined(swarm, id)) joined++
  return { joined, neverJoined: swarm.receivers.length - joined, atMs: sim.now }
}
