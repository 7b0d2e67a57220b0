import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'

/**
 * Vega-Lite spec -> SVG string, headless. Vega's SVG renderer needs no canvas: without one it
 * estimates text widths, which also keeps the output identical from run to run.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** Shared look for every plot: fixed size and fonts so figures line up in docs. */
export const chartConfig = {
  font: 'Helvetica, Arial, sans-serif',
  title: { fontSize: 13, anchor: 'start' as const, limit: 0 },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
}
