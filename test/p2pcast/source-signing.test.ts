// The source's parity chunks must carry the source's signature on the net host, where viewers
// drop every chunk that does not verify (docs/architecture/p2pcast.md, "On the net host").
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { p2pcast } from '../../src/overlays/p2pcast/index.ts'
import { createChunkSigner, createChunkVerifier } from '../../src/stream/auth.ts'
import type { Chunk, ChunkMessage } from '../../src/stream/chunk.ts'
import { parityStripe, rebuildMissing } from '../../src/stream/stripes.ts'
import { recordingEnv, type Sent } from './recording-env.ts'

const STREAM = 'stream-under-test'
const VIEWER = 'viewer-1'

function dataChunk(seq: number): Chunk {
  const payload = new Uint8Array(188 * 3).map((_, i) => (i * 31 + seq) & 0xff)
  return {
    stream: STREAM,
    seq,
    sourceTime: 1000 + seq * 250,
    stripe: -1,
    size: payload.length,
    payload,
    keyframe: seq % 4 === 0,
    auth: null,
  }
}

/** A registry-mode source with one joined viewer (the root of both trees), fed `count` signed chunks. */
function runSource(
  mode: 'registry' | 'peer',
  sign: ((c: Chunk) => Chunk) | undefined,
  signer: (c: Chunk) => Chunk,
) {
  const sent: Sent[] = []
  const env = recordingEnv(STREAM, sent, sign ? { sign } : {})
  const params = p2pcast.parseParams({ mode })
  const node = p2pcast.createNode(
    env,
    { source: STREAM, streamKbps: 400, uploadKbps: 10_000, role: 'source' },
    params,
  )
  node.start(0)
  node.onMessage(10, VIEWER, { type: 'join' })
  for (let seq = 0; seq < 4; seq++) node.publish(20 + seq, signer(dataChunk(seq)))
  return sent.filter((s) => s.msg.type === 'chunk').map((s) => (s.msg as unknown as ChunkMessage).chunk)
}

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const signer = createChunkSigner(privateKey)
const verify = createChunkVerifier(STREAM, publicKey)

test('registry mode: with Env.sign the parity chunks verify, and rebuild a data chunk that verifies', () => {
  const chunks = runSource('registry', signer, signer)
  const parity = chunks.filter((c) => c.stripe === parityStripe(2))
  const data = chunks.filter((c) => c.stripe === -1)
  assert.equal(data.length, 4)
  assert.equal(parity.length, 4, 'f = 2: one parity chunk per data chunk')
  for (const c of chunks) assert.ok(verify(c), `chunk seq ${c.seq} stripe ${c.stripe} does not verify`)
  // A viewer that lost stripe 0 rebuilds the data chunk, signature included.
  const rebuilt = rebuildMissing(parity[2]!, [], 2)
  const original = data[2]!
  assert.equal(rebuilt.seq, original.seq)
  assert.deepEqual(new Uint8Array(rebuilt.payload!), new Uint8Array(original.payload!))
  assert.deepEqual(new Uint8Array(rebuilt.auth!), new Uint8Array(original.auth!))
  assert.ok(verify(rebuilt))
})

test('without Env.sign (the simulator) parity goes out unsigned, which a verifying viewer would drop', () => {
  const chunks = runSource('registry', undefined, signer)
  const parity = chunks.filter((c) => c.stripe === parityStripe(2))
  assert.equal(parity.length, 4)
  for (const c of parity) {
    assert.equal(c.auth, null)
    assert.equal(verify(c), false)
  }
})
