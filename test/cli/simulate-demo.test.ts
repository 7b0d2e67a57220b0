import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runDemo } from '../../src/cli/commands/simulate-demo.ts'

test('demo prints a row every 10 simulated seconds and a summary', () => {
  const lines: string[] = []
  runDemo(40, 3, (l) => lines.push(l))
  const rows = lines.filter((l) => /^\s*\d+\s+\d+/.test(l))
  assert.deepEqual(
    rows.map((r) => Number(r.trim().split(/\s+/)[0])),
    [10, 20, 30, 40, 50, 60],
  )
  for (const r of rows) {
    const viewers = Number(r.trim().split(/\s+/)[1])
    assert.ok(viewers > 0 && viewers <= 40, r)
  }
  const summary = lines.find((l) => l.startsWith('summary:'))
  assert.ok(summary)
  assert.match(summary, /continuity mean 0\.\d{3}|continuity mean 1\.000/)
})
