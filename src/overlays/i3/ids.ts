import type { NodeId } from '../../core/ids.ts'
import type { Rng } from '../../core/rng.ts'

/**
 * An i3 identifier: 256 bits, written as 64 lowercase hex characters so ids are cheap Map keys
 * and compare with ===. Layout (paper §2.1):
 *
 *   [ 192-bit prefix: must match exactly ][ 64-bit suffix: longest-prefix match (anycast) ]
 *
 * The first RING_HEX hex digits of the prefix place the id on the Chord ring of servers, so every
 * id of one anycast group (same prefix) lives on the same server, where matching happens.
 */
export type I3Id = string

export const ID_HEX = 64
export const ID_BYTES = 32
export const PREFIX_HEX = 48
export const SUFFIX_HEX = 16
/** 52 bits: the ring position is an exact JS number. */
export const RING_HEX = 13
export const RING_SIZE = 2 ** 52

const HEX_ID = /^[0-9a-f]{64}$/

export function isI3Id(s: unknown): s is I3Id {
  return typeof s === 'string' && HEX_ID.test(s)
}

export function prefixOf(id: I3Id): string {
  return id.slice(0, PREFIX_HEX)
}

export function suffixOf(id: I3Id): string {
  return id.slice(PREFIX_HEX)
}

/** Position on the Chord ring [0, 2^52). Every packet a server sees needs it: no slicing. */
export function ringKey(id: I3Id): number {
  let key = 0
  for (let i = 0; i < RING_HEX; i++) {
    const c = id.charCodeAt(i)
    key = key * 16 + (c <= 57 ? c - 48 : c - 87)
  }
  return key
}

/**
 * How well trigger id `t` matches packet id `p`: -1 when the 192-bit prefixes differ (no match
 * at all), else the number of leading suffix bits they share (0..64; 64 = identical ids).
 */
export function matchBits(t: I3Id, p: I3Id): number {
  if (t.slice(0, PREFIX_HEX) !== p.slice(0, PREFIX_HEX)) return -1
  let bits = 0
  for (let i = PREFIX_HEX; i < ID_HEX; i++) {
    const x = Number.parseInt(t[i]!, 16) ^ Number.parseInt(p[i]!, 16)
    if (x === 0) {
      bits += 4
      continue
    }
    return bits + (Math.clz32(x) - 28)
  }
  return bits
}

/** Replace the 64-bit suffix of `id` (16 hex digits). */
export function withSuffix(id: I3Id, suffixHex: string): I3Id {
  if (!/^[0-9a-f]{16}$/.test(suffixHex)) throw new RangeError(`bad i3 id suffix "${suffixHex}"`)
  return id.slice(0, PREFIX_HEX) + suffixHex
}

/** Replace the ring digits of `id`, moving it onto the server that owns ring position `key`. */
export function withRingKey(id: I3Id, key: number): I3Id {
  return hex(key, RING_HEX) + id.slice(RING_HEX)
}

function hex(v: number, digits: number): string {
  return Math.floor(v).toString(16).padStart(digits, '0').slice(-digits)
}

/**
 * The paper's "well-known hash functions" (jHash, fHash, Hr, Hr(IP), Hr(seq)): any function every
 * end host computes alike. Deterministic and fast, not cryptographic (the simulator hashes
 * millions of ids): eight 32-bit lanes of a multiply-xorshift mix over the UTF-16 code units.
 */
export function hashId(...parts: readonly string[]): I3Id {
  const text = parts.join('\u0000')
  let out = ''
  for (let lane = 0; lane < 8; lane++) {
    let h = (0x9e3779b9 ^ Math.imul(lane + 1, 0x85ebca6b)) >>> 0
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
      h ^= h >>> 15
    }
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
    h ^= h >>> 16
    out += (h >>> 0).toString(16).padStart(8, '0')
  }
  return out
}

/** A uniformly random id (private ids, dummy triggers). */
export function randomId(rng: Rng): I3Id {
  let out = ''
  for (let i = 0; i < 8; i++)
    out += Math.floor(rng.next() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')
  return out
}

/** Where a server sits on the ring: consistent hashing of its node id. */
export function serverRingKey(server: NodeId): number {
  return ringKey(hashId('i3-server', String(server)))
}

/**
 * "pick close id" (Fig. 6): a random id stored on `server` (an end host's nearest server):
 * ring position = the server's own position, which it owns by definition of successor().
 */
export function idOnServer(server: NodeId, rng: Rng): I3Id {
  return withRingKey(randomId(rng), serverRingKey(server))
}

/** The multicast group's root id, known to everyone who knows the source (the stream id). */
export function groupId(source: NodeId): I3Id {
  return hashId('i3-group', String(source))
}

/** jset / fset of the children of the node whose tree id is `parent` (§3.2). */
export function jsetId(parent: I3Id): I3Id {
  return hashId('i3-jset', parent)
}
export function fsetId(parent: I3Id): I3Id {
  return hashId('i3-fset', parent)
}

/** Hr(id): the 192-bit prefix of the recovery anycast group of `parent`'s children (§5). */
export function recoveryGroupId(parent: I3Id, suffixHex: string): I3Id {
  return withSuffix(hashId('i3-recovery', parent), suffixHex)
}

/** rel-loss suffix: the member's loss rate, so a request for suffix 0 reaches the lowest. */
export function lossSuffix(lossRate: number): string {
  const clamped = Math.min(1, Math.max(0, lossRate))
  return hex(Math.floor(clamped * 0xffffffff), 8) + '00000000'
}

/** rel-random suffixes: Hr(IP_R) for members, Hr(seq) for requests. */
export function hashSuffix(...parts: readonly string[]): string {
  return hashId(...parts).slice(0, SUFFIX_HEX)
}

export const ZERO_SUFFIX = '0000000000000000'
