import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runExperiment } from '../../src/experiment/experiment.ts'
import { findPreset } from '../../src/experiment/presets/index.ts'
import { p2pcastChurnPreset } from '../../src/experiment/presets/p2pcast-churn.ts'
import { p2pcastFairnessPreset } from '../../src/experiment/presets/p2pcast-fairness.ts'
import { p2pcastScalePreset, type ScaleConfig } from '../../src/experiment/presets/p2pcast-scale.ts'
import { runTwice } from './run-twice.ts'

// Tiny versions of the three presets (the report code is the real one); each runs twice and the
// two results.json and plots must match byte for byte (runTwice).

test('the three p2pcast presets are registered', () => {
  for (const name of ['p2pcast-scale', 'p2pcast-churn', 'p2pcast-fairness']) assert.ok(findPreset(name), name)
})

/** p2pcast-scale with one simulated size of 30 peers under crashes; each test picks its forest sizes. */
const TINY_SCALE: ScaleConfig = {
  forestSizes: [],
  forestChurnOps: 0,
  simSizes: [30],
  maxSimPeers: 30,
  simRampS: 10,
  simJoinsPerS: 50,
  simTailS: 15,
  simCrashPctPerMin: 10,
}

test('p2pcast-scale: tree height grows like log N and stays near 2·log_f N; join cost is flat', async () => {
  const preset = p2pcastScalePreset({ ...TINY_SCALE, forestSizes: [64, 1024, 16_384], forestChurnOps: 500 })
  const { analysis, figures } = await runTwice(preset, 4)
  const forest = analysis.forestModel as {
    peers: number
    log2N: number
    twoLogFN: number
    heightMax: number
    messagesPerJoin: number
    messagesPerLeave: number
  }[]
  assert.deepEqual(
    forest.map((p) => p.peers),
    [64, 1024, 16_384],
  )
  for (const p of forest) {
    assert.ok(p.heightMax >= p.log2N, `N=${p.peers}: height ${p.heightMax} below log2 N`)
    assert.ok(
      p.heightMax <= 1.5 * p.twoLogFN,
      `N=${p.peers}: height ${p.heightMax} vs 2·log_f N ${p.twoLogFN}`,
    )
  }
  // 256× more peers: a logarithmic height grows by far less than 256× (here log2 grows 6 → 14).
  assert.ok(forest[2]!.heightMax > forest[0]!.heightMax)
  assert.ok(forest[2]!.heightMax < 4 * forest[0]!.heightMax)
  assert.ok(forest[2]!.messagesPerJoin < 2 * forest[0]!.messagesPerJoin, 'messages per join stay flat')
  const sim = analysis.simulated as { overlay: string; zeroUploadFraction: number }[]
  assert.deepEqual(sim.map((r) => r.overlay).sort(), ['p2pcast', 'spreadit'])
  assert.equal(sim.find((r) => r.overlay === 'p2pcast')!.zeroUploadFraction, 0)
  assert.ok(sim.find((r) => r.overlay === 'spreadit')!.zeroUploadFraction > 0.3)
  assert.deepEqual(
    figures.map((f) => f.file),
    ['tree-height-vs-N.svg', 'messages-per-op-vs-N.svg', 'zero-upload-vs-N.svg'],
  )
  assert.ok(figures[0]!.svg.includes('forest model'), 'the height plot says how it was measured')
})

test('p2pcast-scale --peers N beyond the simulated sizes runs the forest model only', () => {
  const preset = p2pcastScalePreset({
    forestSizes: [100],
    forestChurnOps: 10,
    simSizes: [30],
    maxSimPeers: 30,
    simRampS: 10,
    simJoinsPerS: 50,
    simTailS: 10,
    simCrashPctPerMin: 0,
  })
  assert.equal(preset.plan({ seed: 1, peers: 100_000 }).length, 0)
  assert.equal(preset.plan({ seed: 1, peers: 30 }).length, 2)
})

