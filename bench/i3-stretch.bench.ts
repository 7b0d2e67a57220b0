// Wall time, CPU time and peak memory of i3-stretch points: N receivers (default 65,536, the
// paper's largest group) joining a tree of triggers over 8,192 rendezvous servers on the
// 10,000-router transit-stub, then one chunk traced for stretch and link stress. Exactly the runs
// of `peercaster simulate i3-stretch --peers N` (same options, seed 1); one JSON line per size.
//
//   node --import ./scripts/polyfills.mjs --import tsx bench/i3-stretch.bench.ts [N...]
//   node --cpu-prof --import ./scripts/polyfills.mjs --import tsx bench/i3-stretch.bench.ts 4096
//   BENCH_ROUTING=chord ... servers forward ids they do not own along Chord (default: the preset's direct)
import { measureI3Tree } from '../src/experiment/i3/measure-tree.ts'
import { STRETCH_DEFAULTS, stretchRunOptions } from '../src/experiment/presets/i3-stretch.ts'

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0)
for (const receivers of sizes.length > 0 ? sizes : [65_536]) {
  const serverRouting = process.env.BENCH_ROUTING === 'chord' ? 'chord' : 'direct'
  const options = stretchRunOptions({ ...STRETCH_DEFAULTS, serverRouting }, receivers, 1)
  let lastReport = 0
  const wall0 = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  const m = measureI3Tree({
    ...options,
    onProgress: (nowMs) => {
      const wallS = Number(process.hrtime.bigint() - wall0) / 1e9
      if (wallS - lastReport < 30) return
      lastReport = wallS
      process.stderr.write(
        `  N=${receivers}: ${wallS.toFixed(0)} s wall, ${(nowMs / 1000).toFixed(0)} s simulated\n`,
      )
    },
  })
  const cpu = process.cpuUsage(cpu0)
  const wallS = Number(process.hrtime.bigint() - wall0) / 1e9
  const cpuS = (cpu.user + cpu.system) / 1e6
  console.log(
    JSON.stringify({
      receivers,
      serverRouting,
      servers: options.servers,
      joinsPerS: options.joinsPerS,
      chunkRateHz: options.chunkRateHz,
      simulatedS: m.endS,
      wallS: +wallS.toFixed(1),
      cpuS: +cpuS.toFixed(1),
      events: m.events,
      eventsPerCpuS: Math.round(m.events / cpuS),
      // Peak of the whole process so far (sizes run in order, so the largest sets it).
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      joined: m.joined,
      neverJoined: m.neverJoined,
      missed: m.missedTracedChunk,
      p90Stretch: +m.stretch.stretch.p90.toFixed(3),
      rmd: +m.stretch.rmd.toFixed(3),
      rad: +m.stretch.rad.toFixed(3),
      maxStress: m.stress.max,
      p99Stress: m.stress.p99,
      depthMax: m.depth.max,
      model: {
        p90Stretch: +m.model.stretch.stretch.p90.toFixed(3),
        rmd: +m.model.stretch.rmd.toFixed(3),
        rad: +m.model.stretch.rad.toFixed(3),
        radRootAtSource: +m.model.rootAtSource.rad.toFixed(3),
        rmdRootAtSource: +m.model.rootAtSource.rmd.toFixed(3),
        maxStress: m.model.stress.max,
        p99Stress: m.model.stress.p99,
        depthMax: m.model.depthMax,
        rootDetourMs: m.model.rootDetourMs,
      },
    }),
  )
}
