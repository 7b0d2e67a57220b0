import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeFrame } from '../../src/net/framing.ts'
import { createLibp2pNode } from '../../src/net/libp2p-node.ts'
import { helloCodec } from './fixtures/hello-overlay.ts'
import { type HelloHost, makeChunk, startSource, startViewer } from './fixtures/hosts.ts'
import { waitFor } from './fixtures/wait.ts'

const hosts: HelloHost[] = []
const raws: Libp2p[] = []
after(async () => {
  await Promise.all([...hosts.map((h) => h.stop(false)), ...raws.map((r) => r.stop())])
})

async function rawNode(): Promise<Libp2p> {
  const node = await createLibp2pNode({ privateKey: await generateKeyPair('Ed25519') })
  raws.push(node)
  return node
}

async function rawStreamTo(node: Libp2p, host: HelloHost): Promise<Stream> {
  return node.dialProtocol(multiaddr(host.addrs()[0]!), host.protocolId)
}

async function setup() {
  const { host: source } = await startSource()
  const viewer = await startViewer(source)
  hosts.push(source, viewer)
  await waitFor('hello', () => source.topology().children.length === 1)
  return { source, viewer }
}

test('garbage bytes from a raw stream are a counted remote error; the host keeps serving', async () => {
  const { source, viewer } = await setup()
  const attacker = await rawNode()
  const stream = await rawStreamTo(attacker, viewer)
  const closed = new Promise((r) => stream.addEventListener('close', r))
  // A well-formed frame whose body is not a message of this codec (version 99).
  stream.send(encodeFrame(new Uint8Array([99, 1, 2, 3])))
  await waitFor('a remote error', () => viewer.stats.remoteErrors === 1)
  await closed
  for (let seq = 0; seq < 5; seq++) source.publish(makeChunk(source.peerId, seq))
  await waitFor('chunks after the attack', () => viewer.received.length === 5)
})

test('an oversized frame is refused from its length prefix, before its body is buffered', async () => {
  const { source, viewer } = await setup()
  const attacker = await rawNode()
  const stream = await rawStreamTo(attacker, viewer)
  const closed = new Promise((r) => stream.addEventListener('close', r))
  const before = viewer.stats.bytesIn
  // Prefix announcing maxFrameBytes + 1, then a first slice of the body.
  const prefix = encodeFrame(new Uint8Array(helloCodec.maxFrameBytes + 1)).subarray(0, 3)
  stream.send(prefix)
  stream.send(new Uint8Array(1000))
  await waitFor('a remote error', () => viewer.stats.remoteErrors === 1)
  await closed
  assert.ok(viewer.stats.bytesIn - before < 64 * 1024, 'the body was not read')
  source.publish(makeChunk(source.peerId, 0))
  await waitFor('a chunk after the attack', () => viewer.received.length === 1)
})

test('a peer that stops reading cannot grow the sender queue past its cap; others are unaffected', async () => {
  const softCapBytes = 128 * 1024
  const { host: source } = await startSource({ outboxLimits: { softCapBytes, hardCapBytes: 512 * 1024 } })
  hosts.push(source)
  const good = await startViewer(source)
  hosts.push(good)
  // The stuck peer says hello, then never reads what the source sends it.
  const stuck = await rawNode()
  await stuck.handle(source.protocolId, (stream) => stream.pause())
  const hello = await rawStreamTo(stuck, source)
  hello.send(encodeFrame(helloCodec.encode({ type: 'hello' })))
  await waitFor('two children', () => source.topology().children.length === 2)
  const stuckId = stuck.peerId.toString()
  let maxQueued = 0
  const total = 400
  for (let seq = 0; seq < total; seq++) {
    source.publish(makeChunk(source.peerId, seq, 8 * 1024))
    maxQueued = Math.max(maxQueued, source.queuedBytes(stuckId))
    if (seq % 8 === 7) await waitFor('the good viewer to keep up', () => good.received.length === seq + 1)
  }
  await waitFor('all chunks at the good viewer', () => good.received.length === total)
  assert.ok(maxQueued <= softCapBytes, `queued ${maxQueued} bytes for the stuck peer`)
  assert.ok(source.stats.outboxDroppedFrames > 0, 'data frames to the stuck peer were dropped')
  // 400 × 8 KiB = 3.2 MiB were offered; at most the cap plus the stream window were accepted.
  assert.ok(source.stats.outboxDroppedBytes > 1024 * 1024)
})
