// The 50-peer loopback testbed of issue 3: one Broadcaster and 50 Viewers in this process, every
// pair behind emulated 20-80 ms links (seeded), a 1 Mbit/s live stream — ffmpeg-generated live
// TS when ffmpeg exists, else the sample clip looped. Prints startup delay, playout lag,
// continuity, source upload ratio, peak RSS, relay CPU per forwarded Mbit and verifications/s.
// Targets: median startup <= 1 s, p95 playout lag <= 2 s.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/testbed.bench.ts
// Knobs (env): BENCH_VIEWERS (50), BENCH_RATE chunks/s (4, the app default), BENCH_STARTUP
// chunks (3, the app default), BENCH_WINDOW_S (20), BENCH_SEED (1), BENCH_BURST (SpreadIt's
// burstChunks; unset: the app default, 4).
import { cpus } from 'node:os'
import { summarize } from '../src/stream/summary.ts'
import { ffmpegMissing, type LiveEncoder, startLiveEncoder } from '../test/e2e/ffmpeg-live.ts'
import { Testbed } from '../test/e2e/testbed.ts'
import { runFor, waitUntil } from '../test/e2e/wait.ts'

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 50)
const RATE_HZ = Number(process.env.BENCH_RATE ?? 4)
const STARTUP_CHUNKS = Number(process.env.BENCH_STARTUP ?? 3)
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 20)
const SEED = Number(process.env.BENCH_SEED ?? 1)
const BURST = process.env.BENCH_BURST === undefined ? undefined : Number(process.env.BENCH_BURST)
const STREAM_KBPS = 1000
const MAX_CHILDREN = 4

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : String(x))

async function main(): Promise<void> {
  let encoder: LiveEncoder | undefined
  let bed: Testbed | undefined
  try {
    if (!ffmpegMissing) encoder = await startLiveEncoder({ kbps: STREAM_KBPS })
    const input = encoder?.url ?? 'sample'
    console.log(
      `testbed: 1 source + ${VIEWERS} viewers, ${STREAM_KBPS} kbit/s, ${RATE_HZ} chunks/s, startup ${STARTUP_CHUNKS} chunks, ` +
        `SpreadIt maxChildren ${MAX_CHILDREN}, burst ${BURST ?? 'app default'}, links 20-80 ms one-way (seed ${SEED}), input ${encoder ? 'ffmpeg live TS' : 'sample clip (no ffmpeg)'}; ` +
        `${cpus().length} cores`,
    )
    const joinStart = Date.now()
    bed = await Testbed.start({
      viewers: VIEWERS,
      seed: SEED,
      input,
      loop: input === 'sample',
      streamKbps: STREAM_KBPS,
      chunkRateHz: RATE_HZ,
      startupChunks: STARTUP_CHUNKS,
      overlayParams: { maxChildren: MAX_CHILDREN, ...(BURST === undefined ? {} : { burstChunks: BURST }) },
    })
    const joined = bed
    console.log(`all ${VIEWERS} viewers started in ${fmt((Date.now() - joinStart) / 1000, 1)} s`)
    await waitUntil(
      'every viewer playing',
      () => joined.alive().every((p) => p.viewer!.stats().startupDelayMs !== null),
      120_000,
    )
    await runFor(3000) // warm-up: the last joins settle
    const peers = joined.alive()
    const source = joined.source!
    const before = peers.map((p) => p.viewer!.stats())
    const hostsBefore = peers.map((p) => ({ ...p.viewer!.netHost.stats }))
    const sourceBytesBefore = source.stats().host.bytesOut
    const cpuBefore = process.cpuUsage()
    const wallBefore = performance.now()
    const lagSamples: number[] = []
    for (let s = 0; s < WINDOW_S; s++) {
      await runFor(1000)
      for (const p of peers) {
        const lag = p.viewer!.stats().playoutLagMs
        if (lag !== null) lagSamples.push(lag)
      }
    }
    const wallS = (performance.now() - wallBefore) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const after = peers.map((p) => p.viewer!.stats())
    const hostsAfter = peers.map((p) => ({ ...p.viewer!.netHost.stats }))

    const startup = summarize(after.map((s) => s.startupDelayMs ?? Number.NaN))
    const lag = summarize(lagSamples)
    const due = after.reduce((n, s, i) => n + s.chunksDue - before[i]!.chunksDue, 0)
    const played = after.reduce((n, s, i) => n + s.chunksPlayed - before[i]!.chunksPlayed, 0)
    const overallDue = after.reduce((n, s) => n + s.chunksDue, 0)
    const overallPlayed = after.reduce((n, s) => n + s.chunksPlayed, 0)
    const forwardedBytes = hostsAfter.reduce(
      (n, h, i) => n + h.dataBytesOut - hostsBefore[i]!.dataBytesOut,
      0,
    )
    const verified = hostsAfter.reduce((n, h, i) => n + h.chunksVerified - hostsBefore[i]!.chunksVerified, 0)
    const sourceKbps = ((source.stats().host.bytesOut - sourceBytesBefore) * 8) / 1000 / wallS
    const cpuMs = (cpu.user + cpu.system) / 1000
    const forwardedMbit = (forwardedBytes * 8) / 1e6
    const discovery = summarize(hostsAfter.map((h) => h.metrics.parentDiscoveryMs?.max ?? Number.NaN))
    const startCall = summarize(peers.map((p) => p.startMs))
    const hops = summarize(after.map((s) => s.hops ?? Number.NaN))

    console.log(
      `startup delay: median ${fmt(startup.p50)} ms, p95 ${fmt(startup.p95)} ms, max ${fmt(startup.max)} ms (target median <= 1000)`,
    )
    console.log(
      `  Viewer.start (host setup, bootstrap dial; the RTT/clock pings overlap the join): median ${fmt(startCall.p50)} ms, max ${fmt(startCall.max)} ms`,
    )
    console.log(
      `  parent discovery (SpreadIt walk, from protocol start): median ${fmt(discovery.p50)} ms, max ${fmt(discovery.max)} ms`,
    )
    console.log(
      `playout lag (1 s samples over ${WINDOW_S} s): median ${fmt(lag.p50)} ms, p95 ${fmt(lag.p95)} ms, max ${fmt(lag.max)} ms (target p95 <= 2000)`,
    )
    console.log(
      `continuity: window ${fmt((100 * played) / due, 2)} % (${played}/${due}), since start ${fmt((100 * overallPlayed) / overallDue, 2)} %`,
    )
    console.log(
      `tree depth (hops): median ${fmt(hops.p50)}, max ${fmt(hops.max)}; source direct children ${source.stats().viewers}`,
    )
    console.log(
      `source upload: ${fmt(sourceKbps)} kbit/s = ${fmt(sourceKbps / STREAM_KBPS, 2)} x the stream rate (audience ${VIEWERS})`,
    )
    console.log(
      `relay CPU: ${fmt(cpuMs / forwardedMbit, 1)} ms per forwarded Mbit (${fmt(forwardedMbit / wallS, 1)} Mbit/s forwarded by viewers; ` +
        `whole process ${fmt((100 * cpuMs) / 1000 / wallS)} % of one core for ${VIEWERS + 1} peers, incl. verify, playout, players)`,
    )
    console.log(`chunk verifications: ${fmt(verified / wallS)} /s across the swarm`)
    console.log(`peak RSS: ${fmt(process.resourceUsage().maxRSS / 1024)} MB for the whole testbed process`)
  } finally {
    await bed?.stop()
    await encoder?.stop()
  }
}

await main()
