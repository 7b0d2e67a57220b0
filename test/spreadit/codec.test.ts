import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import { Writer } from '../../src/core/wire.ts'
import { type SpreadItMessage, spreaditCodec } from '../../src/overlays/spreadit/index.ts'
import { MAX_PATH_IDS } from '../../src/overlays/spreadit/messages.ts'

const peerId = (i: number) => `12D3KooW${String(i).padStart(44, 'x')}`

test('every control message round-trips', () => {
  const msgs: SpreadItMessage[] = [
    { type: 'subscribe', locator: [1.5, -2, 3], uploadKbps: Number.POSITIVE_INFINITY, avoid: [4, peerId(9)] },
    { type: 'accept', path: [0, 7, 300000] },
    { type: 'redirect', target: peerId(3), cascade: true, deadEnd: false },
    { type: 'redirect', target: 5, cascade: false, deadEnd: true },
    { type: 'unsubscribe' },
    { type: 'heartbeat' },
    { type: 'path', path: [peerId(1), peerId(2)] },
  ]
  for (const m of msgs) assert.deepEqual(spreaditCodec.decode(spreaditCodec.encode(m)), m)
})

test('the longest legal path of PeerId strings fits its size limit', () => {
  const path = Array.from({ length: MAX_PATH_IDS }, (_, i) => peerId(i))
  const bytes = spreaditCodec.encode({ type: 'path', path })
  assert.deepEqual(spreaditCodec.decode(bytes), { type: 'path', path })
})

test('a path longer than the bound is a RemoteProtocolError', () => {
  // Write the frame by hand: the length prefix is what a hostile peer controls.
  const w = new Writer()
    .u8(1)
    .u8(7)
    .varint(MAX_PATH_IDS + 1)
  for (let i = 0; i <= MAX_PATH_IDS; i++) w.nodeId(i)
  assert.throws(
    () => spreaditCodec.decode(w.finish()),
    (e) => isRemoteProtocolError(e) && /exceeds limit/.test(e.message),
  )
})

test('subscribe with a NaN or negative capacity is rejected', () => {
  for (const uploadKbps of [Number.NaN, -1]) {
    const bytes = spreaditCodec.encode({ type: 'subscribe', locator: [], uploadKbps, avoid: [] })
    assert.throws(() => spreaditCodec.decode(bytes), isRemoteProtocolError)
  }
})

test('sizeOf matches the encoded size for numeric ids within the NODE_ID allowance', () => {
  const m: SpreadItMessage = { type: 'subscribe', locator: [1, 2], uploadKbps: 800, avoid: [] }
  assert.equal(spreaditCodec.sizeOf(m), spreaditCodec.encode(m).length)
  assert.equal(spreaditCodec.sizeOf({ type: 'heartbeat' }), 2)
  assert.ok(
    spreaditCodec.sizeOf({ type: 'path', path: [1, 2, 3] }) >=
      spreaditCodec.encode({ type: 'path', path: [1, 2, 3] }).length,
  )
  assert.equal(spreaditCodec.isData({ type: 'heartbeat' }), false)
})

test('random bytes never throw anything but RemoteProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 7 }), (bytes, code) => {
      const frame = new Uint8Array(bytes.length + 2)
      frame[0] = 1
      frame[1] = code
      frame.set(bytes, 2)
      try {
        spreaditCodec.decode(frame)
      } catch (e) {
        if (!isRemoteProtocolError(e)) throw e
      }
    }),
    { seed: 11, numRuns: 3000 },
  )
})
