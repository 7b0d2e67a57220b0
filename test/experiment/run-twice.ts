import assert from 'node:assert/strict'
import { runExperiment } from '../../src/experiment/experiment.ts'
import type { Figure, Preset } from '../../src/experiment/presets/preset.ts'

/**
 * Run a preset twice with one seed: results.json and every plot must match byte for byte, and
 * every plot must say its seed. Returns the figures and the parsed analysis.
 */
export async function runTwice(
  preset: Preset,
  seed: number,
): Promise<{ figures: Figure[]; analysis: Record<string, unknown> }> {
  const a = await runExperiment(preset, { seed })
  const b = await runExperiment(preset, { seed })
  assert.equal(a.resultsJson, b.resultsJson, `${preset.name}: results.json differs between two runs`)
  assert.deepEqual(
    a.figures.map((f) => f.svg),
    b.figures.map((f) => f.svg),
    `${preset.name}: plots differ between two runs`,
  )
  for (const f of a.figures) assert.match(f.svg, new RegExp(`seed ${seed}\\b`), `${f.file} says its seed`)
  return { figures: a.figures, analysis: JSON.parse(a.resultsJson).analysis }
}
