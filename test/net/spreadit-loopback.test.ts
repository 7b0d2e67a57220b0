import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { NetHost } from '../../src/net/host.ts'
import { type SpreadItMessage, type SpreadItParams, spreadit } from '../../src/overlays/spreadit/index.ts'
import { makeChunk } from './fixtures/hosts.ts'
import { waitFor } from './fixtures/wait.ts'

const hosts: NetHost<SpreadItMessage, SpreadItParams>[] = []
after(async () => {
  await Promise.all(hosts.map((h) => h.stop(false)))
})

test('SpreadIt over loopback: a source and 8 viewers build a tree (2 children each) and all play', async () => {
  const params = spreadit.parseParams({ maxChildren: 2 })
  const key = await generateKeyPair('Ed25519')
  const streamId = peerIdFromPrivateKey(key).toString()
  const common = {
    overlay: spreadit,
    params,
    streamId,
    streamKbps: 1000,
    pingIntervalMs: 0,
    onError: () => {},
  }
  const source = await NetHost.create({ ...common, role: 'source', privateKey: key, seed: 1 })
  hosts.push(source)
  await source.start()
  const received = new Map<string, { seq: number; hops: number }[]>()
  const viewers: NetHost<SpreadItMessage, SpreadItParams>[] = []
  for (let i = 0; i < 8; i++) {
    const log: { seq: number; hops: number }[] = []
    const viewer = await NetHost.create({
      ...common,
      role: 'viewer',
      privateKey: await generateKeyPair('Ed25519'),
      bootstrap: [source.addrs()[0]!],
      seed: 100 + i,
      onDeliver: (chunk, hops) => log.push({ seq: chunk.seq, hops }),
    })
    hosts.push(viewer)
    viewers.push(viewer)
    received.set(viewer.peerId, log)
    await viewer.start()
  }
  await waitFor('every viewer to hold a parent', () => viewers.every((v) => v.topology().connected), 20_000)
  assert.ok(source.topology().children.length <= 2)
  const total = 20
  for (let seq = 0; seq < total; seq++) source.publish(makeChunk(streamId, seq, 2000))
  for (const v of viewers) {
    const log = received.get(v.peerId)!
    await waitFor(`${total} chunks at ${v.peerId}`, () => log.length >= total, 20_000)
    assert.deepEqual(
      log.map((r) => r.seq),
      Array.from({ length: total }, (_, i) => i),
    )
    assert.equal(v.stats.chunksRejected, 0)
  }
  const maxHops = Math.max(...viewers.flatMap((v) => received.get(v.peerId)!.map((r) => r.hops)))
  assert.ok(maxHops >= 3, `a tree of fan-out 2 over 8 viewers is at least 3 deep (max hops ${maxHops})`)
  assert.ok(
    viewers.some((v) => v.stats.addrLookups > 0),
    'redirect targets were found through peers',
  )
})
