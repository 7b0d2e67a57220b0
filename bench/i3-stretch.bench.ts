// Wall time, CPU time and peak memory of one i3-stretch point: N receivers (default 65,536, the
// paper's largest group) joining a tree of triggers over 8,192 rendezvous servers on the
// 10,000-router transit-stub, then one chunk traced for stretch and link stress. The same code as
// `peercaster simulate i3-stretch --peers N`.
//
//   node --import ./scripts/polyfills.mjs --import tsx bench/i3-stretch.bench.ts [N]
//   node --cpu-prof --import ./scripts/polyfills.mjs --import tsx bench/i3-stretch.bench.ts 4096
import { measureI3Tree } from '../src/experiment/i3/measure-tree.ts'
import { STRETCH_DEFAULTS } from '../src/experiment/presets/i3-stretch.ts'

const receivers = Number(process.argv[2] ?? 65_536)
const c = STRETCH_DEFAULTS
const joinsPerS = Math.max(c.minJoinsPerS, receivers / c.maxJoinS)
let lastReport = 0
const wall0 = process.hrtime.bigint()
const cpu0 = process.cpuUsage()
const m = measureI3Tree({
  seed: 1,
  receivers,
  servers: c.servers,
  params: { maxTriggersPerId: c.maxTriggersPerId, ...c.params },
  joinsPerS,
  chunkRateHz: c.chunkRateHz,
  onProgress: (nowMs) => {
    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9
    if (wallS - lastReport < 10) return
    lastReport = wallS
    process.stderr.write(`  ${wallS.toFixed(0)} s wall: ${(nowMs / 1000).toFixed(0)} s simulated\n`)
  },
})
const cpu = process.cpuUsage(cpu0)
const wallS = Number(process.hrtime.bigint() - wall0) / 1e9
const cpuS = (cpu.user + cpu.system) / 1e6
console.log(
  JSON.stringify({
    receivers,
    servers: c.servers,
    joinsPerS,
    chunkRateHz: c.chunkRateHz,
    simulatedS: m.endS,
    wallS: +wallS.toFixed(1),
    cpuS: +cpuS.toFixed(1),
    events: m.events,
    eventsPerCpuS: Math.round(m.events / cpuS),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    joined: m.joined,
    neverJoined: m.neverJoined,
    p90Stretch: +m.stretch.stretch.p90.toFixed(3),
    rmd: +m.stretch.rmd.toFixed(3),
    rad: +m.stretch.rad.toFixed(3),
    maxStress: m.stress.max,
    p99Stress: m.stress.p99,
    depthMax: m.depth.max,
  }),
)
