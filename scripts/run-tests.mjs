// Runs every *.test.ts under test/ with Node's test runner. Node 20's --test does not expand
// globs and silently finds no .ts files in a directory, so the files are listed here.
//
// node --test alone runs files on availableParallelism() - 1 workers: one on a 2-core machine,
// so the whole suite ran one file after another, and the real-network files left a core idle
// while they waited on the wall clock. So, in two phases:
// 1. the swarms (test/e2e/*-swarm.test.ts: a live encoder, 10-21 viewers, ffmpeg decoders), one
//    file at a time with nothing beside them. Their bounded waits were sized for one swarm on a
//    loaded machine; with the simulated tests beside them (even niced) the i3 swarm's source lost
//    its encoder input in 3 of 5 runs, alone in none of 3 (cause: docs/architecture/testing.md).
// 2. two lanes side by side:
//    - real: the other e2e files, test/cli, test/app, test/net, test/media (sockets, child
//      processes, ffmpeg, bounded waits), one file at a time at normal priority;
//    - simulated: everything else (deterministic, in memory), availableParallelism() - 2 files at
//      a time (at least one), at nice 10, so it takes only the CPU the real lane leaves.
// Live output for phase 1 and the real lane; the simulated lane's follows when it ends; then the
// slowest files of each lane (PEERCASTER_TEST_TIMES=all: every file) and each lane's wall time.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, setPriority, tmpdir } from 'node:os'
import { join } from 'node:path'

function findTests(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...findTests(path))
    else if (name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

const isSwarm = (f) => f.startsWith('test/e2e/') && f.endsWith('-swarm.test.ts')
const REAL_DIRS = ['test/e2e/', 'test/cli/', 'test/app/', 'test/net/', 'test/media/']
const SIMULATED_NICE = 10
const SLOWEST_SHOWN = process.env.PEERCASTER_TEST_TIMES === 'all' ? Number.POSITIVE_INFINITY : 12

const filter = process.argv.slice(2)
const files = findTests('test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
if (files.length === 0) {
  console.error('no test files found under test/')
  process.exit(1)
}
const isReal = (f) => REAL_DIRS.some((d) => f.startsWith(d))
const swarmFiles = files.filter(isSwarm)
const realFiles = files.filter((f) => isReal(f) && !isSwarm(f))
const simulatedFiles = files.filter((f) => !isReal(f))
const timesDir = mkdtempSync(join(tmpdir(), 'peercaster-test-times-'))

/** Runs `laneFiles` in one node --test process; resolves with its exit code and what it printed. */
function runLane(name, laneFiles, { live, nice, concurrency }) {
  if (laneFiles.length === 0) return Promise.resolve({ name, code: 0, output: '', ms: 0, count: 0 })
  const began = performance.now()
  const timesFile = join(timesDir, `${name}.txt`)
  const child = spawn(
    process.execPath,
    [
      ...[
        '--import',
        './scripts/polyfills.mjs',
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${concurrency}`,
      ],
      ...['--test-reporter=spec', '--test-reporter-destination=stdout'],
      ...['--test-reporter=./scripts/file-times-reporter.mjs', `--test-reporter-destination=${timesFile}`],
      ...laneFiles,
    ],
    { stdio: ['ignore', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'] },
  )
  // Set before the runner starts its first file: every file's process inherits it.
  if (nice && child.pid !== undefined) setPriority(child.pid, nice)
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  return new Promise((resolve) => {
    child.on('close', (code) => {
      let times = ''
      try {
        const lines = readFileSync(timesFile, 'utf8').split('\n').filter(Boolean)
        times =
          lines.slice(0, SLOWEST_SHOWN).join('\n') +
          (lines.length > SLOWEST_SHOWN ? `\n  (+${lines.length - SLOWEST_SHOWN} faster files)` : '')
      } catch {}
      resolve({
        name,
        code: code ?? 1,
        output,
        times,
        ms: performance.now() - began,
        count: laneFiles.length,
      })
    })
  })
}

const began = performance.now()
const swarms = await runLane('swarm', swarmFiles, { live: true, nice: 0, concurrency: 1 })
const [real, simulated] = await Promise.all([
  runLane('real', realFiles, { live: true, nice: 0, concurrency: 1 }),
  runLane('simulated', simulatedFiles, {
    live: false,
    nice: SIMULATED_NICE,
    concurrency: Math.max(1, availableParallelism() - 2),
  }),
])
const lanes = [swarms, real, simulated]
for (const lane of lanes) if (lane.output) process.stdout.write(`\n── ${lane.name} lane ──\n${lane.output}`)
process.stdout.write('\nwall time per file, slowest first:\n')
for (const lane of lanes) if (lane.times) process.stdout.write(`${lane.name} lane:\n${lane.times}\n`)
for (const lane of lanes.filter((l) => l.count > 0))
  process.stdout.write(
    `${lane.name} lane: ${lane.count} file${lane.count === 1 ? '' : 's'}, ${(lane.ms / 1000).toFixed(1)} s, ${lane.code === 0 ? 'passed' : `FAILED (exit ${lane.code})`}\n`,
  )
process.stdout.write(`all: ${((performance.now() - began) / 1000).toFixed(1)} s\n`)
rmSync(timesDir, { recursive: true, force: true })
process.exit(lanes.some((l) => l.code !== 0) ? 1 : 0)
