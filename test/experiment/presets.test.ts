import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runExperiment } from '../../src/experiment/experiment.ts'
import { findPreset, presets } from '../../src/experiment/presets/index.ts'
import { spreaditPolicies } from '../../src/experiment/presets/spreadit-policies.ts'

test('spreadit-chain: packet delay grows linearly with hop count (SpreadIt Fig. 7)', async () => {
  const result = await runExperiment(findPreset('spreadit-chain')!, { seed: 2, peers: 6 })
  const { analysis, runs } = JSON.parse(result.resultsJson)
  const hops = analysis.points.map((p: { hops: number }) => p.hops)
  assert.deepEqual(hops, [1, 2, 3, 4, 5, 6], 'one viewer per hop: a chain')
  assert.ok(analysis.fit.slopeMsPerHop > 5, `slope ${analysis.fit.slopeMsPerHop} ms/hop`)
  assert.ok(analysis.fit.r2 > 0.95, `R² ${analysis.fit.r2}`)
  assert.equal(runs[0].metrics.treeDepthAtEnd.max, 6)
  assert.equal(result.figures[0]!.file, 'delay-vs-hops.svg')
  assert.ok(result.figures[0]!.svg.includes('mean packet delay vs hop count'))
})

test('spreadit-policies plans every add × delete pair, at the sizes asked for', () => {
  const all = spreaditPolicies.plan({ seed: 1 })
  assert.equal(all.length, 5 * 4 * 2)
  const small = spreaditPolicies.plan({ seed: 3, peers: 500 })
  assert.equal(small.length, 20)
  assert.equal(new Set(small.map((r) => r.label)).size, 20)
  for (const { scenario } of small) {
    assert.equal(scenario.seed, 3)
    assert.ok(scenario.churn.every((c) => c.maxPeers === 500))
    assert.ok(scenario.churn.some((c) => c.crashFraction > 0))
  }
})

test('spreadit-policies report: a row per run and titled plots per metric', async () => {
  const preset = {
    ...spreaditPolicies,
    // Two pairs of a tiny swarm keep the test fast; the report code is the real one.
    plan: (opts: { seed: number }) =>
      spreaditPolicies
        .plan({ seed: opts.seed, peers: 40 })
        .filter((r) => r.label.startsWith('random/') || r.label === 'knock-downs/root N=40')
        .map((r) => ({
          ...r,
          scenario: { ...r.scenario, durationS: 40, underlay: { kind: 'constant' as const, latencyMs: 20 } },
        })),
  }
  const result = await runExperiment(preset, { seed: 4 })
  const { analysis } = JSON.parse(result.resultsJson)
  assert.equal(analysis.comparison.length, 5)
  for (const row of analysis.comparison) {
    assert.ok(row.continuityMean > 0, `${row.add}/${row.del} continuity ${row.continuityMean}`)
    assert.ok(row.parentDiscoveryP50Ms > 0)
  }
  const bars = result.figures.find((f) => f.file === 'parent-discovery-p90-N40.svg')
  assert.ok(bars)
  assert.ok(bars.svg.includes('Time to discover a parent, p90 by add/delete policy'))
  assert.ok(bars.svg.includes('N=40 peers under churn'))
  assert.ok(bars.svg.includes('chunks/s'))
  assert.ok(bars.svg.includes('seed 4'))
  assert.ok(result.figures.some((f) => f.file === 'cdf-transience-N40.svg'))
  assert.match(result.table, /knock-downs/)
})

test('preset names are unique', () => {
  assert.equal(new Set(presets.map((p) => p.name)).size, presets.length)
})
