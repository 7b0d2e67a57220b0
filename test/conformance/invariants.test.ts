import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import type { TopologyView } from '../../src/core/protocol.ts'
import {
  assertNoViolations,
  checkAcyclic,
  checkBounded,
  checkCapacity,
  checkReachable,
  InvariantViolationError,
  type TopologySnapshot,
  unreachableViewers,
} from '../../src/sim/check/index.ts'

function snap(views: Record<number, Partial<TopologyView>>, upload = 1000): TopologySnapshot {
  const map = new Map<NodeId, TopologyView>()
  for (const [id, v] of Object.entries(views)) {
    map.set(Number(id), { parents: [], children: [], connected: true, maxChildren: 2, ...v })
  }
  return { sourceId: 0, nodes: [...map.keys()], views: map, uploadKbps: () => upload }
}

test('a loop of parents is reported with its members; a healthy tree is not', () => {
  const healthy = snap({ 0: { children: [1, 2] }, 1: { parents: [0] }, 2: { parents: [0] } })
  assert.deepEqual(checkAcyclic(healthy), [])
  const looped = snap({
    0: {},
    1: { parents: [3] },
    2: { parents: [1] },
    3: { parents: [2] },
    4: { parents: [3] },
  })
  const found = checkAcyclic(looped)
  assert.equal(found.length, 1)
  assert.equal(found[0]!.detail, 'tree 0: cycle 1 -> 3 -> 2 -> 1')
})

test('stripes are separate trees: crossing parents across indexes is not a loop', () => {
  const crossed = snap({ 0: {}, 1: { parents: [0, 2] }, 2: { parents: [1, 0] } })
  assert.deepEqual(checkAcyclic(crossed), [])
  const looped = snap({ 0: {}, 1: { parents: [0, 2] }, 2: { parents: [0, 1] } })
  assert.equal(checkAcyclic(looped).length, 1)
})

test('a node that claims a feed must reach the source; dead parents end the walk', () => {
  // 3's parent 9 is not live (crashed): 3 and its child 4 cannot reach the source.
  const s = snap({
    0: {},
    1: { parents: [0] },
    3: { parents: [9] },
    4: { parents: [3] },
    5: { parents: [], connected: false },
  })
  assert.deepEqual(
    checkReachable(s).map((v) => v.node),
    [3, 4],
  )
  assert.deepEqual(unreachableViewers(s), [3, 4, 5])
})

test('capacity: too many children, or a limit the upload cannot pay for', () => {
  const s = snap({ 0: { children: [1, 2, 3], maxChildren: 2 }, 1: { maxChildren: 3 } }, 1000)
  const found = checkCapacity(s, 400)
  assert.deepEqual(
    found.map((v) => v.node),
    [0, 1],
  )
  assert.match(found[0]!.detail, /3 children, limit 2/)
  assert.match(found[1]!.detail, /limit 3 x 400 kbit\/s exceeds upload 1000/)
})

test('bounded: duplicate children and oversized lists are reported', () => {
  const s = snap({ 0: { children: [1, 1] }, 1: { parents: [0, 0, 0] } })
  assert.equal(checkBounded(s, 2, 10).length, 2)
})

test('a violation error names the seed and the step to replay', () => {
  assert.doesNotThrow(() => assertNoViolations([], { seed: 1, step: 0, timeMs: 0 }))
  assert.throws(
    () =>
      assertNoViolations([{ invariant: 'acyclic', node: 4, detail: 'x' }], {
        seed: 42,
        step: 17,
        timeMs: 1234,
      }),
    (e: Error) => e instanceof InvariantViolationError && /seed 42, step 17, t=1234.0 ms/.test(e.message),
  )
})
