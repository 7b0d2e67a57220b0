import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import { hashId } from '../../src/overlays/i3/ids.ts'
import {
  type I3Message,
  type I3Routed,
  i3Codec,
  MAX_TTL,
  readdressed,
  withRouting,
} from '../../src/overlays/i3/messages.ts'

const peer = `12D3KooW${'x'.repeat(44)}`
const id = hashId('codec')
const other = hashId('codec', 'other')

const chunk = {
  stream: 'stream-1',
  seq: 123_456,
  sourceTime: 98_765.5,
  stripe: -1,
  size: 5,
  payload: new Uint8Array([1, 2, 3, 4, 5]),
  keyframe: true,
  auth: new Uint8Array([9, 9]),
}

/** One of every message type, with both node id kinds and both target kinds. */
const samples: I3Message[] = [
  {
    type: 'insert',
    id,
    ttl: MAX_TTL,
    origin: 7,
    target: { kind: 'host', node: 7 },
    nonce: 1,
    refresh: false,
    probe: false,
  },
  {
    type: 'insert',
    id,
    ttl: 3,
    origin: peer,
    target: { kind: 'id', id: other },
    nonce: 2 ** 40,
    refresh: true,
    probe: true,
  },
  { type: 'remove', id, ttl: 0, origin: peer, target: { kind: 'host', node: peer } },
  { type: 'remove', id, ttl: 9, origin: 3, target: { kind: 'id', id: other } },
  ...(['ok', 'full', 'limit', 'cycle', 'rejected'] as const).map(
    (result, i): I3Message => ({
      type: 'inserted',
      id,
      nonce: i,
      result,
      count: i * 3,
      server: i % 2 ? peer : 1,
    }),
  ),
  { type: 'cache', id, server: 8191 },
  { type: 'query', id, ttl: 200, origin: 4, nonce: 77, replyTo: other },
  {
    type: 'query-reply',
    id: other,
    ttl: 1,
    origin: peer,
    nonce: 77,
    member: id,
    timestamp: 1234.25,
    srcDist: -3.5,
    joinable: true,
  },
  {
    type: 'query-reply',
    id,
    ttl: 2,
    origin: 5,
    nonce: 0,
    member: other,
    timestamp: 0,
    srcDist: 0,
    joinable: false,
  },
  { type: 'refresh-ack', id, ttl: 10, origin: 2, trigger: other },
  { type: 'repair-req', id, ttl: 10, origin: 2, seq: 99, replyTo: other },
  { type: 'chunk', id, ttl: 255, origin: 0, chunk, hops: 4, repair: false },
  {
    type: 'chunk',
    id: other,
    ttl: 1,
    origin: peer,
    chunk: { ...chunk, auth: null, keyframe: false },
    hops: 0,
    repair: true,
  },
]

test('every message type round-trips, and sizeOf bounds the encoded size', () => {
  const types = new Set(samples.map((m) => m.type))
  assert.equal(types.size, 9, 'all nine message types are covered')
  for (const m of samples) {
    const bytes = i3Codec.encode(m)
    assert.deepEqual(i3Codec.decode(bytes), m)
    assert.ok(
      bytes.length <= i3Codec.sizeOf(m) + 64,
      `${m.type}: ${bytes.length} bytes vs sizeOf ${i3Codec.sizeOf(m)}`,
    )
  }
  assert.ok(i3Codec.isData(samples.find((m) => m.type === 'chunk')!))
  assert.ok(!i3Codec.isData(samples[0]!))
})

test('readdressed keeps the payload, costs one ttl and names the new origin', () => {
  const m = samples.find((s) => s.type === 'repair-req')!
  assert.ok(m.type === 'repair-req')
  assert.deepEqual(readdressed(m, other, 'server'), { ...m, id: other, ttl: m.ttl - 1, origin: 'server' })
})

test('withRouting copies every routed type whole, changing only the routing fields (and chunk hops)', () => {
  const routed = samples.filter((m): m is I3Routed => m.type !== 'inserted' && m.type !== 'cache')
  assert.equal(new Set(routed.map((m) => m.type)).size, 7)
  for (const m of routed) {
    const copy = withRouting(m, other, 17, 'srv', 2)
    const expected = {
      ...m,
      id: other,
      ttl: 17,
      origin: 'srv',
      ...(m.type === 'chunk' ? { hops: m.hops + 2 } : {}),
    }
    assert.deepEqual(copy, expected, m.type)
    assert.notEqual(copy, m)
  }
})

test('a bad target tag, an unknown insert result and trailing bytes are RemoteProtocolErrors', () => {
  const insert = i3Codec.encode(samples[0]!)
  // Target tag sits after id (33), ttl (1) and origin (numeric node id: tag + varint = 2).
  const tagAt = 2 + 33 + 1 + 2
  assert.equal(insert[tagAt], 0)
  const badTag = insert.slice()
  badTag[tagAt] = 2
  assert.throws(() => i3Codec.decode(badTag), isRemoteProtocolError)
  const inserted = i3Codec.encode(samples[4]!)
  const badResult = inserted.slice()
  badResult[2 + 33 + 1] = 5
  assert.throws(() => i3Codec.decode(badResult), isRemoteProtocolError)
  assert.throws(() => i3Codec.decode(new Uint8Array([...inserted, 0])), isRemoteProtocolError)
  const shortId = i3Codec.encode({ type: 'cache', id, server: 1 })
  shortId[2] = 31 // the id's declared length
  assert.throws(() => i3Codec.decode(shortId), isRemoteProtocolError)
})

test('random bytes never throw anything but RemoteProtocolError (fast-check)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 12 }), (body, code) => {
      try {
        i3Codec.decode(new Uint8Array([1, code, ...body]))
      } catch (err) {
        assert.ok(isRemoteProtocolError(err), String(err))
      }
    }),
    { seed: 5, numRuns: 3000 },
  )
})

test('corrupted valid frames never throw anything but RemoteProtocolError (fast-check)', () => {
  const frames = samples.map((m) => i3Codec.encode(m))
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: frames.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (which, flips, cut) => {
        const frame = frames[which]!.slice()
        for (const [at, value] of flips) frame[2 + (at % (frame.length - 2))] = value
        const bytes = cut % 3 === 0 ? frame.subarray(0, cut % frame.length) : frame
        try {
          const m = i3Codec.decode(bytes)
          assert.equal(typeof m.type, 'string')
        } catch (err) {
          assert.ok(isRemoteProtocolError(err), String(err))
        }
      },
    ),
    { seed: 6, numRuns: 5000 },
  )
})
