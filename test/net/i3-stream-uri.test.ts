import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { formatStreamUri, parseStreamUri, requiredServers, type StreamUri } from '../../src/net/stream-uri.ts'

const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const server = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const rv = (port: number) => `/ip4/10.0.0.${port % 200}/tcp/${port}/p2p/${server}`

test('an i3 URI carries its rendezvous servers, in order, and no bootstrap address', () => {
  const uri: StreamUri = {
    streamId: id,
    overlay: 'i3',
    kbps: 400,
    chunkRateHz: 4,
    keyframeEveryChunks: 4,
    bootstrap: [],
    rendezvous: [rv(9100), rv(9101), rv(9102)],
    params: { maxTriggersPerId: 4 },
  }
  const text = formatStreamUri(uri)
  assert.match(text, /rendezvous=\/ip4\/10\.0\.0\.100\/tcp\/9100\/p2p\//)
  assert.doesNotMatch(text, /bootstrap=/)
  const parsed = parseStreamUri(text)
  assert.deepEqual(parsed, uri)
  assert.deepEqual(requiredServers(parsed, text), [rv(9100), rv(9101), rv(9102)])
})

test('rendezvous errors name the field', () => {
  const base = `peercaster://${id}?overlay=i3&kbps=400&rate=4`
  const cases: [string, RegExp][] = [
    [`${base}&rendezvous=${rv(1)}&rendezvous=nonsense`, /: rendezvous\[1\] is not a multiaddr: /],
    [
      `${base}&rendezvous=/ip4/1.2.3.4/tcp/9100`,
      /: rendezvous\[0\] "\/ip4\/1.2.3.4\/tcp\/9100" has no \/p2p\/<PeerId> part/,
    ],
    [
      `peercaster://${id}?overlay=spreadit&kbps=400&rate=4&rendezvous=${rv(1)}`,
      /: rendezvous servers are for overlay i3 only, not spreadit$/,
    ],
    [`${base}${`&rendezvous=${rv(1)}`.repeat(17)}`, /: 17 rendezvous addresses, at most 16/],
  ]
  for (const [text, why] of cases) {
    assert.throws(
      () => parseStreamUri(text),
      (e: Error) =>
        e.name === 'StreamUriError' &&
        e.message.startsWith(`Cannot parse stream URI "${text}": `) &&
        why.test(e.message),
      text,
    )
  }
})

test('an i3 URI without rendezvous servers parses, but cannot be joined: the error says what is missing', () => {
  const text = `peercaster://${id}?overlay=i3&kbps=400&rate=4`
  const uri = parseStreamUri(text)
  assert.equal(uri.rendezvous, undefined)
  assert.throws(
    () => requiredServers(uri, text),
    (e: Error) =>
      e.name === 'StreamUriError' &&
      e.message ===
        `Cannot parse stream URI "${text}": overlay i3 needs at least one rendezvous=<multiaddr> (its rendezvous servers)`,
  )
  // Other overlays need none.
  const spreadit = `peercaster://${id}?overlay=spreadit&kbps=400&rate=4`
  assert.deepEqual(requiredServers(parseStreamUri(spreadit), spreadit), [])
})
