import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runExperiment } from '../../src/experiment/experiment.ts'
import { TINY_TRANSIT_STUB } from '../../src/experiment/i3/swarm.ts'
import { DEPTH_DEFAULTS, i3DepthPreset } from '../../src/experiment/presets/i3-depth.ts'
import { I3_REFRESH_DEFAULTS, i3RefreshPreset } from '../../src/experiment/presets/i3-refresh.ts'
import { I3_RELIABILITY_DEFAULTS, i3ReliabilityPreset } from '../../src/experiment/presets/i3-reliability.ts'
import { i3StretchPreset, STRETCH_DEFAULTS } from '../../src/experiment/presets/i3-stretch.ts'
import type { Preset, PresetProgress } from '../../src/experiment/presets/preset.ts'

type Call =
  | { kind: 'start'; index: number; count: number; label: string; totalMs: number }
  | { kind: 'progress'; simMs: number; totalMs: number }
  | { kind: 'end'; index: number; count: number; label: string }

function recorder(): { calls: Call[]; progress: PresetProgress } {
  const calls: Call[] = []
  return {
    calls,
    progress: {
      onRunStart: (index, count, label, totalMs) =>
        calls.push({ kind: 'start', index, count, label, totalMs }),
      onProgress: (simMs, totalMs) => calls.push({ kind: 'progress', simMs, totalMs }),
      onRunEnd: (index, count, label) => calls.push({ kind: 'end', index, count, label }),
    },
  }
}

/**
 * The calls of one preset run, split per run: each a start (index i of `runs`), simulated time
 * that never goes back and ends exactly at the total the start announced, then an end.
 */
function assertRunsReported(calls: readonly Call[], runs: number, labels: RegExp): void {
  let i = 0
  for (let run = 0; run < runs; run++) {
    const start = calls[i++]
    assert.ok(start?.kind === 'start', `run ${run} begins with a start, got ${JSON.stringify(start)}`)
    assert.equal(start.index, run)
    assert.equal(start.count, runs)
    assert.match(start.label, labels)
    assert.ok(start.totalMs > 0, `run ${run}: planned ${start.totalMs} ms`)
    const times: number[] = []
    for (let c = calls[i]; c?.kind === 'progress'; c = calls[++i]) {
      assert.equal(c.totalMs, start.totalMs, `run ${run}: the total stays what the start said`)
      times.push(c.simMs)
    }
    assert.ok(times.length >= 3, `run ${run}: ${times.length} progress calls`)
    for (let t = 1; t < times.length; t++)
      assert.ok(times[t]! >= times[t - 1]!, `run ${run}: progress went back ${times[t - 1]} -> ${times[t]}`)
    assert.ok(times[0]! >= 0)
    assert.equal(times.at(-1), start.totalMs, `run ${run} ends at its total`)
    // Simulated time is shown while it runs, not only at the end.
    assert.ok(
      times.some((t) => t > 0 && t < start.totalMs),
      `run ${run}: no time between 0 and the total`,
    )
    const end = calls[i++]
    assert.deepEqual(end, { kind: 'end', index: run, count: runs, label: start.label })
  }
  assert.equal(i, calls.length, 'nothing after the last run')
}

/** Progress is reported as promised, and results.json is the same with or without it. */
async function assertProgress(preset: Preset, peers: number, runs: number, labels: RegExp): Promise<void> {
  const plain = await runExperiment(preset, { seed: 3, peers })
  const { calls, progress } = recorder()
  const watched = await runExperiment(preset, { seed: 3, peers, progress })
  assert.equal(watched.resultsJson, plain.resultsJson, `${preset.name}: progress changed results.json`)
  assertRunsReported(calls, runs, labels)
}

const tiny = { servers: 64, underlay: TINY_TRANSIT_STUB }

test('i3-depth reports every run (size x seed): monotone simulated time ending at its total', async () => {
  await assertProgress(i3DepthPreset({ ...DEPTH_DEFAULTS, ...tiny, seeds: 3 }), 8, 3, /^N=8 seed [1-3]\/3$/)
})

test('i3-stretch reports its one size with --peers', async () => {
  await assertProgress(i3StretchPreset({ ...STRETCH_DEFAULTS, ...tiny }), 32, 1, /^N=32$/)
})

test('i3-refresh reports each scheme of the size', async () => {
  const preset = i3RefreshPreset({ ...I3_REFRESH_DEFAULTS, ...tiny, settleS: 10, periods: 1 })
  await assertProgress(preset, 16, 3, /^N=16 (naive|refresh-unif|refresh-level)$/)
})

test('i3-reliability reports each scheme of the size', async () => {
  const preset = i3ReliabilityPreset({
    ...I3_RELIABILITY_DEFAULTS,
    ...tiny,
    cdfSize: 16,
    lossWarmupS: 2,
    windowS: 5,
    tailS: 2,
  })
  await assertProgress(preset, 16, 2, /^N=16 rel-(loss|random)$/)
})
