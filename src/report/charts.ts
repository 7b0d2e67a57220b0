import type { TopLevelSpec } from 'vega-lite'
import { chartConfig, renderSvg } from './render.ts'

/** A title says what the plot shows; `subtitle` carries the run facts (N, chunk rate, seed). */
export interface ChartText {
  title: string
  subtitle?: string
  xTitle: string
  yTitle: string
  width?: number
  height?: number
  /** Integer x values (hop counts, peers): ticks at whole numbers only. */
  integerX?: boolean
}

export interface Bar {
  category: string
  /** Bars with the same category and different groups stand side by side. */
  group?: string
  value: number
}

export interface Point {
  x: number
  y: number
  series?: string
}

export interface LinearFit {
  slope: number
  intercept: number
  /** Drawn as a dashed line from xMin to xMax. */
  xMin: number
  xMax: number
  label?: string
}

export interface CdfSeries {
  name: string
  /** Empirical CDF points (x ascending, p in [0, 1]), e.g. from stream/summary's cdf(). */
  points: readonly { x: number; p: number }[]
}

/**
 * Without a canvas vega over-estimates text widths and pads the SVG to fit; a long subtitle is
 * therefore split at the comma nearest its middle into two lines.
 */
export function subtitleLines(subtitle: string, maxChars = 60): string[] {
  if (subtitle.length <= maxChars) return [subtitle]
  const middle = subtitle.length / 2
  let best = -1
  for (let i = subtitle.indexOf(', '); i !== -1; i = subtitle.indexOf(', ', i + 1)) {
    if (best === -1 || Math.abs(i - middle) < Math.abs(best - middle)) best = i
  }
  return best === -1 ? [subtitle] : [subtitle.slice(0, best + 1), subtitle.slice(best + 2)]
}

function header(t: ChartText) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: t.subtitle ? { text: t.title, subtitle: subtitleLines(t.subtitle) } : { text: t.title },
    width: t.width ?? 520,
    height: t.height ?? 300,
    config: chartConfig,
  }
}

/** Bars by category; with groups, grouped side by side (xOffset) and coloured by group. */
export function barChart(t: ChartText, bars: readonly Bar[]): Promise<string> {
  const grouped = bars.some((b) => b.group !== undefined)
  const spec = {
    ...header(t),
    data: { values: bars.map((b) => ({ category: b.category, group: b.group ?? '', value: b.value })) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'category', type: 'nominal', title: t.xTitle, sort: null, axis: { labelAngle: -30 } },
      y: { field: 'value', type: 'quantitative', title: t.yTitle },
      ...(grouped
        ? {
            xOffset: { field: 'group', type: 'nominal', sort: null },
            color: { field: 'group', type: 'nominal', title: null, sort: null },
          }
        : {}),
    },
  }
  return renderSvg(spec as TopLevelSpec)
}

/** Points joined by lines (one line per series), plus an optional dashed linear fit. */
export function lineChart(t: ChartText, points: readonly Point[], fit?: LinearFit): Promise<string> {
  const hasSeries = points.some((p) => p.series !== undefined)
  const data = points.map((p) => ({ x: p.x, y: p.y, series: p.series ?? 'measured' }))
  const xy = {
    x: {
      field: 'x',
      type: 'quantitative',
      title: t.xTitle,
      ...(t.integerX ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
    },
    y: { field: 'y', type: 'quantitative', title: t.yTitle },
  }
  const color = hasSeries ? { color: { field: 'series', type: 'nominal', title: null } } : {}
  const layers: object[] = [
    { data: { values: data }, mark: { type: 'line', point: true }, encoding: { ...xy, ...color } },
  ]
  if (fit) {
    const line = [fit.xMin, fit.xMax].map((x) => ({ x, y: fit.intercept + fit.slope * x }))
    layers.push({
      data: { values: line },
      mark: { type: 'line', strokeDash: [6, 4], color: '#d62728' },
      encoding: xy,
    })
    if (fit.label) {
      layers.push({
        data: { values: [{ x: fit.xMin, y: fit.intercept + fit.slope * fit.xMax, label: fit.label }] },
        mark: { type: 'text', align: 'left', baseline: 'top', color: '#d62728', fontSize: 11 },
        encoding: { ...xy, text: { field: 'label' } },
      })
    }
  }
  return renderSvg({ ...header(t), layer: layers } as TopLevelSpec)
}

/** Empirical CDFs drawn as step lines, one per series. */
export function cdfChart(t: ChartText, series: readonly CdfSeries[]): Promise<string> {
  const values = series.flatMap((s) => s.points.map((pt) => ({ x: pt.x, p: pt.p, series: s.name })))
  const spec = {
    ...header(t),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: t.xTitle },
      y: { field: 'p', type: 'quantitative', title: t.yTitle, scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, sort: null },
    },
  }
  return renderSvg(spec as TopLevelSpec)
}
