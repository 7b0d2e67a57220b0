// NetHost in the 'server' role and end hosts that know servers (what the i3 overlay runs on),
// with a tiny stand-in overlay: end hosts say hello to their nearest server, the source sends
// chunks to its nearest server, and a server forwards every chunk to every host that said hello
// and to its fellow servers. No i3 logic: this pins down the host's part.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MessageCodec } from '../../src/core/codec.ts'
import type { NodeId } from '../../src/core/ids.ts'
import type { NodeContext, Overlay } from '../../src/core/protocol.ts'
import { NetHost, type NetHostOptions } from '../../src/net/host.ts'
import { nodeSigningKey } from '../../src/net/identity.ts'
import { createChunkSigner } from '../../src/stream/auth.ts'
import { type ChunkMessage, chunkMessageSpec } from '../../src/stream/chunk.ts'
import { makeChunk } from './fixtures/hosts.ts'
import { waitFor } from './fixtures/wait.ts'

type Msg = { readonly type: 'hello' } | ChunkMessage

const codec = new MessageCodec<Msg>('relay', 1, {
  chunk: chunkMessageSpec(1),
  hello: { code: 2, maxBytes: 8, encode: () => {}, decode: () => ({ type: 'hello' }) },
})

/** The NodeContext each node was created with, by PeerId. */
const contexts = new Map<string, NodeContext>()

const relayOverlay: Overlay<Msg, Record<string, never>> = {
  name: 'relay-test',
  codec,
  parseParams: () => ({}),
  createNode(env, ctx) {
    contexts.set(String(env.self), ctx)
    const hosts = new Set<NodeId>()
    const nearest = () => ctx.servers![0]!
    return {
      start() {
        if (ctx.role !== 'server') env.send(nearest(), { type: 'hello' })
      },
      onMessage(_now, from, msg) {
        if (msg.type === 'hello') hosts.add(from)
        else if (ctx.role === 'server') {
          for (const h of hosts) if (h !== from) env.send(h, { ...msg, hops: msg.hops + 1 })
          const fromServer = ctx.servers!.includes(from)
          if (!fromServer) for (const s of ctx.servers!) if (s !== env.self) env.send(s, msg)
        } else env.deliver(msg.chunk, msg.hops)
      },
      onTimer() {},
      publish(_now, chunk) {
        env.send(nearest(), { type: 'chunk', chunk, hops: 0 })
      },
      leave() {},
      topology: () => ({ parents: [], children: [...hosts], connected: true, maxChildren: 0 }),
    }
  },
}

const running: NetHost<Msg, Record<string, never>>[] = []
after(async () => {
  await Promise.all(running.map((h) => h.stop(false)))
})

type Extra = Partial<NetHostOptions<Msg, Record<string, never>>>

async function startServer(extra: Extra = {}) {
  const host = await NetHost.create({
    overlay: relayOverlay,
    params: {},
    role: 'server',
    streamKbps: 0,
    privateKey: await generateKeyPair('Ed25519'),
    pingIntervalMs: 0,
    onError: () => {},
    ...extra,
  })
  await host.start()
  running.push(host)
  return host
}

async function startEndHost(role: 'source' | 'viewer', streamId: string | undefined, extra: Extra) {
  const privateKey = await generateKeyPair('Ed25519')
  const received: number[] = []
  const host = await NetHost.create({
    overlay: relayOverlay,
    params: {},
    role,
    streamId: streamId ?? peerIdFromPrivateKey(privateKey).toString(),
    streamKbps: 1000,
    privateKey,
    pingIntervalMs: 0,
    onDeliver: (chunk) => received.push(chunk.seq),
    onError: () => {},
    ...extra,
  })
  running.push(host)
  await host.start()
  return Object.assign(host, { received })
}

test('a server forwards chunks of any stream unverified, over the connections end hosts opened', async () => {
  const server = await startServer()
  const addr = server.addrs()[0]!
  const source = await startEndHost('source', undefined, { servers: [addr] })
  // The viewer listens nowhere: the server can reach it only over the connection it opened.
  const viewer = await startEndHost('viewer', source.peerId, { servers: [addr], listen: [] })
  assert.deepEqual(viewer.addrs(), [])
  await waitFor('both end hosts say hello', () => server.topology().children.length === 2)

  const forger = createChunkSigner(nodeSigningKey(await generateKeyPair('Ed25519')))
  source.publish(makeChunk(source.peerId, 0))
  source.publish(forger(makeChunk(source.peerId, 1)))
  source.publish(makeChunk(source.peerId, 2))
  await waitFor('chunk 2 at the viewer', () => viewer.received.includes(2))
  // The server has no stream key: it checks nothing and passes the forgery on...
  assert.equal(server.stats.chunksVerified, 0)
  assert.equal(server.stats.chunksRejected, 0)
  assert.equal(server.stats.framesIn >= 4, true)
  // ...and the end host, which verifies every chunk, drops it.
  assert.deepEqual(viewer.received, [0, 2])
  assert.equal(viewer.stats.chunksRejected, 1)
  assert.equal(viewer.stats.chunksVerified, 2)
  assert.equal(server.sourceClockOffsetMs, null)
  assert.deepEqual(contexts.get(server.peerId)?.servers, [server.peerId])
  assert.equal(contexts.get(server.peerId)?.role, 'server')
})