test('p2pcast-scale with 3 stripes: results.json says f = 3, the forests keep every rule, heights within 2·log_3 N', async () => {
  const preset = p2pcastScalePreset({ ...TINY_SCALE, forestSizes: [300, 3000], forestChurnOps: 300 })
  const result = await runExperiment(preset, { seed: 4, stripes: 3 })
  const { analysis, runs } = JSON.parse(result.resultsJson)
  assert.equal(analysis.stripes, 3)
  const forest = analysis.forestModel as {
    peers: number
    heights: number[]
    heightMax: number
    logFN: number
    twoLogFN: number
    rebuilds: number
    ruleViolations: number
  }[]
  for (const p of forest) {
    assert.equal(p.heights.length, 3, 'one height per tree')
    assert.equal(p.ruleViolations, 0, `N=${p.peers}: the forest breaks ${p.ruleViolations} rules`)
    // results.json keeps 6 significant digits.
    assert.ok(Math.abs(p.logFN - Math.log(p.peers) / Math.log(3)) < 1e-4, `log_3 ${p.peers} = ${p.logFN}`)
    assert.ok(p.heightMax <= p.twoLogFN, `N=${p.peers}: height ${p.heightMax} vs 2·log_3 N ${p.twoLogFN}`)
    assert.ok(p.heightMax >= p.logFN, `N=${p.peers}: height ${p.heightMax} below log_3 N`)
  }
  const p2pcastRun = runs.find(
    (r: { scenario: { overlay: { name: string } } }) => r.scenario.overlay.name === 'p2pcast',
  )
  assert.equal(p2pcastRun.scenario.overlay.params.stripes, 3)
  assert.equal(p2pcastRun.scenario.viewerLinks[0].uploadKbps, 850, 'upload 3/2 × the stream + 400 kbit/s')
  const sim = analysis.simulated as { overlay: string; zeroUploadFraction: number; continuityMean: number }[]
  // Every non-special peer has f children: nobody that stayed uploads nothing.
  assert.equal(sim.find((r) => r.overlay === 'p2pcast')!.zeroUploadFraction, 0)
  assert.match(result.figures[0]!.svg, /log_3 N/)
  assert.match(result.figures[0]!.svg, /f = 3/)
})

test('p2pcast-churn: parity keeps continuity whole where SpreadIt and parity-less P2PCast lose chunks', async () => {
  const preset = p2pcastChurnPreset({ peers: 100, crashRatesPctPerMin: [0, 20], rampS: 15, durationS: 60 })
  const { analysis, figures } = await runTwice(preset, 3)
  type Row = {
    crashRatePctPerMin: number
    overlay: string
    continuityMean: number
    viewersWithLoss: number
    crashes: number
    repairs: number
  }
  const rows = analysis.comparison as Row[]
  const at = (rate: number, overlay: string) =>
    rows.find((r) => r.crashRatePctPerMin === rate && r.overlay === overlay)!
  assert.equal(rows.length, 6)
  assert.equal(at(0, 'p2pcast').continuityMean, 1)
  assert.equal(at(0, 'spreadit').continuityMean, 1)
  assert.ok(at(20, 'p2pcast').crashes > 0)
  assert.ok(at(20, 'spreadit').viewersWithLoss > 0, 'spreadit loses chunks under these crashes')
  assert.ok(at(20, 'p2pcast-noparity').viewersWithLoss > 0, 'without parity a cut stripe is lost')
  assert.ok(
    at(20, 'p2pcast').continuityMean > at(20, 'spreadit').continuityMean,
    `p2pcast ${at(20, 'p2pcast').continuityMean} vs spreadit ${at(20, 'spreadit').continuityMean}`,
  )
  assert.ok(at(20, 'p2pcast').continuityMean > at(20, 'p2pcast-noparity').continuityMean)
  assert.ok(at(20, 'p2pcast').repairs > 0, 'repair times were measured')
  assert.equal(figures.length, 4)
})

test('p2pcast-fairness: every P2PCast viewer uploads what it downloads; most SpreadIt leaves upload nothing', async () => {
  const preset = p2pcastFairnessPreset({ peers: 60, rampS: 15, durationS: 60 })
  const { analysis } = await runTwice(preset, 5)
  type Row = {
    overlay: string
    viewersMeasured: number
    ratioMin: number
    ratioMax: number
    fractionWithinTolerance: number
    zeroUploadFraction: number
    sourceUploadRatio: number
  }
  const rows = analysis.comparison as Row[]
  const p2p = rows.find((r) => r.overlay === 'p2pcast')!
  const spreadit = rows.find((r) => r.overlay === 'spreadit')!
  assert.equal(p2p.viewersMeasured, 60)
  assert.equal(p2p.fractionWithinTolerance, 1, `ratios ${p2p.ratioMin}..${p2p.ratioMax}`)
  assert.ok(p2p.ratioMin >= 0.95 && p2p.ratioMax <= 1.05)
  assert.equal(p2p.zeroUploadFraction, 0)
  assert.ok(spreadit.zeroUploadFraction > 0.4, `spreadit zero-upload ${spreadit.zeroUploadFraction}`)
  // f = 2: the source sends the data stripe and its parity copy, 2× the stream rate.
  assert.ok(Math.abs(p2p.sourceUploadRatio - 2) < 0.1, `source upload ${p2p.sourceUploadRatio}`)
})
