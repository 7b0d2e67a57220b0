import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import { Writer } from '../../src/core/wire.ts'
import { type P2PCastMessage, p2pcastCodec } from '../../src/overlays/p2pcast/index.ts'
import { TX_SPECIAL } from '../../src/overlays/p2pcast/messages.ts'

const peer = (i: number) => `12D3KooW${String(i).padStart(44, 'x')}`

test('every control message round-trips', () => {
  const place = { version: 7, parents: [0, peer(1)], children: [[peer(2), 3], ['p2pcast:special']] }
  const msgs: P2PCastMessage[] = [
    { type: 'join' },
    { type: 'delete', node: peer(4) },
    { type: 'update', member: true, ...place },
    { type: 'update', member: false, version: 9, parents: [], children: [] },
    { type: 'heartbeat' },
    { type: 'contact', node: 'p2pcast:special' },
    { type: 'search', tx: 12, flags: TX_SPECIAL },
    { type: 'state', tx: 12, flags: 0, ...place },
    { type: 'state', tx: 1, flags: 0, version: 0, parents: [], children: [[5], [5]] },
    { type: 'hold', tx: 3, flags: 0, version: 7 },
    { type: 'vote', tx: 3, flags: 0, ok: true },
    { type: 'commit', tx: 3, flags: TX_SPECIAL },
    { type: 'ack', tx: 3, flags: 0 },
    { type: 'abort', tx: 3, flags: 0 },
    { type: 'leaving' },
    { type: 'joined' },
  ]
  for (const m of msgs) assert.deepEqual(p2pcastCodec.decode(p2pcastCodec.encode(m)), m)
})

test('a placement with more than 16 child lists is a RemoteProtocolError', () => {
  const w = new Writer().u8(1).u8(8).varint(1).u8(0).varint(0).varint(0).varint(17)
  for (let i = 0; i < 17; i++) w.varint(0)
  assert.throws(() => p2pcastCodec.decode(w.finish()), isRemoteProtocolError)
})

test('random bytes never throw anything but RemoteProtocolError (fast-check)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 2, max: 15 }), (body, code) => {
      try {
        p2pcastCodec.decode(new Uint8Array([1, code, ...body]))
      } catch (err) {
        assert.ok(isRemoteProtocolError(err), String(err))
      }
    }),
    { seed: 11, numRuns: 2000 },
  )
})
