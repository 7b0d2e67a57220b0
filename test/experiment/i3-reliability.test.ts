import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ReliabilityPoint } from '../../src/experiment/i3/reliability-run.ts'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import {
  I3_RELIABILITY_DEFAULTS,
  I3_TABLE_1,
  i3ReliabilityPreset,
} from '../../src/experiment/presets/i3-reliability.ts'
import { findPreset } from '../../src/experiment/presets/index.ts'
import { runTwice } from './run-twice.ts'

test('i3-reliability is registered and carries Table 1 as printed', () => {
  assert.ok(findPreset('i3-reliability'))
  assert.deepEqual(I3_TABLE_1[3], {
    size: 1024,
    repairsPerDropLoss: [1.18, 0.08],
    repairsPerDropRandom: [1.19, 0.07],
    maxPerSeqLoss: [3.89, 0.24],
    maxPerSeqRandom: [0.64, 0.05],
  })
})

test('i3-reliability (tiny): deterministic; every drop recovered, at least one request per drop', async () => {
  const preset = i3ReliabilityPreset({
    ...I3_RELIABILITY_DEFAULTS,
    sizes: [16, 48],
    cdfSize: 48,
    servers: 64,
    underlay: TINY_TRANSIT_STUB,
    lossWarmupS: 5,
    windowS: 20,
    tailS: 5,
  })
  const { figures, analysis } = await runTwice(preset, 7)
  assert.deepEqual(
    figures.map((f) => f.file),
    [
      'duplicates-per-drop-vs-size.svg',
      'repairs-per-drop-vs-size.svg',
      'max-requests-per-seq-vs-size.svg',
      'recovery-time-cdf-48.svg',
    ],
  )
  const rows = analysis.rows as (ReliabilityPoint & { size: number })[]
  assert.deepEqual(
    rows.map((r) => [r.size, r.scheme]),
    [
      [16, 'loss'],
      [16, 'random'],
      [48, 'loss'],
      [48, 'random'],
    ],
  )
  for (const r of rows) {
    const at = `N=${r.size} ${r.scheme}`
    assert.equal(r.neverJoined, 0, `${at}: everyone joined`)
    assert.equal(r.receivers, r.size, `${at}: every receiver measured`)
    assert.ok(r.drops > 0, `${at}: §6.3's loss rates drop packets`)
    assert.ok(r.dropRate > 0.01 && r.dropRate < 0.3, `${at}: drop rate ${r.dropRate}`)
    assert.equal(r.unrecovered, 0, `${at}: every receiver recovers every loss`)
    assert.ok(r.repairsPerDrop >= 1, `${at}: repairs per drop ${r.repairsPerDrop}`)
    assert.ok(r.maxRepairRequestsPerSeq > 0)
    assert.ok(r.recoveryMs.max < 5000, `${at}: slowest recovery ${r.recoveryMs.max} ms`)
  }
  const paper = analysis.paper as { fig13b: { fractionWithin600Ms: number } }
  assert.equal(paper.fig13b.fractionWithin600Ms, 0.85)
})
