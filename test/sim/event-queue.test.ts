import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { EventQueue, EventQueueFullError } from '../../src/sim/event-queue.ts'

/** The obvious reference: a sorted list of (time, seq, id); cancel removes by id. */
class ReferenceQueue {
  private items: { time: number; seq: number; id: number }[] = []
  private seq = 0
  push(time: number, id: number): void {
    this.items.push({ time, seq: this.seq++, id })
    this.items.sort((x, y) => x.time - y.time || x.seq - y.seq)
  }
  pop(): { time: number; id: number } | undefined {
    return this.items.shift()
  }
  cancel(id: number): boolean {
    const i = this.items.findIndex((e) => e.id === id)
    if (i < 0) return false
    this.items.splice(i, 1)
    return true
  }
  get size(): number {
    return this.items.length
  }
}

type Op = { op: 'push'; time: number } | { op: 'pop' } | { op: 'cancel'; pick: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  // Few distinct times so ties (the sequence tie-break) are common.
  fc.record({ op: fc.constant('push' as const), time: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant('pop' as const) }),
  fc.record({ op: fc.constant('cancel' as const), pick: fc.nat(1000) }),
)

test('pops in (time, push order) and honours cancels, like a sorted-list reference', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const q = new EventQueue(2) // tiny: forces growth
      const ref = new ReferenceQueue()
      const tokens: { id: number; token: number }[] = []
      let nextId = 0
      for (const o of ops) {
        if (o.op === 'push') {
          const id = nextId++
          const h = q.push(o.time, 1, id, 0, 0, `payload${id}`)
          tokens.push({ id, token: q.tokenOf(h) })
          ref.push(o.time, id)
        } else if (o.op === 'pop') {
          const want = ref.pop()
          const h = q.pop()
          if (want === undefined) {
            assert.equal(h, -1)
            continue
          }
          assert.notEqual(h, -1)
          assert.equal(q.aOf(h), want.id)
          assert.equal(q.refOf(h), `payload${want.id}`)
          assert.equal(q.poppedTime, want.time)
          q.release(h)
        } else if (tokens.length > 0) {
          // Cancel any token ever issued, including stale ones for popped or cancelled events.
          const t = tokens[o.pick % tokens.length]!
          assert.equal(q.cancel(t.token), ref.cancel(t.id))
        }
        assert.equal(q.pending, ref.size)
      }
    }),
    { seed: 42, numRuns: 300 },
  )
})

test('random times at scale come out sorted', () => {
  const q = new EventQueue(16)
  let s = 7
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296
  for (let i = 0; i < 20000; i++) q.push(rnd() * 1e6, 0, i, 0, 0, undefined)
  let last = -1
  let n = 0
  for (let h = q.pop(); h !== -1; h = q.pop()) {
    assert.ok(q.poppedTime >= last, `${q.poppedTime} after ${last}`)
    last = q.poppedTime
    q.release(h)
    n++
  }
  assert.equal(n, 20000)
})

test('a stale token does not cancel the event that reused its handle', () => {
  const q = new EventQueue(1)
  const h1 = q.push(5, 0, 1, 0, 0, undefined)
  const stale = q.tokenOf(h1)
  q.release(q.pop())
  const h2 = q.push(6, 0, 2, 0, 0, undefined)
  assert.equal(h2, h1, 'handle is reused (capacity 1)')
  assert.equal(q.cancel(stale), false)
  assert.equal(q.cancel(q.tokenOf(h2)), true)
  assert.equal(q.cancel(q.tokenOf(h2)), false, 'cancelling twice is a no-op')
  assert.equal(q.pop(), -1)
  assert.equal(q.peekTime(), Number.POSITIVE_INFINITY)
})

test('the capacity bound throws a clear error', () => {
  const q = new EventQueue(2, 8)
  for (let i = 0; i < 8; i++) q.push(i, 0, 0, 0, 0, undefined)
  assert.throws(
    () => q.push(9, 0, 0, 0, 0, undefined),
    (err: unknown) => err instanceof EventQueueFullError && /bound of 8/.test(err.message),
  )
})

// The queue files events in 1/32-ms buckets over a 2048-ms ring with a heap beyond it: these
// times cross every boundary (same bucket, behind the bucket being drained, ring wrap-around,
// the far heap, long empty stretches, an infinite time).
const wideTimeArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((t) => t / 64),
  fc.double({ min: 0, max: 5000, noNaN: true }),
  fc.integer({ min: 0, max: 3 }).map((k) => k * 2048 + 0.015625),
  fc.double({ min: 0, max: 1e7, noNaN: true }),
  fc.constant(Number.POSITIVE_INFINITY),
)

type WideOp = { op: 'push'; dt: number; relative: boolean } | { op: 'pop' } | { op: 'cancel'; pick: number }

test('bucket ring, far heap and wrap-around keep the exact (time, push order)', () => {
  const wideOpArb: fc.Arbitrary<WideOp> = fc.oneof(
    fc.record({ op: fc.constant('push' as const), dt: wideTimeArb, relative: fc.boolean() }),
    fc.record({ op: fc.constant('pop' as const) }),
    fc.record({ op: fc.constant('cancel' as const), pick: fc.nat(1000) }),
  )
  fc.assert(
    fc.property(fc.array(wideOpArb, { maxLength: 400 }), (ops) => {
      const q = new EventQueue(4)
      const ref = new ReferenceQueue()
      const tokens: { id: number; token: number }[] = []
      let nextId = 0
      let now = 0
      for (const o of ops) {
        if (o.op === 'push') {
          // Mostly simulator-like (at or after the last pop), sometimes anywhere at all.
          const time = o.relative ? now + o.dt : o.dt
          const id = nextId++
          tokens.push({ id, token: q.tokenOf(q.push(time, 1, id, 0, 0, undefined)) })
          ref.push(time, id)
        } else if (o.op === 'pop') {
          const want = ref.pop()
          assert.equal(q.peekTime(), want?.time ?? Number.POSITIVE_INFINITY, 'peekTime agrees')
          const h = q.pop()
          if (want === undefined) {
            assert.equal(h, -1, 'empty')
            continue
          }
          assert.equal(q.aOf(h), want.id, 'same event')
          assert.equal(q.poppedTime, want.time, 'same time')
          if (want.time !== Number.POSITIVE_INFINITY) now = want.time
          q.release(h)
        } else if (tokens.length > 0) {
          const t = tokens[o.pick % tokens.length]!
          assert.equal(q.cancel(t.token), ref.cancel(t.id), 'cancel agrees')
        }
        assert.equal(q.pending, ref.size, 'pending agrees')
      }
    }),
    { seed: 7, numRuns: 400 },
  )
})
