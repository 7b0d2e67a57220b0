import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/peercaster.mjs', import.meta.url))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI as a user would, bounded by `timeoutMs` (killed after it). */
function peercaster(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr })
      },
    )
  })
}

let dir = ''
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peercaster-cli-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

// Independent processes: two tests at a time, so the short ones run while the demo plays.
describe('the CLI as a user runs it', { concurrency: 2 }, () => {
  test('demo --viewers 4 --seconds 8: the player URL, a swarm table, a final summary, exit 0', {
    timeout: 40_000,
  }, async () => {
    const run = await peercaster(['demo', '--viewers', '4', '--seconds', '8', '--http-port', '0'], 35_000)
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stdout.split('\n')
    assert.ok(
      lines.some((l) => /^open http:\/\/127\.0\.0\.1:\d+\/live\.ts in VLC \/ mpv \/ ffplay/.test(l)),
      run.stdout,
    )
    assert.ok(lines.some((l) => /^stream URI: peercaster:\/\/12D3KooW/.test(l)))
    assert.ok(lines.some((l) => /^viewer\s+parent\s+depth\s+children\s+startup\s+lag\s+continuity$/.test(l)))
    // The last table: one row per viewer, each with a parent and a depth of at least 1.
    const lastHeader = lines.findLastIndex((l) => l.startsWith('viewer '))
    const rows = lines.slice(lastHeader + 2, lastHeader + 6)
    assert.deepEqual(
      rows.map((r) => r.split(/\s+/)[0]?.replace('*', '')),
      ['v1', 'v2', 'v3', 'v4'],
    )
    for (const r of rows) {
      const [, parent, depth] = r.split(/\s+/)
      assert.match(parent!, /^(source|v\d)$/, r)
      assert.ok(Number(depth) >= 1, r)
    }
    const final = lines.find((l) => l.startsWith('final: '))
    assert.match(final ?? '', /^final: 4\/4 viewers playing \| tree depth \d/)
  })

  test('watch with a bad URI exits 2 and names the field', async () => {
    const [run, noRate] = await Promise.all([
      peercaster(['watch', 'peercaster://nope?overlay=spreadit&kbps=800&rate=4'], 20_000),
      peercaster(
        [
          'watch',
          'peercaster://12D3KooWRGb9JnSQXiCRs6pEjw2LzCfUgEYL3qT7SsVHyDk9JNsC?overlay=spreadit&kbps=800',
        ],
        20_000,
      ),
    ])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /^peercaster: Cannot parse stream URI ".*": stream id "nope" is not a PeerId/)
    assert.equal(noRate.code, 2)
    assert.match(noRate.stderr, /missing rate/)
  })

  test('broadcast of a file that is not MPEG-TS fails with the ingest error and the --raw hint', async () => {
    const path = join(dir, 'notes.txt')
    await writeFile(path, 'not a transport stream\n'.repeat(500))
    const run = await peercaster(
      ['broadcast', '--input', path, '--key', join(dir, 'k'), '--listen', '/ip4/127.0.0.1/tcp/0'],
      20_000,
    )
    assert.equal(run.code, 1)
    assert.match(
      run.stderr,
      /^peercaster: ".*notes\.txt": input is not MPEG-TS .*; use --raw for raw bytes\n$/,
    )
    assert.equal(run.stdout, '', 'no URI is printed for a stream that cannot start')
  })
})
