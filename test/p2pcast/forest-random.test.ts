// Randomized runs of the forest transitions with the invariant checker after every operation.
// A violation names the seed, the step and the operation, so the run can be replayed.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { Forest } from '../../src/overlays/p2pcast/forest.ts'
import { checkForest, treeHeights } from '../../src/overlays/p2pcast/invariants.ts'
import { join, remove } from '../../src/overlays/p2pcast/transitions.ts'

const SOURCE = 0
const SPECIAL = -1

interface RunStats {
  forest: Forest
  /** Operations done by rebuilding the whole forest (f > 2 only; see bootstrap.ts). */
  rebuilds: number
}

function runSeed(f: number, seed: number, steps: number, maxPeers: number): Forest {
  return runSeedStats(f, seed, steps, maxPeers).forest
}

/**
 * Joins, graceful leaves and crashes at random (to the forest model a leave and a crash are the
 * same deletion; they differ in who reports it, which the simulator tests cover).
 */
function runSeedStats(f: number, seed: number, steps: number, maxPeers: number): RunStats {
  const rng = createRng(seed, f)
  const forest = new Forest(f, SOURCE, SPECIAL)
  let next = 1
  let rebuilds = 0
  for (let step = 0; step < steps; step++) {
    const peers = forest.peers()
    const removable = peers.filter((p) => p !== SPECIAL)
    const doJoin = removable.length < 2 || (removable.length < maxPeers && rng.next() < 0.6)
    let op: string
    try {
      if (doJoin) {
        const contact = peers[rng.int(peers.length)]!
        op = `join ${next} via ${contact}`
        rebuilds += join(forest, next++, contact, rng).rebuilds
      } else {
        const victim = removable[rng.int(removable.length)]!
        op = `${step % 2 === 0 ? 'leave' : 'crash'} ${victim}`
        rebuilds += remove(forest, victim, rng).rebuilds
      }
    } catch (err) {
      throw new Error(`f=${f} seed ${seed} step ${step}: ${(err as Error).message}`)
    }
    const violations = checkForest(forest)
    if (violations.length > 0) {
      assert.fail(`f=${f} seed ${seed} step ${step} (${op}): ${violations.slice(0, 5).join('; ')}`)
    }
  }
  return { forest, rebuilds }
}

test('f=2: 24,000 random joins and deletions over 120 seeds keep every forest rule', () => {
  for (let seed = 1; seed <= 120; seed++) runSeed(2, seed, 200, seed % 3 === 0 ? 12 : 60)
})

test('f=2: a large forest under churn keeps every rule', () => {
  const forest = runSeed(2, 777, 3000, 400)
  assert.ok(forest.size > 100)
})

test('f=2: a grown forest stays shallow (height within 2x log2 N)', () => {
  const rng = createRng(9, 9)
  const forest = new Forest(2, SOURCE, SPECIAL)
  const n = 2000
  for (let i = 1; i <= n; i++) {
    const peers = forest.peers()
    join(forest, i, peers[rng.int(peers.length)]!, rng)
  }
  assert.deepEqual(checkForest(forest), [])
  for (const h of treeHeights(forest)) assert.ok(h <= 2 * Math.log2(n), `height ${h}`)
})

// f > 2 (our generalization, docs/architecture/p2pcast.md): small caps keep the forest crossing the
// bootstrap regime (2 <= N < f) and the first legal sizes back and forth; larger ones grow it to a
// few levels. A rebuild (every local try dead-ended) is legal but moves many edges: bounded here.
for (const f of [3, 4, 8, 16]) {
  test(`f=${f}: random joins, leaves and crashes over 40 seeds keep every rule (bootstrap shape below f peers)`, () => {
    let ops = 0
    let rebuilds = 0
    for (let seed = 1; seed <= 40; seed++) {
      const caps = [f + 2, 3 * f, 6 * f]
      const steps = f === 16 ? 100 : 150
      const run = runSeedStats(f, seed, steps, caps[seed % 3]!)
      ops += steps
      rebuilds += run.rebuilds
    }
    if (process.env.P2PCAST_SHOW_REBUILDS) console.log(`f=${f}: ${rebuilds} rebuilds in ${ops} operations`)
    assert.ok(rebuilds <= ops / 50, `f=${f}: ${rebuilds} of ${ops} operations rebuilt the forest`)
  })
}

test('f=3: a large forest under churn keeps every rule', () => {
  const { forest, rebuilds } = runSeedStats(3, 778, 3000, 400)
  assert.ok(forest.size > 100)
  assert.ok(rebuilds <= 10, `${rebuilds} rebuilds`)
})
