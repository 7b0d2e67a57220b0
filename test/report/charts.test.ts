import assert from 'node:assert/strict'
import { test } from 'node:test'
import { barChart, cdfChart, lineChart } from '../../src/report/charts.ts'
import { linearRegression } from '../../src/report/fit.ts'
import { textTable } from '../../src/report/table.ts'

const text = {
  title: 'Mean packet delay vs hop count',
  subtitle: 'N=15, 10 chunks/s, seed 7',
  xTitle: 'hops',
  yTitle: 'ms',
}

function count(svg: string, needle: string): number {
  return svg.split(needle).length - 1
}

test('barChart renders an SVG with the title and one rect per bar', async () => {
  const bars = [
    { category: 'random', group: 'root', value: 3 },
    { category: 'random', group: 'grandfather', value: 5 },
    { category: 'round-robin', group: 'root', value: 4 },
  ]
  const svg = await barChart(text, bars)
  assert.match(svg, /^<svg/)
  assert.ok(svg.includes('Mean packet delay vs hop count'))
  assert.ok(svg.includes('N=15, 10 chunks/s, seed 7'))
  const barGroup = svg.match(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/s)
  assert.ok(barGroup, 'a rect mark group')
  assert.equal(count(barGroup[1]!, '<path'), bars.length)
  // legend shows both delete policies
  assert.ok(svg.includes('grandfather'))
})

test('lineChart draws the measured line, its points and the dashed fit', async () => {
  const points = [1, 2, 3, 4].map((x) => ({ x, y: 2 * x + 1 }))
  const withFit = await lineChart(text, points, { slope: 2, intercept: 1, xMin: 1, xMax: 4, label: 'fit' })
  const without = await lineChart(text, points)
  assert.ok(withFit.includes('Mean packet delay vs hop count'))
  assert.equal(count(without, 'class="mark-line role-mark'), 1)
  assert.equal(count(withFit, 'class="mark-line role-mark'), 2)
  assert.ok(withFit.includes('stroke-dasharray="6,4"'))
  assert.ok(without.includes('class="mark-symbol role-mark'))
})

test('cdfChart draws one step line per series', async () => {
  const series = [
    {
      name: 'a',
      points: [
        { x: 0, p: 0.5 },
        { x: 1, p: 1 },
      ],
    },
    {
      name: 'b',
      points: [
        { x: 0, p: 0.2 },
        { x: 2, p: 1 },
      ],
    },
  ]
  const svg = await cdfChart({ ...text, title: 'CDF of startup delay' }, series)
  assert.ok(svg.includes('CDF of startup delay'))
  // vega facets a coloured line mark into one line group per series
  assert.equal(count(svg, 'class="mark-line role-mark'), 2)
})

test('rendering is deterministic', async () => {
  const points = [1, 2, 3].map((x) => ({ x, y: x * x }))
  assert.equal(await lineChart(text, points), await lineChart(text, points))
})

test('linearRegression recovers a line and reports R²', () => {
  const exact = linearRegression([1, 2, 3, 4], [3, 5, 7, 9])
  assert.ok(Math.abs(exact.slope - 2) < 1e-12)
  assert.ok(Math.abs(exact.intercept - 1) < 1e-12)
  assert.ok(Math.abs(exact.r2 - 1) < 1e-12)
  const noisy = linearRegression([1, 2, 3, 4], [1, 3, 2, 4])
  assert.ok(noisy.r2 > 0 && noisy.r2 < 1)
  assert.equal(linearRegression([], []).n, 0)
})

test('textTable aligns numbers right and shows missing values as -', () => {
  const t = textTable(
    ['policy', 'continuity'],
    [
      ['random', 0.5],
      ['root-all', null],
    ],
  )
  const lines = t.split('\n')
  assert.equal(lines.length, 4)
  assert.equal(lines[2], 'random          0.50')
  assert.equal(lines[3], 'root-all           -')
})
