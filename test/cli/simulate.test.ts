import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { simulate } from '../../src/cli/commands/simulate.ts'

const dir = mkdtempSync(join(tmpdir(), 'pc-simulate-'))
const scenarioPath = join(dir, 'tiny.yaml')
writeFileSync(
  scenarioPath,
  [
    'seed: 5',
    'durationS: 20',
    'overlay: { name: spreadit, params: { addPolicy: random, deletePolicy: root } }',
    'underlay: { kind: constant, latencyMs: 15 }',
    'stream: { kbps: 300, chunkRateHz: 10 }',
    'sourceLink: { uploadKbps: 1000, downloadKbps: 1000 }',
    'viewerLinks: [{ share: 1, uploadKbps: 1000, downloadKbps: 4000 }, { share: 1, uploadKbps: 300, downloadKbps: 2000 }]',
    'churn: { arrivalsPerS: 3, startS: 0, endS: 15, session: { dist: exponential, meanS: 10 }, crashFraction: 0.5 }',
    'sampling: { intervalS: 5 }',
  ].join('\n'),
)

async function run(out: string, seed?: number): Promise<string> {
  const lines: string[] = []
  await simulate(scenarioPath, {
    out,
    quiet: true,
    print: (l) => lines.push(l),
    ...(seed === undefined ? {} : { seed }),
  })
  assert.match(lines[0]!, /seed \d+ \(replay: peercaster simulate .*tiny\.yaml --seed \d+\)/)
  return readFileSync(join(out, 'results.json'), 'utf8')
}

test('the same seed gives a byte-identical results.json; another seed does not', async () => {
  const a = await run(join(dir, 'a'))
  const b = await run(join(dir, 'b'))
  assert.equal(a, b)
  const other = await run(join(dir, 'c'), 6)
  assert.notEqual(other, a)

  const results = JSON.parse(a)
  assert.equal(results.seed, 5)
  assert.equal(results.runs.length, 1)
  const metrics = results.runs[0].metrics
  assert.ok(metrics.viewersJoined > 10, `viewers joined: ${metrics.viewersJoined}`)
  assert.ok(metrics.crashes > 0 && metrics.gracefulLeaves > 0)
  assert.equal(results.runs[0].samples.length, 4)
  // No wall-clock values: nothing that looks like a date or an ISO time.
  assert.doesNotMatch(a, /20\d\d-\d\d-\d\dT/)
  const svgs = readdirSync(join(dir, 'a')).filter((f) => f.endsWith('.svg'))
  assert.ok(svgs.length >= 3)
  assert.ok(readFileSync(join(dir, 'a', 'cdf-startup-delay.svg'), 'utf8').includes('CDF of startup delay'))
})

interface CliResult {
  status: number | null
  stdout: string
  stderr: string
}

/** The CLI as a user runs it. Asynchronous, so a test starts its processes side by side. */
function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bin/peercaster.mjs', ...args],
      { encoding: 'utf8' },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null
        if (status === null) reject(err)
        else resolve({ status, stdout, stderr })
      },
    )
  })
}

test('bad input is one line on stderr and exit code 2', async () => {
  const badPath = join(dir, 'bad.yaml')
  writeFileSync(badPath, readFileSync(scenarioPath, 'utf8').replace('arrivalsPerS: 3', 'arrivalsPerS: -3'))
  const [unknown, bad, seed, stripes] = await Promise.all([
    cli('simulate', 'no-such-preset'),
    cli('simulate', badPath),
    cli('simulate', 'spreadit-chain', '--seed', 'abc'),
    cli('simulate', 'spreadit-chain', '--stripes', '3'),
  ])
  assert.equal(unknown.status, 2)
  assert.equal(unknown.stderr.trim().split('\n').length, 1)
  assert.match(
    unknown.stderr,
    /unknown preset "no-such-preset" \(presets: spreadit-chain, spreadit-policies(, [a-z0-9-]+)*; or give a scenario file/,
  )

  assert.equal(bad.status, 2)
  assert.equal(
    bad.stderr.trim(),
    `peercaster: ${badPath}: scenario.churn.arrivalsPerS: expected a positive number`,
  )

  assert.equal(seed.status, 2)
  assert.match(seed.stderr, /--seed must be a whole number/)

  // --stripes is P2PCast's: a preset that does not take it says so, naming itself.
  assert.equal(stripes.status, 2)
  assert.equal(
    stripes.stderr.trim(),
    'peercaster: spreadit-chain does not take --stripes (presets that do: p2pcast-scale, p2pcast-churn, p2pcast-fairness)',
  )
})

test('--help explains the commands', async () => {
  const [help, sub] = await Promise.all([cli('--help'), cli('simulate', '--help')])
  assert.equal(help.status, 0)
  assert.match(help.stdout, /simulate/)
  assert.match(help.stdout, /demo/)
  assert.equal(sub.status, 0)
  assert.match(sub.stdout, /spreadit-policies/)
})

test('an i3 preset shows each run it simulates on stderr (one line a run off a TTY); results as with --quiet', async () => {
  const shown = join(dir, 'i3-shown')
  // The child simulates while this process runs the same preset in-process, quietly.
  const child = cli('simulate', 'i3-depth', '--peers', '8', '--out', shown)
  const quiet = join(dir, 'i3-quiet')
  await simulate('i3-depth', { peers: 8, out: quiet, quiet: true, print: () => {} })
  const run = await child
  assert.equal(run.status, 0, run.stderr)
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('run '))
  assert.deepEqual(
    lines.map((l) => l.replace(/: simulating \d+ s$/, '')),
    Array.from({ length: 10 }, (_, i) => `run ${i + 1}/10 N=8 seed ${i + 1}/10`),
  )
  assert.equal(
    readFileSync(join(shown, 'results.json'), 'utf8'),
    readFileSync(join(quiet, 'results.json'), 'utf8'),
  )
})
