import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng, type Rng } from '../../src/core/rng.ts'
import { TS_PACKET_BYTES } from '../../src/media/ts-header.ts'
import { NotMpegTsError, TsPacketReader } from '../../src/media/ts-packets.ts'

/** Synthetic packets whose index is written into the payload, so order and identity are checkable. */
function packets(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const p = new Uint8Array(TS_PACKET_BYTES).fill(0xa5)
    p[0] = 0x47
    p[1] = 0x01
    p[2] = 0x00
    p[3] = 0x10 | (i & 0x0f)
    p[4] = i >> 8
    p[5] = i & 0xff
    return p
  })
}

function indexOf(packet: Uint8Array): number {
  return (packet[4]! << 8) | packet[5]!
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Feeds `bytes` in random-sized reads (1..maxRead) and returns copies of the packets. */
function readAll(reader: TsPacketReader, bytes: Uint8Array, rng: Rng, maxRead = 1000): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + rng.int(maxRead)
    for (const p of reader.push(bytes.subarray(at, at + n))) out.push(p.slice())
    at += n
  }
  for (const p of reader.end()) out.push(p.slice())
  return out
}

test('re-aligns arbitrary read sizes into the original packets', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const input = packets(300)
    const reader = new TsPacketReader()
    const out = readAll(reader, concat(input), createRng(seed), 1 + seed * 37)
    assert.equal(out.length, 300, `seed ${seed}`)
    out.forEach((p, i) => {
      assert.deepEqual(p, input[i], `seed ${seed} packet ${i}`)
    })
    assert.deepEqual(reader.stats, { packets: 300, discardedBytes: 0, resyncs: 0 })
  }
})

test('skips leading garbage and counts it', () => {
  // Two thirds sync bytes, with pairs at 188-byte spacing: one confirming packet is not enough.
  const garbage = new Uint8Array(500).fill(0x47)
  for (let i = 0; i < garbage.length; i += 3) garbage[i] = 0x00
  const reader = new TsPacketReader()
  const out = readAll(reader, concat([garbage, ...packets(50)]), createRng(7))
  assert.equal(out.length, 50)
  assert.equal(indexOf(out[0]!), 0)
  assert.equal(reader.stats.discardedBytes, 500)
})

test('resyncs after garbage inserted mid-stream, dropping only the damaged packet', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rng = createRng(seed)
    const input = packets(200)
    const garbage = Uint8Array.from({ length: 1 + rng.int(400) }, () => rng.int(256))
    const at = 50 * TS_PACKET_BYTES + rng.int(TS_PACKET_BYTES) // inside packet 50
    const whole = concat(input)
    const bytes = concat([whole.subarray(0, at), garbage, whole.subarray(at)])
    const reader = new TsPacketReader()
    const out = readAll(reader, bytes, rng)
    const indices = out.map(indexOf)
    assert.ok(!indices.includes(50), `seed ${seed}: the packet split by garbage must not pass`)
    assert.deepEqual(
      indices,
      input.map((_, i) => i).filter((i) => i !== 50),
    )
    assert.equal(reader.stats.resyncs, 1)
    assert.equal(reader.stats.discardedBytes, garbage.length + TS_PACKET_BYTES)
  }
})

test('a packet truncated in transit is dropped, its neighbours kept', () => {
  const whole = concat(packets(100))
  const cut = 20 * TS_PACKET_BYTES + 100
  const bytes = concat([whole.subarray(0, cut), whole.subarray(cut + 60)]) // packet 20 lost 60 bytes
  const reader = new TsPacketReader()
  const out = readAll(reader, bytes, createRng(3))
  assert.deepEqual(
    out.map(indexOf),
    Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 20),
  )
  assert.equal(reader.stats.discardedBytes, TS_PACKET_BYTES - 60)
})

test('a truncated tail is counted, whole packets before it delivered', () => {
  const whole = concat(packets(10))
  const reader = new TsPacketReader()
  const out = readAll(reader, whole.subarray(0, 9 * TS_PACKET_BYTES + 77), createRng(1))
  assert.equal(out.length, 9)
  assert.equal(reader.stats.discardedBytes, 77)
})

test('a stream of one or two packets is accepted at end of input', () => {
  const reader = new TsPacketReader()
  const out = readAll(reader, concat(packets(2)), createRng(1))
  assert.equal(out.length, 2)
})

test('rejects non-TS input after a bounded number of bytes with an actionable message', () => {
  const text = new TextEncoder().encode('#EXTM3U\n'.repeat(1000))
  const reader = new TsPacketReader()
  let fedBytes = 0
  assert.throws(
    () => {
      for (let at = 0; at < text.length; at += 100) {
        fedBytes += 100
        reader.push(text.subarray(at, at + 100))
      }
    },
    (err: unknown) => {
      assert.ok(err instanceof NotMpegTsError)
      assert.match(err.message, /input is not MPEG-TS .*use --raw for raw bytes/)
      return true
    },
  )
  assert.ok(fedBytes <= TS_PACKET_BYTES * 10 + 100, `gave up only after ${fedBytes} bytes`)
})

test('short non-TS input is rejected at end of input', () => {
  const reader = new TsPacketReader()
  reader.push(new TextEncoder().encode('hello\n'))
  assert.throws(() => reader.end(), NotMpegTsError)
})

test('random bytes never come out as packets without a sync byte', () => {
  const rng = createRng(99)
  const reader = new TsPacketReader({ maxBytesBeforeSync: Number.POSITIVE_INFINITY })
  const bytes = Uint8Array.from({ length: 200_000 }, () => rng.int(256))
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += 4096) out.push(...reader.push(bytes.subarray(at, at + 4096)))
  for (const p of out) assert.equal(p[0], 0x47)
  assert.equal(reader.stats.packets * TS_PACKET_BYTES + reader.stats.discardedBytes <= bytes.length, true)
})
