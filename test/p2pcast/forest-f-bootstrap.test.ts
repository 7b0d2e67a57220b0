// f > 2: the bootstrap shape for 2 <= N < f peers (no legal forest exists there), the way in and
// out of it, and the whole-forest construction used as the last resort for N >= f.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng } from '../../src/core/rng.ts'
import {
  inBootstrapRegime,
  peakSourceStripes,
  rebuildLargeForest,
} from '../../src/overlays/p2pcast/bootstrap.ts'
import { Forest } from '../../src/overlays/p2pcast/forest.ts'
import { checkForest } from '../../src/overlays/p2pcast/invariants.ts'
import { join, remove } from '../../src/overlays/p2pcast/transitions.ts'

const SOURCE = 0
const S = -1

const ok = (forest: Forest, what: string) => assert.deepEqual(checkForest(forest), [], what)

/** Stripes the source sends: one per tree a peer roots, and one per child of the special node. */
function sourceFeeds(forest: Forest): number {
  let feeds = 0
  for (let t = 0; t < forest.f; t++) {
    const root = forest.rootOf(t)
    feeds += root === S ? forest.childrenOf(S, t).length : 1
  }
  return feeds
}

/** Stripes a peer takes from each parent (the source excepted). */
function stripesFrom(forest: Forest, id: number): Map<NodeId, number> {
  const out = new Map<NodeId, number>()
  for (let t = 0; t < forest.f; t++) {
    const p = forest.parentOf(id, t)!
    if (p !== SOURCE && p !== S) out.set(p, (out.get(p) ?? 0) + 1)
  }
  return out
}

test('bootstrap regime: exactly 2 <= N < f, empty for f = 2', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => inBootstrapRegime(2, n)),
    [false, false, false, false],
  )
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => inBootstrapRegime(4, n)),
    [false, true, true, false],
  )
})

for (const f of [3, 4, 8, 16]) {
  test(`f=${f}: growing to f + 3 peers and shrinking back passes through the bootstrap shape and out of it`, () => {
    const rng = createRng(f, 1)
    const forest = new Forest(f, SOURCE, S)
    const members: number[] = []
    let peakFeeds = 0
    for (let n = 1; n <= f + 3; n++) {
      join(forest, n, S, rng)
      members.push(n)
      ok(forest, `after join ${n}`)
      peakFeeds = Math.max(peakFeeds, sourceFeeds(forest))
      if (n >= 2 && n < f) {
        // Each peer roots one tree and uploads N stripes; the special node roots the f - N others.
        const roots = Array.from({ length: f }, (_, t) => forest.rootOf(t))
        assert.equal(roots.filter((r) => r === S).length, f - n)
        for (const id of members) {
          assert.equal(forest.childCount(id), n, `peer ${id} uploads N = ${n} stripes`)
          assert.ok(
            [...stripesFrom(forest, id).values()].every((k) => k === 1),
            'one stripe per parent',
          )
        }
      }
      if (n === f) {
        // The only legal forest at N = f: each peer roots one tree, everyone else its children.
        assert.deepEqual(new Set(Array.from({ length: f }, (_, t) => forest.rootOf(t))), new Set(members))
        for (const id of members) assert.equal(forest.childCount(id), f)
      }
    }
    // The source's upload need (app/upload-need.ts) is this peak: N(f - N + 1) stripes near N = f/2.
    assert.equal(peakFeeds, peakSourceStripes(f), 'the most stripes the source sent while growing')
    while (members.length > 0) {
      const victim = members.splice(rng.int(members.length), 1)[0]!
      remove(forest, victim, rng)
      ok(forest, `after removing ${victim} (${members.length} left)`)
    }
    assert.deepEqual(forest.peers(), [S])
  })
}

test('f=4: a bootstrap join moves each existing peer in one tree only (one stripe at a time)', () => {
  const rng = createRng(3)
  const forest = new Forest(4, SOURCE, S)
  join(forest, 1, S, rng)
  join(forest, 2, S, rng)
  const before = [1, 2].map((id) => Array.from({ length: 4 }, (_, t) => forest.parentOf(id, t)))
  join(forest, 3, S, rng)
  for (const [i, id] of [1, 2].entries()) {
    const moved = Array.from({ length: 4 }, (_, t) => forest.parentOf(id, t)).filter(
      (p, t) => p !== before[i]![t],
    )
    assert.deepEqual(moved, [3], `peer ${id}`)
  }
})

test('the checker refuses a bootstrap forest whose peer roots two trees', () => {
  const forest = new Forest(4, SOURCE, S)
  const rng = createRng(4)
  for (let n = 1; n <= 3; n++) join(forest, n, S, rng)
  ok(forest, 'built')
  // Move peer 1 to also root the special node's tree: it would feed the others twice.
  const t = Array.from({ length: 4 }, (_, u) => u).find((u) => forest.rootOf(u) === S)!
  forest.detach(S, t)
  for (const id of [2, 3]) forest.detach(id, t)
  forest.detach(1, t)
  forest.attach(SOURCE, 1, t)
  for (const id of [2, 3, S]) forest.attach(1, id, t)
  assert.ok(checkForest(forest).some((v) => v.includes('roots two trees')))
  assert.ok(checkForest(forest).some((v) => v.includes('receives two stripes from 1')))
})

for (const f of [3, 4, 8, 16]) {
  test(`f=${f}: the whole-forest construction is legal for every N from f to 5f`, () => {
    const rng = createRng(f, 2)
    const forest = new Forest(f, SOURCE, S)
    for (let n = 1; n <= 5 * f; n++) {
      join(forest, n, S, rng)
      if (n < f) continue
      rebuildLargeForest(forest)
      ok(forest, `N = ${n}`)
    }
  })
}
