import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { formatStreamUri, parseStreamUri, type StreamUri } from '../../src/net/stream-uri.ts'

const key = await generateKeyPair('Ed25519')
const id = peerIdFromPrivateKey(key).toString()
const addr = `/ip4/127.0.0.1/tcp/4001/p2p/${id}`
const good = `peercaster://${id}?overlay=spreadit&kbps=800&rate=4&bootstrap=${addr}`

test('a stream URI parses into its fields', () => {
  const uri = parseStreamUri(
    `${good}&bootstrap=/dns4/example.org/tcp/443/wss/p2p/${id}&fanout=4&policy=hybrid`,
  )
  assert.equal(uri.streamId, id)
  assert.equal(uri.overlay, 'spreadit')
  assert.equal(uri.kbps, 800)
  assert.equal(uri.chunkRateHz, 4)
  assert.equal(uri.keyframeEveryChunks, 1)
  assert.equal(uri.bootstrap.length, 2)
  assert.deepEqual(uri.params, { fanout: 4, policy: 'hybrid' })
})

test('parse errors name the field', () => {
  const cases: [string, RegExp][] = [
    ['http://x', /must start with peercaster:\/\//],
    ['peercaster://?overlay=spreadit', /: missing stream id$/],
    [`peercaster://abc?overlay=spreadit&kbps=1&rate=1`, /stream id "abc" is not a PeerId/],
    [`peercaster://${id}?kbps=1&rate=1`, /missing overlay \(known: spreadit, p2pcast, i3, mesh, doat\)/],
    [`peercaster://${id}?overlay=foo&kbps=1&rate=1`, /unknown overlay "foo" \(known: spreadit, p2pcast/],
    [`peercaster://${id}?overlay=mesh&rate=1`, /missing kbps/],
    [`peercaster://${id}?overlay=mesh&kbps=-3&rate=1`, /kbps must be a positive number, got "-3"/],
    [`${good}&bootstrap=not-a-multiaddr`, /bootstrap\[1\] is not a multiaddr: /],
    [
      `${good}&bootstrap=/ip4/1.2.3.4/tcp/1`,
      /bootstrap\[1\] "\/ip4\/1.2.3.4\/tcp\/1" has no \/p2p\/<PeerId> part/,
    ],
    [`${good}&fanout=1&fanout=2`, /overlay parameter fanout given more than once/],
    [`${good}&__proto__=1`, /overlay parameter name "__proto__"/],
  ]
  for (const [text, why] of cases) {
    assert.throws(
      () => parseStreamUri(text),
      (e: Error) =>
        e.name === 'StreamUriError' &&
        e.message.startsWith(`Cannot parse stream URI "${text}"`) &&
        why.test(e.message),
      text,
    )
  }
})

test('format then parse is the identity (fast-check)', () => {
  const paramName = fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,10}$/)
    .filter((k) => !['overlay', 'kbps', 'rate', 'keyframe', 'bootstrap'].includes(k))
  const paramValue = fc.oneof(
    fc.integer({ min: -1000, max: 1000 }),
    fc.boolean(),
    fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((s) => Number.isNaN(Number(s)) && s !== 'true' && s !== 'false'),
  )
  const bootstrapAddr = fc
    .tuple(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('', '/ws'))
    .map(([port, ws]) => `/ip4/10.0.0.1/tcp/${port}${ws}/p2p/${id}`)
  fc.assert(
    fc.property(
      fc.record({
        overlay: fc.constantFrom('spreadit', 'p2pcast', 'i3', 'mesh', 'doat'),
        kbps: fc.integer({ min: 1, max: 100_000 }),
        chunkRateHz: fc.constantFrom(1, 4, 25, 12.5),
        keyframeEveryChunks: fc.integer({ min: 1, max: 100 }),
        bootstrap: fc.array(bootstrapAddr, { maxLength: 4 }),
        params: fc.dictionary(paramName, paramValue, { maxKeys: 4 }),
      }),
      (fields) => {
        const uri: StreamUri = { streamId: id, ...fields, params: { ...fields.params } }
        assert.deepEqual(parseStreamUri(formatStreamUri(uri)), uri)
      },
    ),
    { seed: 42, numRuns: 200 },
  )
})
