import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseScenario, ScenarioError } from '../../src/experiment/scenario.ts'
import { loadScenarioFile } from '../../src/experiment/scenario-file.ts'

const minimal = {
  durationS: 30,
  overlay: { name: 'spreadit' },
  underlay: { kind: 'constant' },
  stream: { kbps: 300, chunkRateHz: 10 },
  sourceLink: { uploadKbps: 2000, downloadKbps: 2000 },
  viewerLinks: [{ uploadKbps: 1000, downloadKbps: 4000 }],
}

function errorOf(raw: unknown): string {
  try {
    parseScenario(raw)
  } catch (err) {
    assert.ok(err instanceof ScenarioError)
    return err.message
  }
  assert.fail('expected a ScenarioError')
}

test('a minimal scenario gets its defaults', () => {
  const s = parseScenario(minimal)
  assert.equal(s.seed, 1)
  assert.deepEqual(s.playout, { startupChunks: 2, maxBufferChunks: 256 })
  assert.deepEqual(s.churn, [])
  assert.deepEqual(s.underlay, { kind: 'constant', latencyMs: 10 })
  assert.equal(s.viewerLinks[0]!.share, 1)
  assert.equal(s.stream.keyframeEveryChunks, 20)
})

test('a single churn phase becomes a list of one', () => {
  const churn = { arrivalsPerS: 2, startS: 0, endS: 10, session: { dist: 'exponential', meanS: 60 } }
  const s = parseScenario({ ...minimal, churn })
  assert.equal(s.churn.length, 1)
  assert.equal(s.churn[0]!.crashFraction, 0)
})

test('errors name the field by its path', () => {
  const churn = { arrivalsPerS: -1, startS: 0, endS: 10, session: { dist: 'exponential', meanS: 60 } }
  assert.equal(errorOf({ ...minimal, churn }), 'scenario.churn.arrivalsPerS: expected a positive number')
  assert.equal(
    errorOf({ ...minimal, churn: [churn] }),
    'scenario.churn[0].arrivalsPerS: expected a positive number',
  )
  assert.match(
    errorOf({ ...minimal, stream: { kbps: 300 } }),
    /^scenario\.stream\.chunkRateHz: expected a positive number$/,
  )
  assert.match(
    errorOf({ ...minimal, underlay: { kind: 'moon' } }),
    /scenario\.underlay\.kind: expected kind to be one of/,
  )
  assert.match(errorOf({ ...minimal, durationS: 10, bogus: 1 }), /bogus/)
  assert.match(
    errorOf({ ...minimal, churn: { ...churn, arrivalsPerS: 1, startS: 20 } }),
    /scenario\.churn\.endS: expected endS > startS/,
  )
  assert.match(errorOf({ ...minimal, lossRate: 2 }), /scenario\.lossRate: expected a probability in \[0, 1\]/)
})

test('scenario files: YAML and JSON, name from the file, errors prefixed by the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-scenario-'))
  const yamlPath = join(dir, 'small-swarm.yaml')
  writeFileSync(
    yamlPath,
    [
      'durationS: 30',
      'overlay: { name: spreadit, params: { addPolicy: random } }',
      'underlay: { kind: constant, latencyMs: 5 }',
      'stream: { kbps: 300, chunkRateHz: 10 }',
      'sourceLink: { uploadKbps: 2000, downloadKbps: 2000 }',
      'viewerLinks: [{ uploadKbps: 1000, downloadKbps: 4000 }]',
    ].join('\n'),
  )
  const s = loadScenarioFile(yamlPath)
  assert.equal(s.name, 'small-swarm')
  assert.deepEqual(s.overlay.params, { addPolicy: 'random' })

  const jsonPath = join(dir, 'bad.json')
  writeFileSync(jsonPath, JSON.stringify({ ...minimal, durationS: 0 }))
  assert.throws(() => loadScenarioFile(jsonPath), {
    name: 'ScenarioError',
    message: `${jsonPath}: scenario.durationS: expected a positive number`,
  })
  writeFileSync(jsonPath, '{ not json')
  assert.throws(() => loadScenarioFile(jsonPath), /not valid JSON/)
  assert.throws(() => loadScenarioFile(join(dir, 'missing.yaml')), /no such file/)
})

test('underlay options are checked field by field', () => {
  const ok = parseScenario({
    ...minimal,
    underlay: { kind: 'transit-stub', transitDomains: 4, interTransitMs: [20, 50] },
  })
  assert.deepEqual(ok.underlay, { kind: 'transit-stub', transitDomains: 4, interTransitMs: [20, 50] })
  assert.equal(
    errorOf({ ...minimal, underlay: { kind: 'transit-stub', interTransitMs: [50, 20] } }),
    'scenario.underlay.interTransitMs: expected [minMs, maxMs] with minMs <= maxMs',
  )
  assert.equal(
    errorOf({ ...minimal, underlay: { kind: 'delay-space', maxDelayFromSourceMs: 0 } }),
    'scenario.underlay.maxDelayFromSourceMs: expected a positive number',
  )
  assert.match(errorOf({ ...minimal, underlay: { kind: 'transit-stub', routers: 5 } }), /routers/)
})