test("end hosts get their servers nearest first (emulated delays count), every server's address, and the stream clock", async () => {
  // The servers' clocks run 60 s ahead of ours: the stream clock is the first server's.
  const ahead = () => Date.now() + 60_000
  const servers = [await startServer({ clock: ahead }), await startServer(), await startServer()]
  const addrs = servers.map((s) => s.addrs()[0]!)
  const ring = servers.map((s) => s.peerId)
  // Each server knows the others (a static ring): its context lists itself first, then the rest.
  // One list naming every server, itself included, may be given to all: a server skips itself.
  const key = await generateKeyPair('Ed25519')
  const self = peerIdFromPrivateKey(key).toString()
  const peerServer = await startServer({
    privateKey: key,
    servers: [...addrs, `/ip4/127.0.0.1/tcp/1/p2p/${self}`],
  })
  assert.deepEqual(contexts.get(peerServer.peerId)?.servers, [self, ...ring])

  const delayTo = new Map([
    [ring[0]!, 40],
    [ring[1]!, 25],
    [ring[2]!, 5],
  ])
  const linkProfile = (peer: string) => {
    const delayMs = delayTo.get(peer)
    return delayMs === undefined ? undefined : { delayMs, jitterMs: 0, loss: 0, uploadKbps: Infinity }
  }
  const source = await startEndHost('source', undefined, { servers: addrs, linkProfile })
  assert.deepEqual(source.servers, [ring[2], ring[1], ring[0]])
  assert.deepEqual(contexts.get(source.peerId)?.servers, [ring[2], ring[1], ring[0]])
  // The source adopts the first listed server's clock before its protocol starts...
  assert.equal(source.clockReference, addrs[0])
  assert.ok(Math.abs(source.sourceClockOffsetMs! - 60_000) < 1000, String(source.sourceClockOffsetMs))
  assert.ok(Math.abs(source.now() - ahead()) < 1000)
  // ...and a viewer measures its offset to the same server (measureWhileJoining: its own clock stays).
  const viewer = await startEndHost('viewer', source.peerId, {
    servers: addrs,
    linkProfile,
    measureWhileJoining: true,
  })
  assert.equal(viewer.clockReference, addrs[0])
  assert.ok(Math.abs(viewer.sourceClockOffsetMs! - 60_000) < 1000, String(viewer.sourceClockOffsetMs))
  assert.ok(Math.abs(viewer.now() - Date.now()) < 1000)

  // A viewer never connected to servers[0] can still reach it: its address is in the address book.
  await waitFor('hello at the nearest server', () => servers[2]!.topology().children.length === 2)
  source.publish(makeChunk(source.peerId, 0))
  await waitFor('the chunk at the viewer', () => viewer.received.includes(0))
})

test('an end host whose servers all fail to answer stops with one readable error', async () => {
  const dead = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const addr = `/ip4/127.0.0.1/tcp/1/p2p/${dead}`
  const privateKey = await generateKeyPair('Ed25519')
  const viewerWith = (servers: string[]) =>
    NetHost.create({
      overlay: relayOverlay,
      params: {},
      role: 'viewer',
      streamId: dead,
      streamKbps: 1000,
      privateKey,
      servers,
      dialTimeoutMs: 2000,
      pingIntervalMs: 0,
      onError: () => {},
    })
  const host = await viewerWith([addr])
  await assert.rejects(host.start(), (e: Error) =>
    e.message.startsWith(`Cannot join the stream: none of its rendezvous servers answered: ${addr} (`),
  )
  assert.equal(host.node, undefined)
  // A malformed server address is a local mistake, caught before anything listens.
  await assert.rejects(
    viewerWith(['/ip4/127.0.0.1/tcp/1']),
    /server address \/ip4\/127.0.0.1\/tcp\/1 has no \/p2p\/<PeerId>/,
  )
})
