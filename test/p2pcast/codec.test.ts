import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError, LocalProtocolError } from '../../src/core/errors.ts'
import { Writer } from '../../src/core/wire.ts'
import { type P2PCastMessage, p2pcastCodec } from '../../src/overlays/p2pcast/index.ts'
import { MAX_BACKFILL_SEQS, TX_SPECIAL } from '../../src/overlays/p2pcast/messages.ts'

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
    { type: 'handover-done' },
    { type: 'backfill', seqs: [] },
    { type: 'backfill', seqs: [0, 1, 2, 130, 2 ** 40] },
    { type: 'probe' },
    { type: 'alive' },
  ]
  for (const m of msgs) {
    const bytes = p2pcastCodec.encode(m)
    assert.deepEqual(p2pcastCodec.decode(bytes), m)
    // The new registry-mode messages size themselves exactly (the others estimate node ids).
    if (['handover-done', 'backfill', 'probe', 'alive'].includes(m.type))
      assert.equal(p2pcastCodec.sizeOf(m), bytes.length, `${m.type}: sizeOf matches the encoding`)
  }
})

test('backfill: at most MAX_BACKFILL_SEQS ascending seqs, both ways', () => {
  const full = Array.from({ length: MAX_BACKFILL_SEQS }, (_, i) => 2 ** 50 + 7 * i)
  assert.deepEqual(p2pcastCodec.decode(p2pcastCodec.encode({ type: 'backfill', seqs: full })), {
    type: 'backfill',
    seqs: full,
  })
  const tooMany = Array.from({ length: MAX_BACKFILL_SEQS + 1 }, (_, i) => i)
  assert.throws(() => p2pcastCodec.encode({ type: 'backfill', seqs: tooMany }), LocalProtocolError)
  assert.throws(() => p2pcastCodec.encode({ type: 'backfill', seqs: [3, 3] }), LocalProtocolError)
  const code = 25
  const over = new Writer()
    .u8(1)
    .u8(code)
    .varint(MAX_BACKFILL_SEQS + 1)
  for (let i = 0; i <= MAX_BACKFILL_SEQS; i++) over.varint(1)
  assert.throws(() => p2pcastCodec.decode(over.finish()), isRemoteProtocolError)
  const repeated = new Writer().u8(1).u8(code).varint(2).varint(5).varint(0)
  assert.throws(() => p2pcastCodec.decode(repeated.finish()), isRemoteProtocolError)
})

test('a placement with more than 16 child lists is a RemoteProtocolError', () => {
  const w = new Writer().u8(1).u8(8).varint(1).u8(0).varint(0).varint(0).varint(17)
  for (let i = 0; i < 17; i++) w.varint(0)
  assert.throws(() => p2pcastCodec.decode(w.finish()), isRemoteProtocolError)
})

test('random bytes never throw anything but RemoteProtocolError (fast-check)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 2, max: 27 }), (body, code) => {
      try {
        p2pcastCodec.decode(new Uint8Array([1, code, ...body]))
      } catch (err) {
        assert.ok(isRemoteProtocolError(err), String(err))
      }
    }),
    { seed: 11, numRuns: 2000 },
  )
})
