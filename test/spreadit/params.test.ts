import assert from 'node:assert/strict'
import { test } from 'node:test'
import { childLimit, parseParams } from '../../src/overlays/spreadit/index.ts'

test('parseParams fills the documented defaults', () => {
  const p = parseParams({})
  assert.equal(p.addPolicy, 'random')
  assert.equal(p.deletePolicy, 'root')
  assert.equal(p.maxRedirects, 64)
  assert.equal(p.heartbeatMs, 1000)
  assert.equal(p.heartbeatMissLimit, 3)
  assert.equal(p.maxChildren, 8)
  assert.equal(p.maxDepth, 64)
  assert.equal(p.dataAsHeartbeat, false)
})

test('parseParams names each bad field and rejects unknown keys', () => {
  assert.throws(
    () => parseParams({ addPolicy: 'closest', maxRedirects: 0, heartbeatMs: 'x', colour: 'red' }),
    (e: Error) =>
      e.name === 'InvalidParamsError' &&
      /addPolicy/.test(e.message) &&
      /maxRedirects/.test(e.message) &&
      /heartbeatMs/.test(e.message) &&
      /colour/.test(e.message),
  )
  assert.throws(() => parseParams({ maxDepth: 1000 }), /maxDepth/)
})

test('child limit is upload / stream rate, scaled by headroom and capped', () => {
  const p = parseParams({ maxChildren: 5, uploadHeadroom: 1 })
  assert.equal(childLimit(1000, 400, p), 2)
  assert.equal(childLimit(1200, 400, p), 3)
  assert.equal(childLimit(399, 400, p), 0)
  assert.equal(childLimit(1e9, 400, p), 5)
  assert.equal(childLimit(Number.POSITIVE_INFINITY, 400, p), 5)
  assert.equal(childLimit(1200, 400, parseParams({ uploadHeadroom: 0.5 })), 1)
  // The default keeps 10% of upload for headers and control traffic: 1200 kbit/s feeds 2, not 3.
  assert.equal(childLimit(1200, 400, parseParams({})), 2)
})
