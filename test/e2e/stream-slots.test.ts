// Regression (found by live-swarm: a viewer never rejoined after its parent crashed): a host must
// close inbound streams the peer has half-closed. libp2p keeps a half-closed stream open and counts
// it against maxInboundStreams (4), so after 4 redirect+disconnect rounds from the source (each a
// new stream, then Env.disconnect) the 5th stream was refused and the viewer's subscribes went
// unanswered forever; the control protocol (pings, address look-ups) had the same leak.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeFrame } from '../../src/net/framing.ts'
import { measureRtt } from '../../src/net/host-control.ts'
import { createLibp2pNode } from '../../src/net/libp2p-node.ts'
import { helloCodec } from '../net/fixtures/hello-overlay.ts'
import { type HelloHost, startSource, startViewer } from '../net/fixtures/hosts.ts'
import { waitUntil } from './wait.ts'

const hosts: HelloHost[] = []
const raws: Libp2p[] = []
after(async () => {
  await Promise.all([...hosts.map((h) => h.stop(false)), ...raws.map((r) => r.stop())])
})

const ROUNDS = 8 // twice the per-connection limit of 4

test('a peer can open, use and half-close streams to a host again and again on one connection', async () => {
  const { host: source } = await startSource()
  const viewer = await startViewer(source)
  hosts.push(source, viewer)
  const peer = await createLibp2pNode({ privateKey: await generateKeyPair('Ed25519') })
  raws.push(peer)
  const addr = multiaddr(viewer.addrs()[0]!)
  const framesBefore = viewer.stats.framesIn
  for (let i = 0; i < ROUNDS; i++) {
    const stream = await peer.dialProtocol(addr, viewer.protocolId, { signal: AbortSignal.timeout(5000) })
    stream.send(encodeFrame(helloCodec.encode({ type: 'note', text: `round ${i}` })))
    await stream.close()
    await waitUntil(`frame ${i + 1} at the host`, () => viewer.stats.framesIn === framesBefore + i + 1, 5000)
  }
  assert.equal(peer.getConnections().length, 1, 'every round used the same connection')
  assert.equal(viewer.stats.remoteErrors, 0)
  // The control protocol: each measureRtt opens a stream, pings, and half-closes it.
  for (let i = 0; i < ROUNDS; i++) {
    const sample = await measureRtt(peer, peerIdFromString(viewer.peerId), 5000, Date.now, 1)
    assert.ok(sample.rttMs >= 0, `ping ${i + 1}`)
  }
})
