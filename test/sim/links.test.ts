// The access-link model, measured with a scripted probe overlay whose messages weigh exactly
// their `bytes` field: serialization (bytes * 8 / kbps ms), uplink and downlink FIFOs, tail drop,
// loss, and what crashes do to messages and timers.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { MatrixUnderlay } from './fixtures/matrix-underlay.ts'
import { type ProbeNode, probeOverlay } from './fixtures/probe-overlay.ts'
import { makeSim, UNLIMITED } from './helpers.ts'

function probeSim(overrides: Parameters<typeof makeSim>[2] = {}) {
  // A slow stream so publish events barely matter.
  return makeSim(
    probeOverlay,
    {},
    { stream: { streamId: 's', kbps: 8, chunkRateHz: 1, keyframeEveryChunks: 1 }, ...overrides },
  )
}
const node = (sim: ReturnType<typeof probeSim>, id: number) => sim.protocol(id) as ProbeNode

test('one message: upload serialization + latency + download serialization', () => {
  const sim = probeSim()
  const a = sim.addViewer({ uploadKbps: 1000, downloadKbps: 1000 }) as number
  const b = sim.addViewer({ uploadKbps: 1000, downloadKbps: 500 }) as number
  sim.at(100, () => node(sim, a).send(b, 1, 1250)) // 10,000 bits
  sim.runUntil(1000)
  // 10 ms on a's 1000 kbit/s uplink, 10 ms latency, 20 ms on b's 500 kbit/s downlink.
  assert.deepEqual(node(sim, b).received, [{ at: 140, from: a, tag: 1 }])
  const sa = sim.nodeStats(a)
  const sb = sim.nodeStats(b)
  assert.equal(sa.controlUploadBytes, 1250)
  assert.equal(sb.controlDownloadBytes, 1250)
  assert.equal(sb.uploadBytes, 0)
})

test('uplink is a FIFO: back-to-back messages leave one serialization time apart', () => {
  const sim = probeSim()
  const a = sim.addViewer({ uploadKbps: 800, downloadKbps: Number.POSITIVE_INFINITY }) as number
  const b = sim.addViewer(UNLIMITED) as number
  const c = sim.addViewer(UNLIMITED) as number
  sim.at(0, () => {
    node(sim, a).send(b, 1, 1000) // 10 ms each at 800 kbit/s
    node(sim, a).send(c, 2, 1000)
    node(sim, a).send(b, 3, 1000)
  })
  sim.runUntil(500)
  assert.deepEqual(
    node(sim, b).received.map((r) => [r.tag, r.at]),
    [
      [1, 20],
      [3, 40],
    ],
  )
  assert.deepEqual(
    node(sim, c).received.map((r) => [r.tag, r.at]),
    [[2, 30]],
  )
})

test('downlink is a FIFO in the order messages reach it, not the order they were sent', () => {
  // far -> r is 50 ms, near -> r is 5 ms: far sends first but its message reaches r last.
  const lat = (x: number, y: number) => (x === 1 || y === 1 ? 50 : 5)
  const sim = probeSim({ underlay: new MatrixUnderlay(lat) })
  const far = sim.addViewer(UNLIMITED) as number
  const near = sim.addViewer(UNLIMITED) as number
  const r = sim.addViewer({ uploadKbps: 1000, downloadKbps: 100 }) as number // 1000 bytes = 80 ms
  sim.at(0, () => node(sim, far).send(r, 1, 1000))
  sim.at(1, () => node(sim, near).send(r, 2, 1000))
  sim.at(2, () => node(sim, near).send(r, 3, 1000))
  sim.runUntil(1000)
  assert.deepEqual(
    node(sim, r).received.map((x) => [x.tag, x.at]),
    [
      [2, 6 + 80],
      [3, 6 + 160],
      [1, 6 + 240],
    ],
  )
})

