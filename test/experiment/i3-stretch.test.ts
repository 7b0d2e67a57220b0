import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runExperiment } from '../../src/experiment/experiment.ts'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import {
  i3StretchPreset,
  STRETCH_DEFAULTS,
  type StretchRow,
} from '../../src/experiment/presets/i3-stretch.ts'
import { findPreset } from '../../src/experiment/presets/index.ts'

test('i3-stretch and i3-depth are registered', () => {
  assert.ok(findPreset('i3-stretch'))
  assert.ok(findPreset('i3-depth'))
})

test('i3-stretch (tiny): deterministic; stretch >= 1 everywhere, RMD and RAD small, stress counted', async () => {
  const preset = i3StretchPreset({
    ...STRETCH_DEFAULTS,
    sizes: [16, 64],
    servers: 64,
    underlay: TINY_TRANSIT_STUB,
  })
  const a = await runExperiment(preset, { seed: 3 })
  const b = await runExperiment(preset, { seed: 3 })
  assert.equal(a.resultsJson, b.resultsJson, 'results.json differs between two runs')
  assert.deepEqual(
    a.figures.map((f) => f.svg),
    b.figures.map((f) => f.svg),
  )
  assert.deepEqual(
    a.figures.map((f) => f.file),
    ['stretch-vs-group-size.svg', 'link-stress-vs-group-size.svg'],
  )
  for (const f of a.figures) {
    assert.match(f.svg, /seed 3/, `${f.file} says its seed`)
    assert.match(f.svg, /paper/, `${f.file} shows the paper's figures`)
  }
  const analysis = JSON.parse(a.resultsJson).analysis
  const rows = analysis.rows as StretchRow[]
  assert.deepEqual(
    rows.map((r) => r.groupSize),
    [16, 64],
  )
  for (const r of rows) {
    assert.equal(r.neverJoined, 0, `N=${r.groupSize}: everyone joined`)
    assert.equal(r.missedTracedChunk, 0, `N=${r.groupSize}: everyone got the traced chunk`)
    // Shortest-path unicast is a lower bound on any overlay path.
    assert.equal(r.belowOneStretch, 0)
    assert.ok(r.p90Stretch >= 1 && r.p90Stretch < 10, `N=${r.groupSize}: p90 stretch ${r.p90Stretch}`)
    assert.ok(r.rmd >= 1 && r.rmd < 4, `N=${r.groupSize}: RMD ${r.rmd}`)
    assert.ok(r.rad >= 1 && r.rad < 4, `N=${r.groupSize}: RAD ${r.rad}`)
    assert.ok(r.maxStress >= 1 && r.p99Stress <= r.maxStress)
    assert.ok(r.depthMax >= 1)
  }
  // More receivers behind the same links: the hottest link carries more copies.
  assert.ok(rows[1]!.maxStress >= rows[0]!.maxStress)
  assert.equal(analysis.paper.p90StretchAtMost, 3.5)
  assert.match(analysis.comparison.rmd, /RMD .* vs paper <= 1.5/)
})
