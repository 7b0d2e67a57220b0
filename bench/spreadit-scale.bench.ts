// Wall time, CPU time and peak memory of one spreadit-policies run (Random add, Root delete: the
// paper's testbed setting) at 10,000 and 100,000 peers, once at the preset's 5 chunks/s and once
// at the 4 chunks/s target. Each size runs in its own child process so peak RSS is its own.
//
//   node --import ./scripts/polyfills.mjs --import tsx bench/spreadit-scale.bench.ts [peers...]
//   BENCH_CHUNK_RATE=4 ... to override the chunk rate
//   BENCH_SPREADIT='{"dataAsHeartbeat":true}' ... to override SpreadIt parameters
import { spawnSync } from 'node:child_process'
import { policyScenario } from '../src/experiment/presets/spreadit-policies.ts'
import { runScenario } from '../src/experiment/run.ts'
import { parseScenario } from '../src/experiment/scenario.ts'

const CHILD_FLAG = '--child'

function runOne(peers: number, chunkRateHz: number): void {
  const base = policyScenario('random', 'root', peers, 1)
  const bufferS = base.playout.startupChunks! / base.stream.chunkRateHz
  const overrides = JSON.parse(process.env.BENCH_SPREADIT ?? '{}') as Record<string, unknown>
  const scenario = parseScenario({
    ...base,
    overlay: { ...base.overlay, params: { ...base.overlay.params, ...overrides } },
    stream: { ...base.stream, chunkRateHz },
    playout: { ...base.playout, startupChunks: Math.round(bufferS * chunkRateHz) },
  })
  const wall0 = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  const out = runScenario(scenario)
  const cpu = process.cpuUsage(cpu0)
  const wallS = Number(process.hrtime.bigint() - wall0) / 1e9
  const cpuS = (cpu.user + cpu.system) / 1e6
  const simS = scenario.durationS
  const m = out.metrics
  console.log(
    JSON.stringify({
      peers,
      chunkRateHz,
      spreadit: overrides,
      simulatedS: simS,
      wallS: +wallS.toFixed(1),
      cpuS: +cpuS.toFixed(1),
      // Single-threaded: CPU time is the wall time of an idle machine, and does not move with other load.
      speedVsRealTimeCpu: +(simS / cpuS).toFixed(2),
      events: out.eventsProcessed,
      eventsPerCpuS: Math.round(out.eventsProcessed / cpuS),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      viewersJoined: m.viewersJoined,
      continuityMean: +m.continuity.mean.toFixed(4),
    }),
  )
}

if (process.argv.includes(CHILD_FLAG)) {
  const [peers, rate] = process.argv.slice(process.argv.indexOf(CHILD_FLAG) + 1).map(Number)
  runOne(peers!, rate!)
} else {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0)
  const rates = process.env.BENCH_CHUNK_RATE ? [Number(process.env.BENCH_CHUNK_RATE)] : [4]
  console.log(
    'spreadit-policies run (random add, root delete, 60 s ramp + 120 s churn, seed 1), one process each',
  )
  for (const peers of sizes.length > 0 ? sizes : [10_000, 100_000]) {
    for (const rate of rates) {
      const r = spawnSync(
        process.execPath,
        [
          '--max-old-space-size=8192',
          '--import',
          './scripts/polyfills.mjs',
          '--import',
          'tsx',
          'bench/spreadit-scale.bench.ts',
          CHILD_FLAG,
          String(peers),
          String(rate),
        ],
        { stdio: 'inherit' },
      )
      if (r.status !== 0) process.exitCode = 1
    }
  }
}