test('tail drop: a message that would wait longer than maxQueueMs is dropped and counted', () => {
  const sim = probeSim({ maxQueueMs: 35 })
  const a = sim.addViewer({ uploadKbps: 800, downloadKbps: 800 }) as number
  const b = sim.addViewer(UNLIMITED) as number
  // 10 ms each: messages 0..4 wait 0, 10, 20, 30 ms, 40 ms > 35 -> tags 4..9 are dropped.
  sim.at(0, () => {
    for (let i = 0; i < 10; i++) node(sim, a).send(b, i, 1000)
  })
  sim.runUntil(1000)
  assert.deepEqual(
    node(sim, b).received.map((x) => x.tag),
    [0, 1, 2, 3],
  )
  assert.equal(sim.nodeStats(a).droppedQueueMessages, 6)
  assert.equal(sim.nodeStats(a).uploadBytes, 4000, 'dropped messages never used the link')
})

test('loss: about lossRate of many messages are lost, the same ones for the same seed', () => {
  const run = (seed: number) => {
    const sim = probeSim({ lossRate: 0.1, seed })
    const a = sim.addViewer(UNLIMITED) as number
    const b = sim.addViewer(UNLIMITED) as number
    sim.at(0, () => {
      for (let i = 0; i < 10_000; i++) node(sim, a).send(b, i, 100)
    })
    sim.runUntil(100)
    return { lost: sim.nodeStats(a).lostMessages, got: node(sim, b).received.map((x) => x.tag) }
  }
  const first = run(3)
  assert.equal(first.lost + first.got.length, 10_000)
  // Binomial(10000, 0.1): sd = 30; 4 sd either side.
  assert.ok(Math.abs(first.lost - 1000) < 120, `lost ${first.lost}`)
  assert.deepEqual(run(3), first)
  assert.notDeepEqual(run(4).got, first.got)
})

test('crash: messages in flight to the node are dropped and its timers never fire', () => {
  const sim = probeSim()
  const a = sim.addViewer(UNLIMITED) as number
  const b = sim.addViewer(UNLIMITED) as number
  const pb = node(sim, b)
  pb.env.setTimer(50, 7)
  pb.env.setTimer(5, 6)
  sim.at(0, () => node(sim, a).send(b, 1, 100)) // would arrive at 10
  sim.at(1, () => node(sim, a).send(b, 2, 100)) // would arrive at 11
  sim.runUntil(10)
  sim.crash(b)
  sim.runUntil(1000)
  assert.deepEqual(
    pb.received.map((x) => x.tag),
    [1],
  )
  assert.deepEqual(pb.timersFired, [{ at: 5, kind: 6 }])
  const stats = sim.nodeStats(b)
  assert.equal(stats.crashed, true)
  assert.equal(stats.leftAtMs, 10)
  assert.equal(stats.controlDownloadBytes, 100)
  assert.equal(sim.isAlive(b), false)
  assert.throws(() => sim.protocol(b), /not alive/)
})

test('cancelled timers do not fire; a stale timer id cancels nothing', () => {
  const sim = probeSim()
  const a = sim.addViewer(UNLIMITED) as number
  const env = node(sim, a).env
  const t1 = env.setTimer(10, 1)
  env.setTimer(20, 2)
  env.cancelTimer(t1)
  sim.runUntil(15)
  const t3 = env.setTimer(10, 3)
  sim.runUntil(30)
  env.cancelTimer(t3) // already fired
  env.cancelTimer(t1) // already cancelled
  const t4 = env.setTimer(10, 4)
  env.cancelTimer(t3) // stale ids must not hit t4, whatever handle it reused
  sim.runUntil(100)
  assert.deepEqual(node(sim, a).timersFired, [
    { at: 20, kind: 2 },
    { at: 25, kind: 3 },
    { at: 40, kind: 4 },
  ])
  assert.notEqual(t4, t3)
})

test('a throwing handler is reported with node, time and event', () => {
  const sim = probeSim()
  const a = sim.addViewer(UNLIMITED) as number
  const b = sim.addViewer(UNLIMITED) as number
  sim.at(3, () => node(sim, a).send(b, -1, 10))
  assert.throws(
    () => sim.runUntil(100),
    (err: Error) =>
      err.name === 'ProtocolHandlerError' &&
      err.message ===
        `node ${b} threw at t=13 ms while handling message "probe" from ${a}: Error: probe with a negative tag`,
  )
})

