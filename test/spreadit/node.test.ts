import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TIMER_HEARTBEAT } from '../../src/overlays/spreadit/node.ts'
import { chunk, soloNode, subscribe } from './fake-env.ts'

/** A viewer (id 9) attached under 1 whose ancestor chain is 0 -> 1. */
function attachedViewer(params: Record<string, unknown> = {}) {
  const { node, rec } = soloNode(9, {}, params)
  node.start(0)
  assert.deepEqual(rec.sent.at(-1), {
    to: 0,
    msg: { type: 'subscribe', locator: [0, 0], uploadKbps: 1601, avoid: [] },
  })
  node.onMessage(10, 0, { type: 'redirect', target: 1, cascade: false, deadEnd: false })
  node.onMessage(20, 1, { type: 'accept', path: [0, 1] })
  assert.equal(node.state, 'attached')
  rec.sent.length = 0
  return { node, rec }
}

test('the source forwards one shared message object to every child', () => {
  const { node, rec } = soloNode(0, { role: 'source' })
  node.start(0)
  for (const id of [1, 2, 3]) node.onMessage(1, id, subscribe())
  rec.sent.length = 0
  node.publish(5, chunk(0))
  assert.equal(rec.sent.length, 3)
  assert.ok(rec.sent.every((s) => s.msg === rec.sent[0]!.msg && s.msg.type === 'chunk' && s.msg.hops === 1))
})

test('a relay delivers locally and forwards with hops + 1', () => {
  const { node, rec } = attachedViewer()
  node.onMessage(30, 22, subscribe())
  node.onMessage(31, 23, subscribe())
  rec.sent.length = 0
  node.onMessage(40, 1, { type: 'chunk', chunk: chunk(3), hops: 2 })
  assert.deepEqual(
    rec.delivered.map((d) => [d.chunk.seq, d.hops]),
    [[3, 2]],
  )
  assert.deepEqual(
    rec.sent.map((s) => s.to),
    [22, 23],
  )
  assert.ok(rec.sent.every((s) => s.msg.type === 'chunk' && s.msg.hops === 3))
})

test('chunks and redirects from anyone but the parent are ignored', () => {
  const { node, rec } = attachedViewer()
  node.onMessage(30, 5, { type: 'chunk', chunk: chunk(1), hops: 1 })
  node.onMessage(31, 5, { type: 'redirect', target: 6, cascade: false, deadEnd: false })
  assert.equal(rec.delivered.length, 0)
  assert.equal(rec.sent.length, 0)
  assert.equal(node.state, 'attached')
})

test('a subscribe from an ancestor is sent back to the source, never accepted', () => {
  const { node, rec } = attachedViewer()
  node.onMessage(30, 1, subscribe(1e6))
  assert.deepEqual(rec.sent, [
    { to: 1, msg: { type: 'redirect', target: 0, cascade: false, deadEnd: false } },
  ])
  assert.equal(node.topology().children.length, 0)
})

test('an accept whose path contains us is declined (cycle) and the walk restarts at the source', () => {
  const { node, rec } = soloNode(9)
  node.start(0)
  node.onMessage(10, 0, { type: 'redirect', target: 4, cascade: false, deadEnd: false })
  node.onMessage(20, 4, { type: 'accept', path: [0, 9, 4] })
  assert.deepEqual(rec.sent.slice(-2), [
    { to: 4, msg: { type: 'unsubscribe' } },
    { to: 0, msg: { type: 'subscribe', locator: [0, 0], uploadKbps: 1601, avoid: [] } },
  ])
  assert.equal(node.state, 'joining')
  assert.deepEqual(rec.metrics.at(-1), { name: 'cyclesBroken', value: 1 })
})

test('a path update that contains us breaks the loop; a normal one is passed down', () => {
  const { node, rec } = attachedViewer()
  node.onMessage(30, 22, subscribe())
  rec.sent.length = 0
  node.onMessage(40, 1, { type: 'path', path: [0, 7, 1] })
  assert.deepEqual(rec.sent, [{ to: 22, msg: { type: 'path', path: [0, 7, 1, 9] } }])
  assert.equal(node.depth, 3)
  rec.sent.length = 0
  node.onMessage(50, 1, { type: 'path', path: [0, 22, 9, 1] })
  assert.equal(node.state, 'joining')
  assert.deepEqual(rec.sent[0], { to: 1, msg: { type: 'unsubscribe' } })
  // The kept subtree learns it is cut off: its path now starts at us, not at the source.
  assert.deepEqual(rec.sent[1], { to: 22, msg: { type: 'path', path: [9] } })
})

