import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { nodeSigningKey, publicKeyOfPeerId } from '../../src/net/identity.ts'
import { CHUNK_SIGNATURE_BYTES, createChunkSigner, createChunkVerifier } from '../../src/stream/auth.ts'
import type { Chunk } from '../../src/stream/chunk.ts'
import { createMerkleVerifier, createMerkleWindowSigner, merkleAuthBytes } from '../../src/stream/merkle.ts'

function chunk(seq: number, stream = 'S'): Chunk {
  const payload = new Uint8Array(100).map((_, i) => (i * 7 + seq) & 0xff)
  return {
    stream,
    seq,
    sourceTime: 500 + seq,
    stripe: seq % 3,
    size: 100,
    payload,
    keyframe: seq === 0,
    auth: null,
  }
}

test('a signed chunk verifies; changing any signed field or the key breaks it', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const sign = createChunkSigner(privateKey)
  const verify = createChunkVerifier('S', publicKey)
  const good = sign(chunk(5))
  assert.equal(good.auth?.length, CHUNK_SIGNATURE_BYTES)
  assert.equal(verify(good), true)
  const flipped = new Uint8Array(good.payload!)
  flipped[10]! ^= 1
  const variants: Chunk[] = [
    { ...good, seq: 6 },
    { ...good, sourceTime: 501 },
    { ...good, stripe: 0 },
    { ...good, keyframe: true },
    { ...good, payload: flipped },
    { ...good, stream: 'T' },
    { ...good, auth: null },
    { ...good, payload: null },
    { ...good, auth: good.auth!.subarray(0, 63) },
  ]
  for (const v of variants) assert.equal(verify(v), false, JSON.stringify({ ...v, payload: undefined }))
  const other = createChunkSigner(generateKeyPairSync('ed25519').privateKey)
  assert.equal(verify(other(chunk(5))), false)
})

test('the stream id (source PeerId) yields the verifying key of the libp2p identity', async () => {
  const key = await generateKeyPair('Ed25519')
  const streamId = peerIdFromPrivateKey(key).toString()
  const sign = createChunkSigner(nodeSigningKey(key))
  const verify = createChunkVerifier(streamId, publicKeyOfPeerId(streamId))
  assert.equal(verify(sign(chunk(1, streamId))), true)
  assert.equal(verify(sign(chunk(1, 'other'))), false)
})

test('Merkle windows: every chunk verifies with its proof; tampering fails', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const W = 8
  const signWindow = createMerkleWindowSigner(privateKey, W)
  const verify = createMerkleVerifier('S', publicKey, W)
  const signed = [
    ...signWindow(Array.from({ length: W }, (_, i) => chunk(i))),
    ...signWindow([chunk(8), chunk(9)]),
  ]
  for (const c of signed) {
    assert.equal(c.auth!.length, merkleAuthBytes(W))
    assert.equal(verify(c), true)
  }
  const flipped = new Uint8Array(signed[3]!.payload!)
  flipped[0]! ^= 1
  assert.equal(verify({ ...signed[3]!, payload: flipped }), false)
  assert.equal(verify({ ...signed[3]!, seq: 4 }), false)
  const otherKey = createMerkleWindowSigner(generateKeyPairSync('ed25519').privateKey, W)
  assert.equal(verify(otherKey([chunk(16)])[0]!), false)
})
