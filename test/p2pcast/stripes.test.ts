import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import type { Chunk } from '../../src/stream/chunk.ts'
import {
  buildParity,
  groupOf,
  ParityEncoder,
  rebuildMissing,
  StripeDecoder,
  stripeOf,
  validateStripeCount,
} from '../../src/stream/stripes.ts'

function realChunk(seq: number, payload: Uint8Array, auth: Uint8Array | null = null): Chunk {
  return {
    stream: 's',
    seq,
    sourceTime: 1000 + seq * 33.25,
    stripe: -1,
    size: payload.length,
    payload,
    keyframe: seq % 5 === 0,
    auth,
  }
}

function virtualChunk(seq: number, size = 1200): Chunk {
  return {
    stream: 's',
    seq,
    sourceTime: seq * 100,
    stripe: -1,
    size,
    payload: null,
    keyframe: seq % 10 === 0,
    auth: null,
  }
}

test('data chunks go round-robin over f-1 stripes, parity on stripe f-1', () => {
  const f = 4
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((s) => stripeOf(virtualChunk(s), f)),
    [0, 1, 2, 0, 1, 2, 0],
  )
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6].map((s) => groupOf(virtualChunk(s), f)),
    [0, 0, 0, 1, 1, 1, 2],
  )
  const parity = buildParity(
    [3, 4, 5].map((s) => virtualChunk(s)),
    f,
  )
  assert.equal(stripeOf(parity, f), 3)
  assert.equal(groupOf(parity, f), 1)
})

test('stripe count must be 2..16', () => {
  for (const bad of [1, 17, 2.5, Number.NaN]) assert.throws(() => validateStripeCount(bad), /stripe count/)
  for (const good of [2, 16]) validateStripeCount(good)
})

test('any f-1 of a group of f rebuild it, payload and signature included (fast-check)', () => {
  const group = fc.integer({ min: 2, max: 16 }).chain((f) =>
    fc.record({
      f: fc.constant(f),
      g: fc.integer({ min: 0, max: 1000 }),
      payloads: fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), {
        minLength: f - 1,
        maxLength: f - 1,
      }),
      auths: fc.array(fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 })), {
        minLength: f - 1,
        maxLength: f - 1,
      }),
      lost: fc.integer({ min: 0, max: f - 2 }),
    }),
  )
  fc.assert(
    fc.property(group, ({ f, g, payloads, auths, lost }) => {
      const k = f - 1
      const members = payloads.map((p, i) => realChunk(g * k + i, p, auths[i] ?? null))
      const parity = buildParity(members, f)
      const present = members.filter((_, i) => i !== lost)
      assert.deepEqual(rebuildMissing(parity, present, f), members[lost])
      // The decoder hands out every data chunk exactly once whatever the arrival order.
      const decoder = new StripeDecoder(f)
      const arrivals = [parity, ...present]
      const out = arrivals.flatMap((c) => decoder.push(c))
      assert.deepEqual(
        out.map((c) => c.seq).sort((a, b) => a - b),
        members.map((c) => c.seq),
      )
      assert.deepEqual(decoder.push(members[lost]!), [], 'the late original is a duplicate')
    }),
    { seed: 4242, numRuns: 300 },
  )
})

test('virtual payloads: the rebuild restores seq, time, size and keyframe (bookkeeping only)', () => {
  const f = 3
  const members = [virtualChunk(10, 900), virtualChunk(11, 1100)]
  const parity = buildParity(members, f)
  assert.equal(parity.payload, null)
  assert.ok(parity.size >= 1100)
  assert.deepEqual(rebuildMissing(parity, [members[1]!], f), members[0])
})

test('encoder emits one parity per complete group and skips groups with a gap', () => {
  const enc = new ParityEncoder(3)
  const emitted = [0, 1, 2, 3, 5, 6, 7].map((s) => enc.push(virtualChunk(s)))
  assert.deepEqual(
    emitted.map((p) => p?.seq ?? null),
    [null, 0, null, 1, null, null, 3],
  )
})

test('decoder: with f = 2 the parity is a copy, and the decoder stays bounded', () => {
  const decoder = new StripeDecoder(2, 8)
  for (let s = 0; s < 100; s++) {
    const c = realChunk(s, new Uint8Array([s, s + 1]))
    const parity = buildParity([c], 2)
    if (s % 2 === 0) assert.deepEqual(decoder.push(parity), [c])
    else assert.deepEqual(decoder.push(c), [c])
    assert.ok(decoder.size <= 8)
  }
  assert.equal(decoder.rebuilt, 50)
})

test('a parity chunk whose header lies is a RemoteProtocolError', () => {
  const f = 3
  const members = [realChunk(0, new Uint8Array(10)), realChunk(1, new Uint8Array(20))]
  const parity = buildParity(members, f)
  const truncated = { ...parity, payload: parity.payload!.slice(0, parity.payload!.length - 3) }
  assert.throws(() => rebuildMissing(truncated, [members[0]!], f), isRemoteProtocolError)
  const wrong = realChunk(0, new Uint8Array(11))
  assert.throws(() => rebuildMissing(parity, [wrong], f), isRemoteProtocolError)
})

test('a rebuild leaves the parity chunk untouched, also when its payload is a Node Buffer (net host)', () => {
  // The net host decodes payloads as Buffers, whose slice() is a view. The parity chunk is relayed
  // to children as received, so a rebuild that XORs into it corrupts what they get.
  for (const f of [3, 4, 8]) {
    const members = Array.from({ length: f - 1 }, (_, i) =>
      realChunk(
        (f - 1) * 7 + i,
        Buffer.from(new Uint8Array(100 + 37 * i).map((_, j) => (j * 13 + i) & 0xff)),
        Buffer.alloc(64, i + 1),
      ),
    )
    const built = buildParity(members, f)
    const parity: Chunk = { ...built, payload: Buffer.from(built.payload!) }
    const before = Buffer.from(parity.payload!)
    const decoder = new StripeDecoder(f)
    for (const c of members.slice(1)) decoder.push(c)
    const out = decoder.push(parity)
    assert.equal(out.length, 1, `f = ${f}: the missing member is rebuilt`)
    assert.deepEqual(new Uint8Array(out[0]!.payload!), new Uint8Array(members[0]!.payload!))
    assert.deepEqual(new Uint8Array(out[0]!.auth!), new Uint8Array(members[0]!.auth!))
    assert.ok(before.equals(parity.payload as Buffer), `f = ${f}: the parity payload changed`)
  }
})
