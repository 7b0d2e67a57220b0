import assert from 'node:assert/strict'
import { test } from 'node:test'
import { modelJoins } from '../../src/experiment/i3/join-model.ts'
import { measureI3Tree, modelI3Placement } from '../../src/experiment/i3/measure-tree.ts'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import { MatrixUnderlay } from '../sim/fixtures/matrix-underlay.ts'

// Hosts on a line: host h at position POS[h], latency = distance.
const POS = [0, 10, 20, 30, 40, 5, 100]
const line = new MatrixUnderlay((a, b) => Math.abs(POS[a]! - POS[b]!))

test('join model: Fig. 4 on exact latencies (D = 2, the walk descends through full members only)', () => {
  const m = modelJoins({
    underlay: line,
    sourceHost: 0,
    rootHost: 0,
    receiverHosts: [1, 2, 3, 4, 5],
    maxChildren: 2,
  })
  // 10 and 20 join the source; 30 and 40 tie between them and take the first (10); 5 walks through
  // the full 10 (15 ms away) but the best joinable member seen is 20 (35 ms), below 10's children.
  assert.deepEqual([...m.delayMs], [10, 20, 30, 40, 35])
  assert.deepEqual([...m.level], [1, 1, 2, 2, 2])
})

test("join model: the source's children hang off the group root's server", () => {
  const m = modelJoins({ underlay: line, sourceHost: 0, rootHost: 6, receiverHosts: [1], maxChildren: 2 })
  // source -> idg's server at 100 -> receiver at 10.
  assert.deepEqual([...m.delayMs], [100 + 90])
})

test('the model alone sees the placement a simulated run has (placement does not depend on timing)', () => {
  const options = {
    seed: 9,
    receivers: 40,
    servers: 24,
    underlay: TINY_TRANSIT_STUB,
    params: { maxTriggersPerId: 4 },
    joinsPerS: 10,
  }
  const simulated = measureI3Tree(options).model
  assert.deepEqual(modelI3Placement(options), simulated)
  assert.ok(simulated.stretch.receivers === 40 && simulated.depthMax >= 3)
})
