import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import {
  DEPTH_DEFAULTS,
  type DepthRow,
  i3DepthPreset,
  type LevelQueriesRow,
} from '../../src/experiment/presets/i3-depth.ts'
import { runTwice } from './run-twice.ts'

test('i3-depth (tiny): deterministic; depth grows with N; upper levels process more queries', async () => {
  const preset = i3DepthPreset({ ...DEPTH_DEFAULTS, sizes: [8, 32], seeds: 2, underlay: TINY_TRANSIT_STUB })
  const { analysis } = await runTwice(preset, 5)
  const depth = analysis.depth as DepthRow[]
  assert.deepEqual(
    depth.map((r) => [r.groupSize, r.paperDepth]),
    [
      [8, 2],
      [32, 3.4],
    ],
  )
  for (const r of depth) assert.equal(r.neverJoined, 0)
  // D = 4: the source takes 4 children, so 8 clients need two levels, 32 at least three.
  assert.ok(depth[0]!.depthMean >= 2 && depth[0]!.depthMean <= 3, `N=8 depth ${depth[0]!.depthMean}`)
  assert.ok(depth[1]!.depthMean >= 3, `N=32 depth ${depth[1]!.depthMean}`)
  assert.ok(depth[1]!.depthMean > depth[0]!.depthMean)
  const queries = analysis.queriesPerLevel as { groupSize: number; levels: LevelQueriesRow[] }
  const levels = queries.levels
  assert.equal(queries.groupSize, 32)
  const level1 = levels.find((l) => l.level === 1)!
  const level2 = levels.find((l) => l.level === 2)!
  // Every later joiner queries the first level; only some reach the second.
  assert.ok(
    level1.queriesMean > 2 * level2.queriesMean,
    `level 1 ${level1.queriesMean}, level 2 ${level2.queriesMean}`,
  )
  assert.ok(level1.queriesMean >= 10)
})
