// A node:test reporter: one line per test file, its wall time (the file's own process: start,
// imports and tests) and its name, slowest first. For scheduling and spotting slow files in
// run-tests.mjs; never an assertion.
export default async function* fileTimes(source) {
  const rows = []
  for await (const event of source) {
    const { file, name, details } = event.data ?? {}
    // The runner's own event for a whole file carries the file's path as its name.
    if (event.type !== 'test:complete' || file === undefined || name !== file) continue
    rows.push({
      file: file.replace(`${process.cwd()}/`, ''),
      ms: details?.duration_ms ?? 0,
      passed: details?.passed !== false,
    })
  }
  rows.sort((a, b) => b.ms - a.ms)
  for (const r of rows)
    yield `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file}${r.passed ? '' : '  (failed)'}\n`
}
