import type { Chunk } from '../stream/chunk.ts'
import type { Message, MessageCodec } from './codec.ts'
import type { NodeId } from './ids.ts'
import type { Rng } from './rng.ts'

/** Handle of a pending timer; only meaningful to the Env that issued it. */
export type TimerId = number

/**
 * A network-position token a node can send to others (SpreadIt's "traceroute information",
 * DOAT's Vivaldi coordinates). Opaque to protocols: they only pass it around and ask the Env
 * for the distance between two of them. At most 8 numbers.
 */
export type Locator = readonly number[]
export const MAX_LOCATOR_LENGTH = 8

/**
 * Everything a protocol may do to the world. Protocols are sans-IO: their handlers are
 * synchronous, receive `now` as an argument, and act only through this object. The simulator
 * and the libp2p host each implement it; the protocol cannot tell which one it runs on.
 */
export interface Env<M extends Message> {
  readonly self: NodeId
  /** Seeded randomness (per node in the simulator). */
  readonly rng: Rng
  send(to: NodeId, msg: M): void
  /** Fires onTimer(now, kind, arg) after delayMs unless cancelled. */
  setTimer(delayMs: number, kind: number, arg?: NodeId): TimerId
  cancelTimer(id: TimerId): void
  /** Hand a verified chunk to the local playout buffer (viewers only). */
  deliver(chunk: Chunk, hops: number): void
  /** This node's network position, to send along with requests. */
  locate(): Locator
  /** Estimated one-way latency in ms between two positions. */
  distance(a: Locator, b: Locator): number
  /** Record a protocol-level measurement (e.g. "parentDiscoveryMs"); hosts aggregate by name. */
  metric(name: string, value: number): void
  /** Forget per-peer transport state (close the session) — hosts may free buffers. */
  disconnect(peer: NodeId): void
  /**
   * Source role only, optional: authenticate a chunk the protocol made itself (P2PCast's parity
   * chunks), as the host authenticates the chunks it publishes. Returns a new chunk; hosts that
   * do not authenticate (the simulator) leave this out, and protocols then send the chunk as is.
   */
  sign?(chunk: Chunk): Chunk
}

/** Host-provided facts about this node and the stream. */
export interface NodeContext {
  readonly source: NodeId
  /** The stream's rate in kbit/s, used to derive child limits from upload capacity. */
  readonly streamKbps: number
  /** This node's upload capacity in kbit/s (Infinity when unknown/unlimited). */
  readonly uploadKbps: number
  /**
   * 'server' is an infrastructure node that carries no stream of its own (an i3 rendezvous
   * server); overlays without infrastructure never see it.
   */
  readonly role: NodeRole
  /**
   * Infrastructure servers this node knows (i3 rendezvous servers). End hosts: nearest first
   * (the i3 paper assumes each host knows ids that map onto its closest server). Servers: every
   * server of the deployment, itself included (a static Chord ring). Absent for overlays without
   * infrastructure.
   */
  readonly servers?: readonly NodeId[]
}

export type NodeRole = 'source' | 'viewer' | 'server'

/** A node's place in the overlay, for invariant checks, /stats and plots. */
export interface TopologyView {
  /** Nodes this node currently receives stream data from (one per stripe in P2PCast). */
  readonly parents: readonly NodeId[]
  /** Nodes this node currently forwards stream data to. */
  readonly children: readonly NodeId[]
  /** Whether the node currently has a working feed (false while transient). */
  readonly connected: boolean
  /** Upper bound on children this node will accept (its upload budget in stream units). */
  readonly maxChildren: number
}

/** One node's protocol state machine. All handlers are synchronous and never throw on peer input. */
export interface Protocol<M extends Message> {
  /** The node comes up: a viewer starts joining, the source starts accepting. */
  start(now: number): void
  onMessage(now: number, from: NodeId, msg: M): void
  onTimer(now: number, kind: number, arg: NodeId | undefined): void
  /** The source hands a freshly cut chunk to its overlay (source role only). */
  publish(now: number, chunk: Chunk): void
  /** Graceful leave: tell whoever must know. The host removes the node afterwards. */
  leave(now: number): void
  topology(): TopologyView
}

/** The contract every overlay implements; hosts, the conformance suite and the CLI use only this. */
export interface Overlay<M extends Message, P = Record<string, unknown>> {
  readonly name: string
  readonly codec: MessageCodec<M>
  /** Validate and default the overlay's parameters (from a scenario file or a stream URI). */
  parseParams(raw: Record<string, unknown>): P
  createNode(env: Env<M>, ctx: NodeContext, params: P): Protocol<M>
}
