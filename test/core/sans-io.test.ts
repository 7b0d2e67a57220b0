// The one rule of the design: protocol code under src/overlays is sans-IO. This test fails when
// an overlay file reaches for a clock, Math.random, timers, sockets, files, promises or async.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\b/, 'Date (read time from the handler argument `now`)'],
  [/\bMath\.random\b/, 'Math.random (use env.rng)'],
  [/\bperformance\b/, 'performance (clock)'],
  [/\bprocess\./, 'process (host concern)'],
  [
    /\b(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\b/,
    'timers (use env.setTimer)',
  ],
  [/\bPromise\b/, 'Promise (handlers are synchronous)'],
  [/\basync\b/, 'async'],
  [/\bawait\b/, 'await'],
  [
    /from\s+['"](node:)?(net|dgram|fs|http|https|http2|child_process|worker_threads|tls|dns|timers)(\/[^'"]*)?['"]/,
    'I/O module import',
  ],
  [
    /from\s+['"](libp2p|@libp2p\/[^'"]*|@chainsafe\/[^'"]*)['"]/,
    'libp2p import (overlays never see the network stack)',
  ],
  [
    /from\s+['"]\.\.\/\.\.\/(sim|net|media|cli|report)\//,
    'import from a host layer (overlays import only core/ and stream/)',
  ],
]

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

/** Drop comments so prose such as "no Date here" does not trip the check. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

function findViolations(files: string[]): string[] {
  const violations: string[] = []
  for (const file of files) {
    const lines = stripComments(readFileSync(file, 'utf8')).split('\n')
    lines.forEach((line, i) => {
      for (const [pattern, what] of FORBIDDEN) {
        if (pattern.test(line)) violations.push(`${file}:${i + 1}: ${what}: ${line.trim()}`)
      }
    })
  }
  return violations
}

test('overlay code under src/overlays is sans-IO', () => {
  const files = sourceFiles('src/overlays')
  assert.ok(files.length > 0, 'expected overlay sources under src/overlays')
  assert.deepEqual(findViolations(files), [])
})

test('the sans-IO check catches each forbidden construct', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sansio-'))
  const samples = [
    'const t = Date.now()',
    'const r = Math.random()',
    'setTimeout(() => {}, 1)',
    'async function f() {}',
    'await x',
    "import net from 'node:net'",
    "import { createLibp2p } from 'libp2p'",
    "import { Simulator } from '../../sim/engine.ts'",
    'new Promise(() => {})',
  ]
  for (const [i, s] of samples.entries()) writeFileSync(join(dir, `s${i}.ts`), s)
  const violations = findViolations(samples.map((_, i) => join(dir, `s${i}.ts`)))
  assert.equal(violations.length, samples.length, violations.join('\n'))
  writeFileSync(join(dir, 'ok.ts'), '// Date.now() in a comment is fine\nconst now = 5')
  assert.deepEqual(findViolations([join(dir, 'ok.ts')]), [])
})
