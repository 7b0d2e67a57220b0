import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cap, node, spreaditHarness } from './setup.ts'

test('viewers walk redirects down the tree until an unsaturated node accepts them', () => {
  const h = spreaditHarness({ addPolicy: 'random' }, { sourceUploadKbps: cap(2) })
  const ids = Array.from({ length: 6 }, () => h.addViewer(cap(2)))
  h.runUntil(3000)
  assert.equal(h.topology(h.sourceId).children.length, 2)
  for (const id of ids) {
    assert.equal(node(h, id).state, 'attached')
    assert.ok(h.topology(id).connected)
    assert.ok(h.topology(id).children.length <= 2)
    assert.ok(h.deliveryRatio(id, 1000, 3000) === 1, `viewer ${id} missed chunks`)
  }
  const redirects = h.metric('redirects')
  assert.equal(redirects.length, 6)
  // 2 fit at the source, the other 4 needed at least one redirect each.
  assert.equal(redirects.filter((r) => r === 0).length, 2)
  assert.ok(redirects.filter((r) => r >= 1).length === 4)
  // Discovery costs one round trip (20 ms) per subscribe sent.
  assert.deepEqual(
    h.metric('parentDiscoveryMs'),
    redirects.map((r) => 20 * (r + 1)),
  )
})

test('hops grow by one per level and the player never sees a duplicate', () => {
  const h = spreaditHarness({}, { sourceUploadKbps: cap(1) })
  const a = h.addViewer(cap(1))
  h.runUntil(100)
  const b = h.addViewer(cap(1))
  h.runUntil(200)
  const c = h.addViewer(0)
  h.runUntil(2000)
  assert.equal(h.parentOf(b), a)
  assert.equal(h.parentOf(c), b)
  assert.equal(h.hops(a).at(-1), 1)
  assert.equal(h.hops(b).at(-1), 2)
  assert.equal(h.hops(c).at(-1), 3)
  assert.equal(node(h, c).depth, 3)
})

test('a walk past maxRedirects reports resource unavailable, backs off, and retries from the source', () => {
  const h = spreaditHarness({ maxRedirects: 4, retryBackoffMs: 400 }, { sourceUploadKbps: cap(1) })
  const a = h.addViewer(0) // takes the source's only slot, feeds nobody
  h.runUntil(100)
  const b = h.addViewer(0)
  h.runUntil(300)
  assert.equal(node(h, b).state, 'unavailable')
  assert.equal(h.metric('resourceUnavailable').length, 1)
  assert.equal(h.topology(b).connected, false)
  h.at(1000, () => h.leave(a))
  h.runUntil(5000)
  assert.equal(node(h, b).state, 'attached')
  assert.equal(h.parentOf(b), h.sourceId)
  // Discovery time spans the failed walks and the back-offs.
  const discovery = h.metric('parentDiscoveryMs')
  assert.ok(discovery.length === 2 && discovery[1]! > 900, `discovery ${discovery}`)
})

test('a subscribe to a silent node times out and the walk restarts at the source', () => {
  const h = spreaditHarness({}, { sourceUploadKbps: cap(1) })
  const a = h.addViewer(cap(2))
  h.runUntil(100)
  h.crash(a)
  const b = h.addViewer(cap(2))
  h.runUntil(5000)
  assert.ok(h.metric('subscribeTimeouts').length >= 1)
  assert.ok(h.metric('childrenDropped').length >= 1)
  assert.equal(h.parentOf(b), h.sourceId)
})

test('Round-Robin hands newcomers to the children in turn', () => {
  const h = spreaditHarness({ addPolicy: 'round-robin' }, { sourceUploadKbps: cap(2) })
  const a = h.addViewer(cap(4))
  const b = h.addViewer(cap(4))
  h.runUntil(100)
  const later = [h.addViewer(0), h.addViewer(0), h.addViewer(0), h.addViewer(0)]
  h.runUntil(1000)
  assert.deepEqual(
    later.map((id) => h.parentOf(id)),
    [a, b, a, b],
  )
})

