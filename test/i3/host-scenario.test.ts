// A scenario file can run i3: `servers` creates the rendezvous servers; they are not viewers.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runScenario } from '../../src/experiment/run.ts'
import { parseScenario, ScenarioError } from '../../src/experiment/scenario.ts'

const base = {
  durationS: 20,
  overlay: { name: 'i3' },
  underlay: { kind: 'constant', latencyMs: 10 },
  stream: { kbps: 64, chunkRateHz: 10 },
  sourceLink: { uploadKbps: 1000, downloadKbps: 1000 },
  viewerLinks: [{ uploadKbps: 1000, downloadKbps: 1000 }],
  viewers: { count: 12, intervalS: 0.2 },
}

test('scenario with overlay i3 and 4 servers: every viewer plays, servers are not counted as viewers', () => {
  const out = runScenario(parseScenario({ ...base, servers: 4 }))
  assert.equal(out.viewers.length, 12)
  assert.equal(out.metrics.viewersJoined, 12)
  assert.equal(out.metrics.neverStarted, 0)
  const last = out.samples[out.samples.length - 1]!
  assert.equal(last.liveViewers, 12)
  assert.equal(last.connected, 12)
})

test('servers must be a whole number >= 1; without servers an i3 end host says what is missing', () => {
  assert.throws(() => parseScenario({ ...base, servers: 0 }), ScenarioError)
  assert.throws(() => runScenario(parseScenario(base)), /needs NodeContext\.servers/)
})
