import { createHash, type KeyObject, sign, verify } from 'node:crypto'
import { LocalProtocolError } from '../core/errors.ts'
import { Reader, Writer } from '../core/wire.ts'
import { CHUNK_SIGNATURE_BYTES, chunkDigestInput, ed25519PublicKeyFromRaw } from './auth.ts'
import type { Chunk } from './chunk.ts'

/**
 * Source authentication, windowed variant (PPSPP-style): one Ed25519 signature over the Merkle
 * root of W consecutive chunks; each chunk carries the signed root and its sibling path. Kept for
 * the comparison in bench/auth.bench.ts — the product uses per-chunk signatures (auth.ts), because
 * the source must hold W chunks before it can send the first one of a window.
 * auth = [signature 64][proof count u8][proof hashes 32 each]; window = floor(seq / W), leaf = seq % W.
 */

const ROOT_DOMAIN = 'peercaster/merkle-root/v1'
const HASH_BYTES = 32
const MAX_PROOF_HASHES = 16
const VERIFIED_ROOT_CACHE = 64

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

const LEAF_TAG = new Uint8Array([0])
const NODE_TAG = new Uint8Array([1])

function leafHash(chunk: Chunk): Uint8Array {
  return sha256(LEAF_TAG, chunkDigestInput(chunk))
}

function rootSigningInput(stream: string, window: number, root: Uint8Array): Uint8Array {
  return new Writer(96).string(ROOT_DOMAIN).string(stream).varint(window).bytes(root).finish()
}

/** Levels of a Merkle tree over a power-of-two number of leaves (missing leaves are zero hashes). */
function buildLevels(leaves: Uint8Array[], width: number): Uint8Array[][] {
  const levels: Uint8Array[][] = [[...leaves]]
  while (levels[0]!.length < width) levels[0]!.push(new Uint8Array(HASH_BYTES))
  while (levels[levels.length - 1]!.length > 1) {
    const below = levels[levels.length - 1]!
    const above: Uint8Array[] = []
    for (let i = 0; i < below.length; i += 2) above.push(sha256(NODE_TAG, below[i]!, below[i + 1]!))
    levels.push(above)
  }
  return levels
}

/** Signs one full window of chunks: returns the chunks with `auth` filled in. */
export function createMerkleWindowSigner(privateKey: KeyObject, windowChunks: number) {
  if (
    !Number.isInteger(Math.log2(windowChunks)) ||
    windowChunks < 1 ||
    windowChunks > 1 << MAX_PROOF_HASHES
  ) {
    throw new LocalProtocolError(`Merkle window must be a power of two up to 65536, got ${windowChunks}`)
  }
  return (chunks: readonly Chunk[]): Chunk[] => {
    const first = chunks[0]
    if (!first) return []
    const window = Math.floor(first.seq / windowChunks)
    for (const c of chunks) {
      if (Math.floor(c.seq / windowChunks) !== window) throw new LocalProtocolError('chunks span two windows')
    }
    const leaves = new Array<Uint8Array>(windowChunks).fill(new Uint8Array(HASH_BYTES))
    for (const c of chunks) leaves[c.seq % windowChunks] = leafHash(c)
    const levels = buildLevels(leaves, windowChunks)
    const root = levels[levels.length - 1]![0]!
    const signature = sign(null, rootSigningInput(first.stream, window, root), privateKey)
    return chunks.map((c) => {
      const w = new Writer(CHUNK_SIGNATURE_BYTES + 1 + HASH_BYTES * (levels.length - 1))
      for (const b of signature) w.u8(b)
      w.u8(levels.length - 1)
      let index = c.seq % windowChunks
      for (let level = 0; level < levels.length - 1; level++) {
        for (const b of levels[level]![index ^ 1]!) w.u8(b)
        index >>= 1
      }
      return { ...c, auth: w.finish() }
    })
  }
}

/** `(chunk) => boolean`; verifies one signature per window and caches the verified roots. */
export function createMerkleVerifier(
  streamId: string,
  publicKey: KeyObject | Uint8Array,
  windowChunks: number,
) {
  const key = publicKey instanceof Uint8Array ? ed25519PublicKeyFromRaw(publicKey) : publicKey
  const verifiedRoots = new Map<number, string>()
  return (chunk: Chunk): boolean => {
    if (chunk.stream !== streamId || chunk.payload === null || chunk.auth === null) return false
    try {
      const r = new Reader(chunk.auth)
      const signature = new Uint8Array(CHUNK_SIGNATURE_BYTES)
      for (let i = 0; i < CHUNK_SIGNATURE_BYTES; i++) signature[i] = r.u8()
      const depth = r.u8()
      if (depth > MAX_PROOF_HASHES || 1 << depth !== windowChunks) return false
      let hash = leafHash(chunk)
      let index = chunk.seq % windowChunks
      for (let level = 0; level < depth; level++) {
        const sibling = new Uint8Array(HASH_BYTES)
        for (let i = 0; i < HASH_BYTES; i++) sibling[i] = r.u8()
        hash = index & 1 ? sha256(NODE_TAG, sibling, hash) : sha256(NODE_TAG, hash, sibling)
        index >>= 1
      }
      r.end()
      const window = Math.floor(chunk.seq / windowChunks)
      const rootHex = Buffer.from(hash).toString('hex')
      if (verifiedRoots.get(window) === rootHex) return true
      if (!verify(null, rootSigningInput(streamId, window, hash), key, signature)) return false
      verifiedRoots.set(window, rootHex)
      if (verifiedRoots.size > VERIFIED_ROOT_CACHE) verifiedRoots.delete(verifiedRoots.keys().next().value!)
      return true
    } catch {
      return false
    }
  }
}

/** Bytes of `auth` per chunk for a window of W chunks. */
export function merkleAuthBytes(windowChunks: number): number {
  return CHUNK_SIGNATURE_BYTES + 1 + HASH_BYTES * Math.log2(windowChunks)
}
