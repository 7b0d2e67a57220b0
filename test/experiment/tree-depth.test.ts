import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import type { TopologyView } from '../../src/core/protocol.ts'
import { treeDepths } from '../../src/experiment/tree-depth.ts'

function depthsOf(parents: Record<number, number[]>, viewers: number[], dead: number[] = []) {
  const view = (id: NodeId): TopologyView => ({
    parents: parents[id as number] ?? [],
    children: [],
    connected: true,
    maxChildren: 1,
  })
  return treeDepths(0, viewers, (id) => !dead.includes(id as number), view)
}

test('a chain has depth 1..n', () => {
  const parents: Record<number, number[]> = {}
  for (let i = 1; i <= 5; i++) parents[i] = [i - 1]
  const d = depthsOf(parents, [5, 3, 1, 2, 4])
  assert.deepEqual(
    { inTree: d.inTree, maxDepth: d.maxDepth, meanDepth: d.meanDepth },
    { inTree: 5, maxDepth: 5, meanDepth: 3 },
  )
  assert.deepEqual(d.perStripe, [{ inTree: 5, maxDepth: 5, meanDepth: 3 }])
})

test('a very deep chain does not overflow the stack', () => {
  const parents: Record<number, number[]> = {}
  const ids: number[] = []
  for (let i = 1; i <= 50_000; i++) {
    parents[i] = [i - 1]
    ids.push(i)
  }
  assert.equal(depthsOf(parents, ids.reverse()).maxDepth, 50_000)
})

test('orphans, dead parents and loops are not in the tree', () => {
  // 1 <- 0; 2 <- 1; 3 has no parent; 4 <- 9 (dead); 5 <-> 6 loop; 7 <- 5
  const parents = { 1: [0], 2: [1], 4: [9], 5: [6], 6: [5], 7: [5] }
  const d = depthsOf(parents, [1, 2, 3, 4, 5, 6, 7], [9])
  assert.deepEqual(
    { inTree: d.inTree, maxDepth: d.maxDepth, meanDepth: d.meanDepth },
    { inTree: 2, maxDepth: 2, meanDepth: 1.5 },
  )
})

test('with one parent per stripe the deepest stripe counts', () => {
  // stripe 0: 3 <- 0; stripe 1: 3 <- 2 <- 1 <- 0
  const parents = { 1: [0, 0], 2: [1, 1], 3: [0, 2] }
  assert.deepEqual(depthsOf(parents, [3]), {
    inTree: 1,
    maxDepth: 3,
    meanDepth: 3,
    perStripe: [
      { inTree: 1, maxDepth: 1, meanDepth: 1 },
      { inTree: 1, maxDepth: 3, meanDepth: 3 },
    ],
  })
})

test('trees that feed each other are not loops: each stripe is followed on its own', () => {
  // P2PCast f = 2: 1 is the root of tree 0 and feeds 2 there; 2 is the root of tree 1 and feeds 1.
  const parents = { 1: [0, 2], 2: [1, 0], 3: [2, 1] }
  const d = depthsOf(parents, [1, 2, 3])
  assert.equal(d.inTree, 3)
  assert.equal(d.maxDepth, 3)
  assert.deepEqual(
    d.perStripe.map((s) => s.maxDepth),
    [3, 3],
  )
})

test('a loop inside one stripe takes its nodes out of the tree', () => {
  const parents = { 1: [0, 2], 2: [0, 1] }
  const d = depthsOf(parents, [1, 2])
  assert.equal(d.inTree, 0)
  assert.deepEqual(
    d.perStripe.map((s) => s.inTree),
    [2, 0],
  )
})
