import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import { encodeFrame, FrameDecoder } from '../../src/net/framing.ts'
import { Outbox } from '../../src/net/outbox.ts'

test('frames survive any split of the byte stream (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (bodies, cuts) => {
        const wire = Buffer.concat(bodies.map(encodeFrame))
        const decoder = new FrameDecoder(300)
        const out: Uint8Array[] = []
        let at = 0
        for (let i = 0; at < wire.length; i++) {
          const n = cuts[i % cuts.length]!
          out.push(...decoder.push(wire.subarray(at, at + n)))
          at += n
        }
        assert.deepEqual(
          out.map((b) => [...b]),
          bodies.map((b) => [...b]),
        )
        assert.equal(decoder.bufferedBytes, 0)
      },
    ),
    { seed: 1, numRuns: 300 },
  )
})

test('an oversized or endless length prefix is a RemoteProtocolError', () => {
  assert.throws(
    () => new FrameDecoder(100).push(encodeFrame(new Uint8Array(101)).subarray(0, 1)),
    (e) => isRemoteProtocolError(e) && /101 bytes exceeds limit 100/.test(e.message),
  )
  assert.throws(
    () => new FrameDecoder(100).push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    (e) => isRemoteProtocolError(e) && /prefix/.test(e.message),
  )
})

const bytes = (n: number, tag = 0) => new Uint8Array(n).fill(tag)

test('outbox: data is dropped oldest-first at the soft cap, control kept until the hard cap', () => {
  const box = new Outbox({ softCapBytes: 1000, hardCapBytes: 2000 })
  for (let i = 0; i < 10; i++)
    assert.deepEqual(box.enqueue({ bytes: bytes(100, i), data: true }), {
      ok: true,
      droppedData: 0,
      droppedBytes: 0,
    })
  assert.deepEqual(box.enqueue({ bytes: bytes(100, 10), data: true }), {
    ok: true,
    droppedData: 1,
    droppedBytes: 100,
  })
  assert.equal(box.peek()!.bytes[0], 1, 'the oldest data frame went')
  // Control frames push data out, then fill up to the hard cap.
  for (let i = 0; i < 10; i++) assert.equal(box.enqueue({ bytes: bytes(100), data: false }).ok, true)
  assert.equal(box.bytes, 1000)
  for (let i = 0; i < 10; i++) assert.equal(box.enqueue({ bytes: bytes(100), data: false }).ok, true)
  assert.equal(box.bytes, 2000)
  assert.deepEqual(box.enqueue({ bytes: bytes(1), data: false }), { ok: false, reason: 'hard-cap' })
  // New data that cannot fit beside the control frames is itself dropped.
  assert.deepEqual(box.enqueue({ bytes: bytes(10), data: true }), {
    ok: true,
    droppedData: 1,
    droppedBytes: 10,
  })
  assert.equal(box.length, 20)
  let drained = 0
  while (box.shift()) drained++
  assert.equal(drained, 20)
  assert.equal(box.bytes, 0)
})

test('outbox: a stuck peer with endless data keeps the queue and its backing array bounded', () => {
  const box = new Outbox({ softCapBytes: 10_000, hardCapBytes: 20_000 })
  for (let i = 0; i < 100_000; i++) box.enqueue({ bytes: bytes(100), data: true })
  assert.equal(box.bytes, 10_000)
  assert.equal(box.length, 100)
  // biome-ignore lint/complexity/useLiteralKeys: reaching into the private array on purpose
  assert.ok((box as unknown as { frames: unknown[] })['frames'].length < 3000)
})
