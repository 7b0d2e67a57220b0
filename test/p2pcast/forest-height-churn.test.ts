import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { checkForest, Registry, treeHeights } from '../../src/overlays/p2pcast/index.ts'

// f = 16 under churn (issue 4: height within 2x log_f N). With the paper's random shed in the
// deletion ripple these forests went from height 5 after the joins to 9..13 after the churn (seeds
// 1..6, measured); shedding a leaf or the shallowest child keeps them at 5..6.
const F = 16
const PEERS = 1_000
const CHURN_STEPS = 2_000

for (const seed of [1, 2]) {
  test(`f=16, seed ${seed}: 1,000 peers keep their height through 2,000 deletion+join steps`, () => {
    const rng = createRng(seed, PEERS * 32 + F)
    const registry = new Registry(F, 0, rng)
    const ids: number[] = []
    for (let i = 1; i <= PEERS; i++) {
      registry.join(i)
      ids.push(i)
    }
    const grown = Math.max(...treeHeights(registry.forest))
    let next = PEERS + 1
    for (let k = 0; k < CHURN_STEPS; k++) {
      const at = rng.int(ids.length)
      const victim = ids[at]!
      ids[at] = ids[ids.length - 1]!
      ids.pop()
      registry.delete(victim, victim)
      registry.join(next)
      ids.push(next++)
    }
    assert.deepEqual(checkForest(registry.forest), [])
    const churned = Math.max(...treeHeights(registry.forest))
    assert.ok(churned <= grown + 1, `height ${grown} after the joins, ${churned} after the churn`)
  })
}