test('Smart-Placement redirects a newcomer to the child closest to it', () => {
  const h = spreaditHarness(
    { addPolicy: 'smart-placement' },
    { sourceUploadKbps: cap(2), latencyMs: undefined },
  )
  const west = h.addViewer(cap(3), [-50, 0])
  const east = h.addViewer(cap(3), [50, 0])
  h.runUntil(500)
  const nearEast = h.addViewer(0, [45, 5])
  const nearWest = h.addViewer(0, [-40, -5])
  h.runUntil(1500)
  assert.equal(h.parentOf(nearEast), east)
  assert.equal(h.parentOf(nearWest), west)
})

test('Knock-Downs: a newcomer closer than every child displaces the farthest child under itself', () => {
  const h = spreaditHarness({ addPolicy: 'knock-downs' }, { sourceUploadKbps: cap(2), latencyMs: undefined })
  const mid = h.addViewer(cap(2), [30, 0])
  const far = h.addViewer(cap(2), [80, 0])
  h.runUntil(500)
  const close = h.addViewer(cap(2), [5, 0])
  h.runUntil(1500)
  assert.deepEqual([...h.topology(h.sourceId).children].sort(), [mid, close].sort())
  assert.equal(h.parentOf(far), close)
  // A newcomer farther than some child goes to the child closest to it instead.
  const farNewcomer = h.addViewer(0, [85, 0])
  h.runUntil(2500)
  assert.equal(h.parentOf(farNewcomer), mid)
  assert.ok(h.metric('transienceMs').length >= 1, 'the knocked-down child recorded its transience')
})

test('Smart-Bandwidth: a stronger newcomer takes the weak node place and adopts it', () => {
  const h = spreaditHarness({ addPolicy: 'smart-bandwidth' }, { sourceUploadKbps: cap(1) })
  const weak = h.addViewer(cap(1))
  h.runUntil(100)
  const leaf = h.addViewer(0)
  h.runUntil(300)
  assert.equal(h.parentOf(leaf), weak)
  const strong = h.addViewer(cap(4))
  h.runUntil(2000)
  assert.equal(h.parentOf(strong), h.sourceId)
  assert.equal(h.parentOf(weak), strong)
  assert.equal(h.parentOf(leaf), strong)
  for (const id of [weak, leaf, strong]) assert.ok(h.deliveryRatio(id, 1500, 2000) === 1)
})

test('Smart-Bandwidth lifts a strong newcomer up to the source, never above it', () => {
  const h = spreaditHarness({ addPolicy: 'smart-bandwidth' }, { sourceUploadKbps: cap(1) })
  const first = h.addViewer(0)
  h.runUntil(100)
  const strong = h.addViewer(cap(8))
  h.runUntil(1000)
  // The source (limit 1 < 8) redirected the newcomer instead of stepping aside; `first` did step aside.
  assert.deepEqual(h.topology(h.sourceId).parents, [])
  assert.deepEqual(h.topology(h.sourceId).children, [strong])
  assert.equal(h.parentOf(first), strong)
})

test('a dead end sends the walk back up and is not offered again (deterministic policies terminate)', () => {
  const h = spreaditHarness(
    { addPolicy: 'smart-placement' },
    { sourceUploadKbps: cap(2), latencyMs: undefined },
  )
  const nearFull = h.addViewer(cap(1), [10, 0])
  const far = h.addViewer(cap(1), [-60, 0])
  h.runUntil(500)
  const freeRider = h.addViewer(0, [12, 0]) // fills nearFull, which then has no child worth trying
  h.runUntil(1000)
  assert.equal(h.parentOf(freeRider), nearFull)
  const x = h.addViewer(0, [11, 0])
  h.runUntil(2000)
  // source -> nearFull (closest) -> back to the source (dead end) -> far, which accepts: 3 redirects.
  assert.equal(h.parentOf(x), far)
  assert.equal(h.metric('redirects').at(-1), 3)
  assert.equal(h.metric('resourceUnavailable').length, 0)
})