test('a node pushed deeper than maxDepth re-joins from the source; at maxDepth it takes no children', () => {
  const { node, rec } = attachedViewer({ maxDepth: 3 })
  node.onMessage(30, 1, { type: 'path', path: [0, 5, 6] })
  assert.equal(node.depth, 3)
  node.onMessage(31, 22, subscribe())
  assert.deepEqual(rec.sent.at(-1), {
    to: 22,
    msg: { type: 'redirect', target: 1, cascade: false, deadEnd: true },
  })
  node.onMessage(32, 1, { type: 'path', path: [0, 5, 6, 7] })
  assert.equal(node.state, 'joining')
})

test('an accept for a session we gave up on is answered with unsubscribe', () => {
  const { node, rec } = attachedViewer()
  node.onMessage(30, 3, { type: 'accept', path: [0, 3] })
  assert.deepEqual(rec.sent, [{ to: 3, msg: { type: 'unsubscribe' } }])
})

test('children never exceed the child limit, whatever arrives', () => {
  const { node } = soloNode(0, { role: 'source', uploadKbps: 1400 })
  node.start(0)
  for (let i = 1; i <= 50; i++) node.onMessage(i, i, subscribe(i % 3 === 0 ? 4000 : 0))
  assert.equal(node.topology().maxChildren, 3)
  assert.equal(node.topology().children.length, 3)
})

test('publish on a viewer is a LocalProtocolError', () => {
  const { node } = soloNode(9)
  assert.throws(() => node.publish(0, chunk(0)), { name: 'LocalProtocolError' })
})

test('leave: unsubscribe from the parent, redirect children per policy, then ignore everything', () => {
  for (const [policy, target, cascade] of [
    ['grandfather', 1, false],
    ['grandfather-all', 1, true],
    ['root', 0, false],
    ['root-all', 0, true],
  ] as const) {
    const { node, rec } = attachedViewer({ deletePolicy: policy })
    node.onMessage(30, 22, subscribe())
    rec.sent.length = 0
    node.leave(40)
    assert.deepEqual(rec.sent, [
      { to: 1, msg: { type: 'unsubscribe' } },
      { to: 22, msg: { type: 'redirect', target, cascade, deadEnd: false } },
    ])
    assert.equal(rec.timers.size, 0, 'all timers cancelled')
    node.onMessage(50, 23, subscribe())
    assert.equal(rec.sent.length, 2)
  }
})

test('dataAsHeartbeat: a relay that just forwarded data skips the bare beat to its children, never the one to its parent', () => {
  const beatsAt = (params: Record<string, unknown>, forwardAtMs: number | null, beatAtMs: number) => {
    const { node, rec } = attachedViewer(params)
    node.onMessage(30, 22, subscribe())
    node.onMessage(31, 23, subscribe())
    if (forwardAtMs !== null) node.onMessage(forwardAtMs, 1, { type: 'chunk', chunk: chunk(3), hops: 2 })
    rec.sent.length = 0
    node.onTimer(beatAtMs, TIMER_HEARTBEAT, undefined)
    return rec.sent.filter((s) => s.msg.type === 'heartbeat').map((s) => s.to)
  }
  // Off (the default): everyone gets a beat.
  assert.deepEqual(beatsAt({}, 900, 1000), [22, 23, 1])
  // On, data forwarded 100 ms ago: only the child -> parent beat goes out.
  assert.deepEqual(beatsAt({ dataAsHeartbeat: true }, 900, 1000), [1])
  // On, but no data for a whole period: the children hear a beat again.
  assert.deepEqual(beatsAt({ dataAsHeartbeat: true }, 900, 1900), [22, 23, 1])
  assert.deepEqual(beatsAt({ dataAsHeartbeat: true }, null, 1000), [22, 23, 1])
})
