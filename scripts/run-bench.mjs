// Runs every bench/*.bench.ts in turn (or those matching the arguments) and prints their output.
// Figures go into docs/BENCHMARKS.md by hand, with the command, machine and date.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const filter = process.argv.slice(2)
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort()
let failed = 0
for (const file of files) {
  console.log(`\n=== bench/${file}`)
  const r = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--max-old-space-size=8192',
      '--import',
      './scripts/polyfills.mjs',
      '--import',
      'tsx',
      `bench/${file}`,
    ],
    { stdio: 'inherit' },
  )
  if (r.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
