// Runs every *.test.ts under test/ with Node's test runner. Node 20's --test does not expand
// globs and silently finds no .ts files in a directory, so the files are listed here.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
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

const filter = process.argv.slice(2)
const files = findTests('test').filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
if (files.length === 0) {
  console.error('no test files found under test/')
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--import', './scripts/polyfills.mjs', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
