import assert from 'node:assert/strict'
import { test } from 'node:test'
import { stableJson } from '../../src/experiment/stable-json.ts'

test('keys are sorted at every level, whatever the insertion order', () => {
  const a = stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 2 } })
  const b = stableJson({ a: { c: 2, d: [{ y: 2, z: 1 }] }, b: 1 })
  assert.equal(a, b)
  assert.equal(a.indexOf('"a"') < a.indexOf('"b"'), true)
})

test('numbers are rounded, non-finite values become null, undefined keys vanish', () => {
  const json = JSON.parse(
    stableJson({ x: 0.1 + 0.2, big: 123456789.123, n: Number.NaN, i: -Infinity, u: undefined, k: 7 }),
  )
  assert.deepEqual(json, { big: 123457000, i: null, k: 7, n: null, x: 0.3 })
  assert.equal(stableJson({ z: -1e-30 }, 2).includes('-1e-30'), true)
  assert.equal(JSON.parse(stableJson({ z: -0.0000001 * 0 })).z, 0)
})

test('maps and typed arrays are written as objects and arrays', () => {
  const json = JSON.parse(
    stableJson({
      m: new Map([
        ['b', 1],
        ['a', 2],
      ]),
      t: new Float64Array([1.5, 2]),
    }),
  )
  assert.deepEqual(json, { m: { a: 2, b: 1 }, t: [1.5, 2] })
})
