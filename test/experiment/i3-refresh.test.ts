import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RefreshPoint } from '../../src/experiment/i3/refresh-run.ts'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import { I3_REFRESH_DEFAULTS, i3RefreshPreset } from '../../src/experiment/presets/i3-refresh.ts'
import { findPreset } from '../../src/experiment/presets/index.ts'
import { runTwice } from './run-twice.ts'

test('i3-refresh is registered', () => {
  assert.ok(findPreset('i3-refresh'))
})

test('i3-refresh (tiny): deterministic; refresh-level caps the busiest trigger below refresh-unif', async () => {
  const preset = i3RefreshPreset({
    ...I3_REFRESH_DEFAULTS,
    sizes: [16, 120],
    servers: 64,
    // D = 4 makes 120 receivers a five-level tree, so some triggers have refreshers more than two
    // levels below them (with D = 8 that takes ~500 receivers): where refresh-level differs.
    params: { ...I3_REFRESH_DEFAULTS.params, maxTriggersPerId: 4 },
    underlay: TINY_TRANSIT_STUB,
    settleS: 30,
    periods: 3,
  })
  const { figures, analysis } = await runTwice(preset, 5)
  assert.deepEqual(
    figures.map((f) => f.file),
    ['refresh-max-vs-size.svg', 'refresh-mean-vs-size.svg'],
  )
  for (const f of figures) assert.match(f.svg, /paper|§4/, `${f.file} shows the paper's reference`)
  const points = analysis.points as RefreshPoint[]
  const at = (n: number, scheme: string) => points.find((p) => p.receivers === n && p.scheme === scheme)!
  for (const p of points) {
    assert.equal(p.neverJoined, 0, `N=${p.receivers} ${p.scheme}: everyone joined`)
    assert.ok(p.tree.triggers >= p.receivers - 1, `N=${p.receivers} ${p.scheme}: a tree trigger per receiver`)
    assert.ok(p.tree.mean >= 1, 'every tree trigger is refreshed at least once per T')
  }
  // naive: every receiver refreshes its whole path every T/k, so a trigger gets k x its subtree
  // per T; the source takes D = 4 children, so one level-1 subtree holds at least 120 / 4.
  const k = at(120, 'naive').refreshLossFactor
  assert.ok(
    at(120, 'naive').tree.maxMean >= (120 / 4) * k,
    'naive: the busiest trigger gets its subtree k times',
  )
  // The headline of Fig. 12 at the largest size.
  assert.ok(
    at(120, 'level').tree.maxMean < at(120, 'unif').tree.maxMean,
    `max per period: level ${at(120, 'level').tree.maxMean} vs unif ${at(120, 'unif').tree.maxMean}`,
  )
  // Suppression keeps the mean near the paper's 1.5 per refresh period (T/k), far below naive.
  for (const scheme of ['unif', 'level'])
    assert.ok(at(120, scheme).treePerRefreshPeriod.mean < 2.5, `${scheme} mean per T/k`)
  assert.equal((analysis.paper as { averagePerRefreshPeriod: number }).averagePerRefreshPeriod, 1.5)
})
