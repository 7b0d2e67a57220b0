import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runExperiment } from '../../src/experiment/experiment.ts'
import type { RefreshPoint } from '../../src/experiment/i3/refresh-run.ts'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import { I3_REFRESH_DEFAULTS, i3RefreshPreset } from '../../src/experiment/presets/i3-refresh.ts'
import { findPreset } from '../../src/experiment/presets/index.ts'

test('i3-refresh is registered', () => {
  assert.ok(findPreset('i3-refresh'))
})

test('i3-refresh (tiny): deterministic; refresh-level caps the busiest trigger below refresh-unif', async () => {
  const preset = i3RefreshPreset({
    ...I3_REFRESH_DEFAULTS,
    sizes: [16, 100],
    servers: 64,
    underlay: TINY_TRANSIT_STUB,
    settleS: 30,
    periods: 3,
  })
  const a = await runExperiment(preset, { seed: 5 })
  const b = await runExperiment(preset, { seed: 5 })
  assert.equal(a.resultsJson, b.resultsJson, 'results.json differs between two runs')
  assert.deepEqual(
    a.figures.map((f) => f.svg),
    b.figures.map((f) => f.svg),
  )
  assert.deepEqual(
    a.figures.map((f) => f.file),
    ['refresh-max-vs-size.svg', 'refresh-mean-vs-size.svg'],
  )
  for (const f of a.figures) {
    assert.match(f.svg, /seed 5/, `${f.file} says its seed`)
    assert.match(f.svg, /paper|§4/, `${f.file} shows the paper's reference`)
  }
  const analysis = JSON.parse(a.resultsJson).analysis
  const points = analysis.points as RefreshPoint[]
  const at = (n: number, scheme: string) => points.find((p) => p.receivers === n && p.scheme === scheme)!
  for (const p of points) {
    assert.equal(p.neverJoined, 0, `N=${p.receivers} ${p.scheme}: everyone joined`)
    assert.ok(p.tree.triggers >= p.receivers - 1, `N=${p.receivers} ${p.scheme}: a tree trigger per receiver`)
    assert.ok(p.tree.mean >= 1, 'every tree trigger is refreshed at least once per T')
  }
  // naive: every receiver refreshes its whole path every T/k, so a trigger gets k x subtree size.
  const k = at(100, 'naive').refreshLossFactor
  assert.ok(at(100, 'naive').tree.maxMean >= 8 * k, 'naive: the busiest trigger gets its subtree k times')
  // The headline of Fig. 12 at the largest size.
  assert.ok(
    at(100, 'level').tree.maxMean < at(100, 'unif').tree.maxMean,
    `max per period: level ${at(100, 'level').tree.maxMean} vs unif ${at(100, 'unif').tree.maxMean}`,
  )
  // Suppression keeps the mean near the paper's 1.5 per refresh period (T/k), far below naive.
  for (const scheme of ['unif', 'level'])
    assert.ok(at(100, scheme).treePerRefreshPeriod.mean < 2.5, `${scheme} mean per T/k`)
  assert.equal(analysis.paper.averagePerRefreshPeriod, 1.5)
})
