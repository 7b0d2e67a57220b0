import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { cap, node, spreaditHarness } from './setup.ts'

/** source -> a -> b -> c -> d, one child each (the paper's Chain topology). */
function chain(deletePolicy: string) {
  const h = spreaditHarness({ deletePolicy }, { sourceUploadKbps: cap(1) })
  const ids: NodeId[] = []
  for (let i = 0; i < 4; i++) {
    ids.push(h.addViewer(i < 3 ? cap(1) : 0))
    h.runUntil(200 * (i + 1))
  }
  const [a, b, c, d] = ids as [NodeId, NodeId, NodeId, NodeId]
  assert.equal(h.parentOf(d), c)
  return { h, a, b, c, d }
}

test('Grandfather: the leaving node hands its children to its own parent; grandchildren stay put', () => {
  const { h, a, b, c, d } = chain('grandfather')
  h.at(2000, () => h.leave(b))
  h.runUntil(4000)
  assert.equal(h.parentOf(c), a)
  assert.equal(h.parentOf(d), c)
  // c re-joined with no redirect; d never re-joined.
  assert.deepEqual(h.metric('redirects').slice(4), [0])
  assert.equal(h.metric('transienceMs').length, 1)
  for (const id of [a, c, d]) assert.equal(h.deliveryRatio(id, 2500, 4000), 1)
})

test('Root: the children re-join from the source and walk down', () => {
  const { h, a, b, c, d } = chain('root')
  h.at(2000, () => h.leave(b))
  h.runUntil(4000)
  assert.equal(h.parentOf(c), a)
  assert.equal(h.parentOf(d), c)
  assert.deepEqual(h.metric('redirects').slice(4), [1])
})

test('Grandfather-All and Root-All: every descendant re-joins', () => {
  for (const policy of ['grandfather-all', 'root-all']) {
    const { h, a, b, c, d } = chain(policy)
    h.at(2000, () => h.leave(b))
    h.runUntil(5000)
    // c and d both ran a walk again (one discovery each), and all still get the stream.
    assert.equal(h.metric('parentDiscoveryMs').length, 6, policy)
    assert.equal(h.metric('transienceMs').length, 2, policy)
    for (const id of [a, c, d]) {
      assert.ok(h.topology(id).connected, `${policy}: ${id} connected`)
      assert.equal(h.deliveryRatio(id, 4000, 5000), 1, `${policy}: ${id} receives`)
    }
  }
})

test('a crashed parent is detected by missed heartbeats; Root keeps the subtree together', () => {
  const { h, a, b, c, d } = chain('grandfather')
  h.at(2000, () => h.crash(b))
  h.runUntil(6000)
  assert.equal(h.metric('parentFailures').length, 1)
  assert.equal(h.metric('childrenDropped').length, 1) // a dropped b
  // Failures use Root even under Grandfather: c re-joined from the source and kept d.
  assert.equal(h.parentOf(c), a)
  assert.equal(h.parentOf(d), c)
  const [transience] = h.metric('transienceMs')
  // Detection takes heartbeatMissLimit beats (3 x 500 ms) plus up to one beat of phase.
  assert.ok(transience! >= 1500 && transience! <= 2200, `transience ${transience}`)
  assert.equal(h.deliveryRatio(d, 4500, 6000), 1)
  assert.equal(h.topology(d).connected, true)
})

test('Root-All on a crash sends every descendant back to the source', () => {
  const { h, c, d, b } = chain('root-all')
  h.at(2000, () => h.crash(b))
  h.runUntil(6000)
  assert.equal(h.metric('parentDiscoveryMs').length, 6)
  assert.equal(h.deliveryRatio(d, 5000, 6000), 1)
  assert.ok(h.topology(c).connected)
})

test('a subtree cut off from the source knows it is not connected', () => {
  const { h, b, c, d } = chain('root')
  h.at(2000, () => h.crash(b))
  h.runUntil(3000) // c has not noticed yet: still claims a connected path through b
  assert.equal(h.topology(d).connected, true)
  // c's beat at 3900 finds b silent for > 1500 ms; by 3915 d has heard c is cut off, and c is
  // still walking (it re-attaches at 3940).
  h.runUntil(3915)
  assert.equal(node(h, c).state, 'joining')
  assert.equal(h.topology(c).connected, false)
  assert.equal(h.topology(d).connected, false)
  h.runUntil(4000)
  assert.equal(h.topology(d).connected, true)
})

test('the player is unaware of parent changes: chunks keep arriving in order without duplicates', () => {
  const { h, b, d } = chain('grandfather')
  h.at(2000, () => h.leave(b))
  h.runUntil(4000)
  const seqs = h.delivered(d)
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'strictly increasing')
})
