import type { NodeId } from '../../core/ids.ts'

/**
 * Per-hop loss rates of the i3 paper's §6.3: "loss rates uniformly at random between 0-4% to i3
 * hops, and between 0-8% to the hops from i3 servers to end-hosts. Both data and control packets
 * are dropped with the same probability."
 *
 * What counts as a hop here, read literally (the simulator's nodes: source 0, servers
 * 1..serverCount, viewers after them; end hosts only ever talk to servers):
 * - i3 hop: one message from a server to another server. Each unordered server pair has its own
 *   rate U[0, i3HopMax), drawn once (a hash of seed and pair, so 8,192 servers need no 67M-entry
 *   table).
 * - last hop: one message from a server to an end host. Each end host has one rate
 *   U[0, lastHopMax) for everything servers send it (its access hop, downstream).
 * - end host -> server: lossless. The paper gives this direction no rate; charging the last-hop
 *   rate both ways would put four lossy hops on every repair round trip instead of two. It also
 *   keeps the source's uplink lossless (a chunk lost there is lost by every receiver and §5 has
 *   nobody to ask for it).
 */
export interface HopLossSpec {
  /** Servers are node ids 1..serverCount (SimConfig.servers). */
  serverCount: number
  /** i3 hops: rate ~ U[0, i3HopMax) per server pair (paper: 0.04). */
  i3HopMax: number
  /** Server -> end host: rate ~ U[0, lastHopMax) per end host (paper: 0.08). */
  lastHopMax: number
  seed: number
}

export interface HopLoss {
  /** For SimConfig.lossOf: the loss probability of one message from `from` to `to`. */
  lossOf(from: NodeId, to: NodeId): number
  /** Loss rate of the hop between two servers (symmetric). */
  i3HopRate(a: number, b: number): number
  /** Loss rate of what servers send an end host. */
  lastHopRate(host: number): number
}

export const PAPER_I3_HOP_MAX = 0.04
export const PAPER_LAST_HOP_MAX = 0.08

/** Salts keeping the two kinds of draws apart. */
const SALT_I3_HOP = 0x13b0
const SALT_LAST_HOP = 0x1a57

/** A uniform [0, 1) value determined by (seed, salt, a, b): a counter-based seeded generator. */
export function hashUniform(seed: number, salt: number, a: number, b: number): number {
  let h = (seed ^ Math.imul(salt, 0x9e3779b9)) >>> 0
  for (const v of [a, b]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)
  h ^= h >>> 12
  return (h >>> 0) / 4294967296
}

export function hopLossRates(spec: HopLossSpec): HopLoss {
  const { serverCount, i3HopMax, lastHopMax, seed } = spec
  for (const [name, v] of [
    ['i3HopMax', i3HopMax],
    ['lastHopMax', lastHopMax],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`hop loss: ${name} must be in [0, 1], got ${v}`)
  }
  const isServer = (id: NodeId): id is number => typeof id === 'number' && id >= 1 && id <= serverCount
  const i3HopRate = (a: number, b: number) =>
    i3HopMax * hashUniform(seed, SALT_I3_HOP, Math.min(a, b), Math.max(a, b))
  const lastHopRate = (host: number) => lastHopMax * hashUniform(seed, SALT_LAST_HOP, host, 0)
  return {
    i3HopRate,
    lastHopRate,
    lossOf(from, to) {
      if (!isServer(from)) return 0
      if (isServer(to)) return i3HopRate(from, to)
      return typeof to === 'number' ? lastHopRate(to) : 0
    },
  }
}
