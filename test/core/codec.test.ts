import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { MessageCodec } from '../../src/core/codec.ts'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import { type ChunkMessage, chunkMessageSpec } from '../../src/stream/chunk.ts'

interface Ping {
  readonly type: 'ping'
  readonly ids: readonly (number | string)[]
}
type TestMsg = Ping | ChunkMessage

const codec = new MessageCodec<TestMsg>('test', 1, {
  chunk: chunkMessageSpec(1),
  ping: {
    code: 2,
    maxBytes: 200,
    encode: (w, m) => {
      w.varint(m.ids.length)
      for (const id of m.ids) w.nodeId(id)
    },
    decode: (r) => ({ type: 'ping', ids: r.array(4, (rr) => rr.nodeId()) }),
  },
})

test('chunk message round-trips', () => {
  const payload = new Uint8Array([1, 2, 3, 4, 5])
  const msg: ChunkMessage = {
    type: 'chunk',
    hops: 3,
    chunk: {
      stream: 'abc',
      seq: 42,
      sourceTime: 1234.5,
      stripe: -1,
      size: 5,
      payload,
      keyframe: true,
      auth: new Uint8Array([9, 9]),
    },
  }
  const decoded = codec.decode(codec.encode(msg)) as ChunkMessage
  assert.equal(decoded.hops, 3)
  assert.equal(decoded.chunk.seq, 42)
  assert.equal(decoded.chunk.sourceTime, 1234.5)
  assert.equal(decoded.chunk.stripe, -1)
  assert.equal(decoded.chunk.keyframe, true)
  assert.deepEqual([...decoded.chunk.payload!], [1, 2, 3, 4, 5])
  assert.deepEqual([...decoded.chunk.auth!], [9, 9])
})

test('a collection longer than its bound is a RemoteProtocolError', () => {
  const bytes = codec.encode({ type: 'ping', ids: [1, 2, 3, 4] })
  bytes[2] = 5 // claim five ids where the bound is four
  assert.throws(
    () => codec.decode(bytes),
    (e) => isRemoteProtocolError(e) && /exceeds limit 4/.test(e.message),
  )
})

test('encoding past a message type limit is a LocalProtocolError', () => {
  assert.throws(
    () =>
      codec.encode({ type: 'ping', ids: ['x'.repeat(60), 'y'.repeat(60), 'z'.repeat(60), 'w'.repeat(60)] }),
    (e: Error) => e.name === 'LocalProtocolError',
  )
})

test('random bytes never throw anything but RemoteProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        codec.decode(bytes)
      } catch (e) {
        if (!isRemoteProtocolError(e)) throw e
      }
    }),
    { seed: 7, numRuns: 5000 },
  )
})
