// The paper's cases one by one on small forests (f = 2), with the checker after each step.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng } from '../../src/core/rng.ts'
import { Forest } from '../../src/overlays/p2pcast/forest.ts'
import { checkForest } from '../../src/overlays/p2pcast/invariants.ts'
import {
  completeTree,
  incompleteParent,
  join,
  remove,
  removeDead,
  roleOf,
} from '../../src/overlays/p2pcast/transitions.ts'

const S = -1

function fresh(): Forest {
  return new Forest(2, 0, S)
}

const ok = (forest: Forest) => assert.deepEqual(checkForest(forest), [])

test('bootstrap: the special node is the root of every tree', () => {
  const forest = fresh()
  ok(forest)
  assert.equal(forest.rootOf(0), S)
  assert.equal(forest.rootOf(1), S)
})

test('special node case: the first peer adopts the special node in both trees', () => {
  const forest = fresh()
  join(forest, 1, S, createRng(1))
  ok(forest)
  assert.deepEqual([forest.rootOf(0), forest.rootOf(1)], [1, 1])
  assert.deepEqual([forest.childrenOf(1, 0), forest.childrenOf(1, 1)], [[S], [S]])
  assert.equal(roleOf(forest, 1), 'incomplete')
})

for (const contact of [1, S]) {
  test(`incomplete node case${contact === S ? ' via an only-child (redirect)' : ''}: Fig. 2`, () => {
    const forest = fresh()
    join(forest, 1, S, createRng(1))
    if (contact === S) assert.equal(incompleteParent(forest, S), 1)
    join(forest, 2, contact, createRng(2))
    ok(forest)
    // A (= 1) serves in one tree with children {S, N}; N took A's place in the other, adopting A and C (= S).
    const p = completeTree(forest, 1)
    const q = 1 - p
    assert.deepEqual([...forest.childrenOf(1, p)].sort(), [S, 2].sort())
    assert.equal(forest.rootOf(q), 2)
    assert.deepEqual([...forest.childrenOf(2, q)].sort(), [S, 1].sort())
    assert.equal(roleOf(forest, 2), 'complete')
  })
}

test('complete node at a root (footnote 3): N takes A’s leaf place and walks down A’s own tree', () => {
  const forest = fresh()
  join(forest, 1, S, createRng(1))
  join(forest, 2, 1, createRng(2))
  const p = completeTree(forest, 1)
  assert.equal(forest.rootOf(p), 1)
  join(forest, 3, 1, createRng(3))
  ok(forest)
  // N adopted A (= 1) in the other tree; the walk from the root ended at a leaf: N is incomplete.
  assert.deepEqual(forest.childrenOf(3, 1 - p), [1])
  assert.equal(roleOf(forest, 3), 'incomplete')
  assert.equal(forest.childrenOf(3, p).length, 1)
})

test('deleting an incomplete node puts its children in its places', () => {
  const forest = fresh()
  join(forest, 1, S, createRng(1))
  join(forest, 2, 1, createRng(2))
  join(forest, 3, 1, createRng(3))
  const kids = [forest.childrenOf(3, 0)[0], forest.childrenOf(3, 1)[0]]
  const parents = [forest.parentOf(3, 0), forest.parentOf(3, 1)]
  remove(forest, 3, createRng(4))
  ok(forest)
  assert.deepEqual([forest.parentOf(kids[0]!, 0), forest.parentOf(kids[1]!, 1)], parents)
})

test('deleting a complete node high in a big tree: bubble, ripple and final adoption keep the rules', () => {
  const rng = createRng(5)
  const forest = fresh()
  for (let i = 1; i <= 300; i++) {
    const peers = forest.peers()
    join(forest, i, peers[rng.int(peers.length)]!, rng)
  }
  let fallbacks = 0
  for (let k = 0; k < 100; k++) {
    // The root of a tree is complete and as high as it gets: the longest ripple.
    const victim = forest.rootOf(k % 2)
    assert.equal(roleOf(forest, victim), 'complete')
    const cost = remove(forest, victim, rng)
    fallbacks += cost.fallbacks
    ok(forest)
    join(forest, 1000 + k, forest.peers()[rng.int(forest.size - 1)]!, rng)
    ok(forest)
  }
  assert.ok(fallbacks < 50, `${fallbacks} repairs needed a fallback`)
})

/** A forest of `n` peers joined at random contacts (f = 2). */
function grown(n: number, seed: number): Forest {
  const rng = createRng(seed)
  const forest = fresh()
  for (let i = 1; i <= n; i++) {
    const peers = forest.peers()
    join(forest, i, peers[rng.int(peers.length)]!, rng)
  }
  ok(forest)
  return forest
}

/** A peer that has a leaf child in some tree, and that child, for the peer-mode cases below. */
function nodeWithLeafChild(forest: Forest): { x: NodeId; child: NodeId; tree: number } {
  for (const x of forest.peers()) {
    if (x === S) continue
    for (let t = 0; t < 2; t++) {
      const child = forest.childrenOf(x, t).find((c) => c !== S && forest.isLeaf(c, t))
      if (child !== undefined) return { x, child, tree: t }
    }
  }
  throw new Error('no peer with a leaf child')
}

test('peer mode: a dead node short of a child (a repair changed it while dead) is removed, its extra slot returned', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const forest = grown(20, seed)
    // A repair took `child` from x while x was dead: x's place, as its neighbours tell it, lists
    // f - 1 children, and `child` waits for a parent elsewhere.
    const { x, child, tree } = nodeWithLeafChild(forest)
    forest.detach(child, tree)
    const before = forest.peers().filter((id) => id !== x && id !== child)
    // `remove` dead-ends on every try and leaves the forest as it was.
    assert.throws(() => remove(forest, x, createRng(seed)), /free slots after a repair/)
    const { freeSlots } = removeDead(forest, x, createRng(seed))
    assert.equal(freeSlots.length, 1, `seed ${seed}`)
    assert.equal(forest.peers().includes(x), false)
    // Everything else keeps the rules: the only complaints are the returned slot's owner (f - 1
    // children) and the child that lost its parent before the deletion.
    const slot = freeSlots[0]!
    assert.equal(forest.childCount(slot.node), 1, `seed ${seed}`)
    for (const line of checkForest(forest)) {
      const named = before.filter((id) => id !== slot.node && new RegExp(`(^|\\D)${id}:`).test(line))
      assert.deepEqual(named, [], `seed ${seed}: ${line}`)
    }
  }
})

test('peer mode: more orphans than free slots is a dead end to retry, not a crash (moveSlotDown)', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const forest = grown(20, seed)
    // A place put together from peers: x lists a leaf of another parent as its own extra child,
    // so deleting x orphans one node more than it frees slots.
    const { x } = nodeWithLeafChild(forest)
    const other = forest
      .peers()
      .find(
        (id) =>
          id !== x &&
          id !== S &&
          forest.parentOf(id, 0) !== x &&
          forest.isLeaf(id, 0) &&
          forest.parentOf(x, 0) !== id,
      )!
    forest.detach(other, 0)
    forest.attach(x, other, 0)
    assert.throws(
      () => remove(forest, x, createRng(seed)),
      (err: Error) => err.name === 'LocalProtocolError' && /failed 16 times/.test(err.message),
      `seed ${seed}`,
    )
  }
})
