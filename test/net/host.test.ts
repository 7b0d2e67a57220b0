import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { NetHost } from '../../src/net/host.ts'
import { nodeSigningKey } from '../../src/net/identity.ts'
import { createChunkSigner } from '../../src/stream/auth.ts'
import { helloOverlay } from './fixtures/hello-overlay.ts'
import { type HelloHost, makeChunk, startSource, startViewer } from './fixtures/hosts.ts'
import { waitFor } from './fixtures/wait.ts'

const running: HelloHost[] = []
after(async () => {
  await Promise.all(running.map((h) => h.stop(false)))
})

async function waitForHello(source: HelloHost, n: number): Promise<void> {
  await waitFor(`${n} hellos at the source`, () => source.topology().children.length >= n)
}

test('two hosts: a viewer receives every chunk verified and in order', async () => {
  const { host: source } = await startSource()
  running.push(source)
  const viewer = await startViewer(source)
  running.push(viewer)
  await waitForHello(source, 1)
  for (let seq = 0; seq < 50; seq++) source.publish(makeChunk(source.peerId, seq))
  await waitFor('50 chunks', () => viewer.received.length >= 50)
  assert.deepEqual(
    viewer.received.map((r) => r.seq),
    Array.from({ length: 50 }, (_, i) => i),
  )
  assert.equal(viewer.stats.chunksVerified, 50)
  assert.equal(viewer.stats.chunksRejected, 0)
  assert.ok(source.stats.dataBytesOut > 50 * 1000)
})

test('six hosts: a relay chain and a star deliver in order, addresses found through a peer', async () => {
  const { host: source } = await startSource()
  running.push(source)
  const stars = await Promise.all([0, 1, 2].map(() => startViewer(source)))
  running.push(...stars)
  await waitForHello(source, 3)
  // Two viewers hang below stars[0]; they only know its PeerId, so they must ask the source for its addrs.
  const relayed = await Promise.all(
    [0, 1].map(() => startViewer(source, { params: { parent: stars[0]!.peerId } })),
  )
  running.push(...relayed)
  await waitFor('two children at the relay', () => stars[0]!.topology().children.length === 2)
  for (let seq = 0; seq < 30; seq++) source.publish(makeChunk(source.peerId, seq))
  for (const v of [...stars, ...relayed]) {
    await waitFor('30 chunks', () => v.received.length >= 30)
    assert.deepEqual(
      v.received.map((r) => r.seq),
      Array.from({ length: 30 }, (_, i) => i),
    )
  }
  assert.ok(relayed.every((v) => v.received.every((r) => r.hops === 2)))
  assert.ok(relayed.every((v) => v.stats.addrLookups === 1))
  assert.ok(stars.every((v) => v.received.every((r) => r.hops === 1)))
})

test('a forged chunk (wrong key) or a tampered one is dropped and counted, never delivered', async () => {
  const { host: source } = await startSource()
  running.push(source)
  const viewer = await startViewer(source)
  running.push(viewer)
  await waitForHello(source, 1)
  const impostor = createChunkSigner(nodeSigningKey(await generateKeyPair('Ed25519')))
  source.publish(impostor(makeChunk(source.peerId, 0)))
  const good = source.publish(makeChunk(source.peerId, 1))
  const tampered = { ...good, seq: 2 }
  source.publish(tampered)
  source.publish(makeChunk(source.peerId, 3))
  await waitFor('the last good chunk', () => viewer.received.some((r) => r.seq === 3))
  assert.deepEqual(
    viewer.received.map((r) => r.seq),
    [1, 3],
  )
  assert.equal(viewer.stats.chunksRejected, 2)
})

test('an unreachable bootstrap gives a clear error', async () => {
  const key = await generateKeyPair('Ed25519')
  const absent = await generateKeyPair('Ed25519')
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const absentId = peerIdFromPrivateKey(absent).toString()
  const viewer = await NetHost.create({
    overlay: helloOverlay,
    params: {},
    role: 'viewer',
    streamId: absentId,
    streamKbps: 1000,
    privateKey: key,
    bootstrap: [`/ip4/127.0.0.1/tcp/1/p2p/${absentId}`],
    dialTimeoutMs: 3000,
  })
  await assert.rejects(
    viewer.start(),
    /Cannot reach any bootstrap peer of the stream: \/ip4\/127\.0\.0\.1\/tcp\/1/,
  )
})

test('WebSockets transport: a viewer joins through a /ws bootstrap address', async () => {
  const { host: source } = await startSource({ listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
  running.push(source)
  const wsAddr = source.addrs().find((a) => a.includes('/ws/'))
  assert.ok(wsAddr, `a /ws listen address in ${source.addrs().join(', ')}`)
  const viewer = await startViewer(source, { bootstrap: [wsAddr] })
  running.push(viewer)
  await waitForHello(source, 1)
  for (let seq = 0; seq < 5; seq++) source.publish(makeChunk(source.peerId, seq))
  await waitFor('5 chunks over WebSockets', () => viewer.received.length === 5)
})

test('a message to a PeerId nobody can locate fails its dial and is counted, not thrown', async () => {
  const { host: source } = await startSource()
  running.push(source)
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const nowhere = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const viewer = await startViewer(source, { params: { parent: nowhere } })
  running.push(viewer)
  await waitFor('the failed dial', () => viewer.stats.dialFailures === 1)
  assert.equal(viewer.stats.addrLookups, 0)
  assert.equal(viewer.stats.protocolErrors, 0)
  assert.equal(source.topology().children.length, 0, 'the hello went nowhere')
})

test("a viewer estimates the source's clock offset and runs its protocol on the source's timeline", async () => {
  const skew = 10_000
  const { host: source } = await startSource({ clock: () => Date.now() + skew })
  running.push(source)
  const viewer = await startViewer(source)
  running.push(viewer)
  const offset = viewer.sourceClockOffsetMs
  assert.ok(offset !== null && Math.abs(offset - skew) < 250, `estimated offset ${offset}`)
  assert.ok(Math.abs(viewer.now() - source.now()) < 250)
})

test('a message sent just before Env.disconnect still reaches the peer (graceful leave)', async () => {
  const { host: source } = await startSource()
  running.push(source)
  const viewer = await startViewer(source)
  await waitForHello(source, 1)
  await viewer.stop(true)
  await waitFor('the goodbye', () => source.topology().children.length === 0)
})
