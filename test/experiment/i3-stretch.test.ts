import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import {
  i3StretchPreset,
  STRETCH_DEFAULTS,
  type StretchRow,
} from '../../src/experiment/presets/i3-stretch.ts'
import { findPreset } from '../../src/experiment/presets/index.ts'
import { runTwice } from './run-twice.ts'

test('i3-stretch and i3-depth are registered', () => {
  assert.ok(findPreset('i3-stretch'))
  assert.ok(findPreset('i3-depth'))
})

test('i3-stretch (tiny): deterministic; stretch >= 1 everywhere, RMD and RAD small, stress counted', async () => {
  const preset = i3StretchPreset({
    ...STRETCH_DEFAULTS,
    sizes: [16, 64, 256],
    maxSimulatedPeers: 64,
    servers: 64,
    underlay: TINY_TRANSIT_STUB,
  })
  const { figures, analysis } = await runTwice(preset, 3)
  assert.deepEqual(
    figures.map((f) => f.file),
    ['stretch-vs-group-size.svg', 'link-stress-vs-group-size.svg'],
  )
  for (const f of figures) assert.match(f.svg, /paper/, `${f.file} shows the paper's figures`)
  const rows = analysis.rows as StretchRow[]
  const paper = analysis.paper as { p90StretchAtMost: number }
  const comparison = analysis.comparison as Record<string, string>
  assert.deepEqual(
    rows.map((r) => [r.groupSize, r.simulated !== null]),
    [
      [16, true],
      [64, true],
      [256, false],
    ],
  )
  for (const r of rows.slice(0, 2)) {
    const s = r.simulated!
    assert.equal(s.neverJoined, 0, `N=${r.groupSize}: everyone joined`)
    assert.equal(s.missedTracedChunk, 0, `N=${r.groupSize}: everyone got the traced chunk`)
    // Shortest-path unicast is a lower bound on any overlay path.
    assert.equal(s.belowOneStretch, 0)
    assert.ok(s.p90Stretch >= 1 && s.p90Stretch < 20, `N=${r.groupSize}: p90 stretch ${s.p90Stretch}`)
    assert.ok(s.rmd >= 1 && s.rmd < 5, `N=${r.groupSize}: RMD ${s.rmd}`)
    assert.ok(s.rad >= 1 && s.rad < 5, `N=${r.groupSize}: RAD ${s.rad}`)
    assert.ok(s.maxStress >= 1 && s.p99Stress <= s.maxStress)
    assert.ok(s.depthMax >= 1)
  }
  for (const r of rows) {
    // Fig. 4 on exact latencies cannot beat unicast either.
    assert.ok(r.model.rad >= 1 && r.model.rmd >= 1, `N=${r.groupSize}: model RAD ${r.model.rad}`)
    assert.ok(r.model.depthMax >= 1)
  }
  // More receivers behind the same links: the hottest link carries more copies.
  assert.ok(rows[1]!.simulated!.maxStress >= rows[0]!.simulated!.maxStress)
  assert.ok(rows[2]!.model.maxStress >= rows[1]!.model.maxStress)
  assert.equal(paper.p90StretchAtMost, 3.5)
  assert.match(comparison.rmd!, /RMD .* at 64 .* vs paper <= 1.5/)
  assert.match(comparison.rmd!, /model .* at 256/)
})
