import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runScenario } from '../../src/experiment/run.ts'
import { parseScenario, ScenarioError } from '../../src/experiment/scenario.ts'
import { scenarioExperiment, withPeers } from '../../src/experiment/scenario-experiment.ts'

const base = {
  durationS: 20,
  overlay: { name: 'spreadit', params: { maxChildren: 1 } },
  underlay: { kind: 'constant', latencyMs: 25 },
  stream: { kbps: 200, chunkRateHz: 10 },
  sourceLink: { uploadKbps: 1000, downloadKbps: 1000 },
  viewerLinks: [{ uploadKbps: 1000, downloadKbps: 4000 }],
  viewers: { count: 4, startS: 1, intervalS: 1 },
}

test('--peers sets the joining viewers, or caps every churn phase', () => {
  const joins = parseScenario(base)
  assert.equal(withPeers(joins, 9).viewers.count, 9)
  const churn = parseScenario({
    ...base,
    viewers: undefined,
    churn: [
      { arrivalsPerS: 1, startS: 0, endS: 5, session: { dist: 'fixed', s: 10 } },
      { arrivalsPerS: 1, startS: 5, endS: 10, session: { dist: 'fixed', s: 10 }, maxPeers: 3 },
    ],
  })
  assert.deepEqual(
    withPeers(churn, 7).churn.map((c) => c.maxPeers),
    [7, 7],
  )
  const planned = scenarioExperiment(joins, 'x.yaml').plan({ seed: 9, peers: 2 })
  assert.equal(planned[0]!.scenario.seed, 9)
  assert.equal(planned[0]!.scenario.viewers.count, 2)
})

test('a chain on a constant underlay: each hop adds the link latency plus serialization', () => {
  const run = runScenario(parseScenario(base))
  const byHops = run.viewers
    .map((v) => [v.meanHops, v.meanChunkDelayMs] as const)
    .sort((a, b) => a[0]! - b[0]!)
  assert.deepEqual(
    byHops.map(([h]) => h),
    [1, 2, 3, 4],
  )
  // A chunk of 200 kbit/s at 10 per s is 2,500 bytes (+ ~140 header/auth): ~21 ms on the 1,000
  // kbit/s uplink, 25 ms on the wire, ~5 ms on the 4,000 kbit/s downlink: ~51 ms a hop.
  const steps = byHops.slice(1).map(([, d], i) => d! - byHops[i]![1]!)
  for (const step of steps) assert.ok(step > 50 && step < 53, `per-hop delay ${step} ms`)
  assert.equal(run.metrics.treeDepthAtEnd.max, 4)
  assert.equal(run.samples.length, 2)
})

test('an unknown overlay is a scenario error naming the known ones', () => {
  assert.throws(
    () => runScenario(parseScenario({ ...base, overlay: { name: 'nope' } })),
    (err: unknown) => {
      assert.ok(err instanceof ScenarioError)
      assert.match(err.message, /scenario\.overlay\.name: unknown overlay "nope" \(known: .*spreadit/)
      return true
    },
  )
  assert.throws(
    () =>
      runScenario(
        parseScenario({ ...base, overlay: { name: 'spreadit', params: { addPolicy: 'psychic' } } }),
      ),
    /scenario\.overlay\.params: /,
  )
})