test('sending to a node that never existed is a local error', () => {
  const sim = probeSim()
  const a = sim.addViewer(UNLIMITED) as number
  assert.throws(() => node(sim, a).send(99, 1, 10), /unknown node 99/)
})

test('cacheLatencies gives the same results and asks the underlay once per pair', () => {
  const run = (cacheLatencies: boolean) => {
    const underlay = new MatrixUnderlay((x, y) => 3 + ((x * 5 + y) % 11))
    const sim = probeSim({ underlay, cacheLatencies })
    const ids = [0, 1, 2, 3].map(() => sim.addViewer(UNLIMITED) as number)
    sim.at(0, () => {
      for (let i = 0; i < 100; i++) node(sim, ids[i % 4]!).send(ids[(i * 3 + 1) % 4]!, i, 10)
    })
    sim.runUntil(1000)
    return { received: ids.map((id) => node(sim, id).received), calls: underlay.latencyCalls }
  }
  const plain = run(false)
  const cached = run(true)
  assert.deepEqual(cached.received, plain.received)
  assert.equal(plain.calls, 100)
  assert.equal(cached.calls, 4, 'one underlay call per distinct (sender, receiver) pair')
})

test('a crash kills the uplink queue: messages that had not left never arrive; a leave flushes it', () => {
  for (const how of ['crash', 'leave'] as const) {
    const sim = probeSim()
    const a = sim.addViewer({ uploadKbps: 800, downloadKbps: 800 }) as number
    const b = sim.addViewer(UNLIMITED) as number
    sim.at(0, () => {
      for (let i = 0; i < 5; i++) node(sim, a).send(b, i, 1000) // depart at 10, 20, 30, 40, 50
    })
    sim.at(25, () => (how === 'crash' ? sim.crash(a) : sim.leave(a)))
    sim.runUntil(1000)
    const tags = node(sim, b).received.map((x) => x.tag)
    assert.deepEqual(tags, how === 'crash' ? [0, 1] : [0, 1, 2, 3, 4], how)
  }
})

test('bytes are conserved: what entered the network and was not lost is delivered, in per-pair FIFO order', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          from: fc.nat(4),
          to: fc.nat(4),
          bytes: fc.integer({ min: 1, max: 5000 }),
          at: fc.nat(200),
        }),
        {
          maxLength: 60,
        },
      ),
      fc.array(fc.integer({ min: 50, max: 5000 }), { minLength: 10, maxLength: 10 }),
      (sends, kbps) => {
        const underlay = new MatrixUnderlay((x, y) => 1 + ((x * 13 + y * 7) % 40))
        const sim = probeSim({ underlay, maxQueueMs: 300 })
        const ids = [0, 1, 2, 3, 4].map(
          (i) => sim.addViewer({ uploadKbps: kbps[2 * i]!, downloadKbps: kbps[2 * i + 1]! }) as number,
        )
        sends.forEach((s, tag) => {
          sim.at(s.at, () => node(sim, ids[s.from]!).send(ids[s.to]!, tag, s.bytes))
        })
        sim.runUntil(1_000_000)
        const stats = ids.map((id) => sim.nodeStats(id))
        const up = stats.reduce((a, s) => a + s.uploadBytes, 0)
        const down = stats.reduce((a, s) => a + s.downloadBytes, 0)
        assert.equal(down, up)
        const dropped = stats.reduce((a, s) => a + s.droppedQueueMessages, 0)
        const delivered = ids.flatMap((id) => node(sim, id).received)
        assert.equal(delivered.length + dropped, sends.length)
        // Same sender, same receiver: one uplink FIFO, one latency, one downlink FIFO => sent order.
        for (const id of ids) {
          const bySender = new Map<unknown, number[]>()
          for (const r of node(sim, id).received)
            bySender.set(r.from, [...(bySender.get(r.from) ?? []), r.tag])
          for (const tags of bySender.values()) {
            const sentOrder = [...tags].sort((x, y) => sends[x]!.at - sends[y]!.at || x - y)
            assert.deepEqual(tags, sentOrder)
          }
        }
      },
    ),
    { seed: 7, numRuns: 150 },
  )
})
