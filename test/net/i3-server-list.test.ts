import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { parseServerAddrs, rankServers, type ServerProbe } from '../../src/net/server-list.ts'

const ids = await Promise.all(
  [0, 1, 2, 3].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()),
)
const addrs = ids.map((id, i) => `/ip4/10.0.0.${i + 1}/tcp/9100/p2p/${id}`)

test('server addresses: the PeerId from /p2p, the transport part for the address book', () => {
  const [first] = parseServerAddrs([addrs[0]!])
  assert.equal(first!.peer.toString(), ids[0])
  assert.equal(first!.transport.toString(), '/ip4/10.0.0.1/tcp/9100')
  assert.throws(() => parseServerAddrs(['nonsense']), /server address "nonsense" is not a multiaddr: /)
  assert.throws(
    () => parseServerAddrs(['/ip4/1.2.3.4/tcp/1']),
    /server address \/ip4\/1.2.3.4\/tcp\/1 has no \/p2p\/<PeerId>/,
  )
})

test('ranking: answered servers by RTT (ties keep the given order), silent ones last in the given order', () => {
  const servers = parseServerAddrs(addrs)
  const probe = (i: number, rttMs: number | undefined): ServerProbe => ({
    server: servers[i]!,
    rttMs,
    clockOffsetMs: rttMs === undefined ? undefined : 0,
  })
  const ranked = rankServers([probe(0, undefined), probe(1, 30), probe(2, 5), probe(3, 30)])
  assert.deepEqual(
    ranked.map((p) => p.server.addr),
    [addrs[2], addrs[1], addrs[3], addrs[0]],
  )
  const silent = rankServers([probe(3, undefined), probe(1, undefined)])
  assert.deepEqual(
    silent.map((p) => p.server.addr),
    [addrs[3], addrs[1]],
  )
})
