// One p2pcast-churn scenario (P2PCast with parity only), instrumented: for every seq a viewer
// missed, which stripes were cut, by which crash (the dead ancestor nearest the viewer on each
// stripe, from the UPDATEs each node received), and what the repair did (its UPDATE, backfill
// asked/answered). Groups the losses by the crash that caused them, so one event with a big
// subtree stands out.
// Run: nice -n 10 node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-churn-probe.bench.ts \
//        [--seed 2] [--rate 2] [--peers 1000] [--params '{"heartbeatMs":500}'] [--detail 5] [--quiet]
import { parseArgs } from 'node:util'
import type { NodeId } from '../src/core/ids.ts'
import type { Env, Overlay } from '../src/core/protocol.ts'
import { createRng } from '../src/core/rng.ts'
import { createUnderlay, linkSampler } from '../src/experiment/build.ts'
import { parseOverlayParams } from '../src/experiment/overlays.ts'
import { swarmScenario } from '../src/experiment/presets/p2pcast-common.ts'
import {
  type P2PCastMessage,
  type P2PCastNode,
  type P2PCastParams,
  p2pcast,
} from '../src/overlays/p2pcast/index.ts'
import { installChurn } from '../src/sim/churn.ts'
import { Simulation } from '../src/sim/simulation.ts'
import type { Chunk } from '../src/stream/chunk.ts'
import { PlayoutBuffer } from '../src/stream/playout.ts'
import { stripeOf } from '../src/stream/stripes.ts'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '2' },
    rate: { type: 'string', default: '2' },
    peers: { type: 'string', default: '1000' },
    params: { type: 'string', default: '{}' },
    detail: { type: 'string', default: '3' },
    quiet: { type: 'boolean', default: false },
    /** Also print chunk arrivals, e.g. "745,493:520-545" (nodes : seq range). */
    trace: { type: 'string', default: '' },
  },
})
const seed = Number(args.seed)
const rate = Number(args.rate)
const peers = Number(args.peers)
const detail = Number(args.detail)

const scenario = swarmScenario(
  'p2pcast',
  { peers, durationS: 180, rampS: 60, crashesPerMin: rate / 100, seed },
  'probe',
)
const rawParams = { ...scenario.overlay.params, ...JSON.parse(args.params) }
const params = parseOverlayParams(p2pcast as never, rawParams) as P2PCastParams
const F = params.stripes

// ---- logs ---------------------------------------------------------------------------------------
/** Per viewer: when each seq was first delivered to its player. */
const delivered = new Map<NodeId, Map<number, number>>()
/** Per viewer: every delivery in order (to replay its playout start). */
const deliveries = new Map<NodeId, { t: number; chunk: Chunk }[]>()
/** Per node: the parents each UPDATE it received named (arrival time), member = false as []. */
const views = new Map<NodeId, { t: number; parents: NodeId[] }[]>()
const crashedAt = new Map<NodeId, number>()
const joinedAt = new Map<NodeId, number>()
interface Ctl {
  t: number
  reach: number
  from: NodeId
  to: NodeId
  msg: P2PCastMessage
}
const control: Ctl[] = []
/** Chunk copies per receiver: [sent, reaches, from, seq, stripe]. */
const chunkIn = new Map<NodeId, number[]>()
const metricsLog: { t: number; node: NodeId; name: string; value: number }[] = []

let sim: Simulation<P2PCastMessage, P2PCastParams>
const probed: Overlay<P2PCastMessage, P2PCastParams> = {
  ...p2pcast,
  createNode(env, ctx, p) {
    const id = env.self
    joinedAt.set(id, sim === undefined ? 0 : sim.now)
    const wrapped: Env<P2PCastMessage> = {
      self: env.self,
      rng: env.rng,
      send: (to, msg) => env.send(to, msg),
      setTimer: (d, k, a) => env.setTimer(d, k, a),
      cancelTimer: (t) => env.cancelTimer(t),
      deliver: (chunk, hops) => {
        let m = delivered.get(id)
        if (!m) delivered.set(id, (m = new Map()))
        if (!m.has(chunk.seq)) m.set(chunk.seq, sim.now)
        let d = deliveries.get(id)
        if (!d) deliveries.set(id, (d = []))
        d.push({ t: sim.now, chunk })
        env.deliver(chunk, hops)
      },
      locate: () => env.locate(),
      distance: (a, b) => env.distance(a, b),
      metric: (name, value) => {
        metricsLog.push({ t: sim.now, node: id, name, value })
        env.metric(name, value)
      },
      disconnect: (peer) => env.disconnect(peer),
    }
    return p2pcast.createNode(wrapped, ctx, p)
  },
}

const underlay = createUnderlay(scenario.underlay, createRng(scenario.seed, 0x5e1))
sim = new Simulation({
  seed: scenario.seed,
  overlay: probed,
  params,
  underlay,
  stream: { ...scenario.stream },
  playout: { chunkRateHz: scenario.stream.chunkRateHz, ...scenario.playout },
  sourceLink: scenario.sourceLink,
  onTransmit: (from, to, msg, _bytes, sent, reaches) => {
    if (msg.type === 'chunk') {
      let a = chunkIn.get(to)
      if (!a) chunkIn.set(to, (a = []))
      a.push(sent, reaches, from as number, msg.chunk.seq, stripeOf(msg.chunk, F))
      return
    }
    control.push({ t: sent, reach: reaches, from, to, msg })
    if (msg.type === 'update') {
      let v = views.get(to)
      if (!v) views.set(to, (v = []))
      v.push({ t: reaches, parents: msg.member ? msg.parents.slice() : [] })
    }
  },
})
const crash = sim.crash.bind(sim)
sim.crash = (id: NodeId) => {
  crashedAt.set(id, sim.now)
  crash(id)
}
const link = linkSampler(scenario.viewerLinks)
scenario.churn.forEach((phase, i) => {
  const { maxPeers, ...rest } = phase
  installChurn(
    sim,
    { ...rest, ...(maxPeers === undefined ? {} : { maxPeers }), link },
    createRng(scenario.seed, 0xc4a + i),
  )
})
const wall = performance.now()
sim.runUntil(scenario.durationS * 1000)
const endMs = scenario.durationS * 1000
const wallS = (performance.now() - wall) / 1000

// ---- analysis -----------------------------------------------------------------------------------
const periodMs = 1000 / scenario.stream.chunkRateHz
const sourceTimeOf = (seq: number) => seq * periodMs

/** Parents of `id` in its own view at time t (the last UPDATE that reached it by then). */
function parentsAt(id: NodeId, t: number): NodeId[] | undefined {
  const v = views.get(id)
  if (!v) return undefined
  let out: NodeId[] | undefined
  for (const e of v) {
    if (e.t > t) break
    out = e.parents
  }
  return out
}

/** Where playback started and which seqs it missed (replaying the viewer's deliveries). */
function missedSeqs(id: NodeId): number[] {
  const stats = sim.nodeStats(id)
  const left = stats.leftAtMs ?? endMs
  const buf = new PlayoutBuffer(
    { chunkRateHz: scenario.stream.chunkRateHz, ...scenario.playout },
    stats.joinedAtMs,
  )
  let firstSeq = -1
  let playStart = 0
  for (const { t, chunk } of deliveries.get(id) ?? []) {
    buf.push(t, chunk, 1)
    if (firstSeq < 0 && buf.isPlaying) {
      // Playback starts inside this push at `t` and plays its first seq at once (deadline = t).
      playStart = t
      firstSeq = buf.playheadSeq - 1
    }
  }
  if (firstSeq < 0) return []
  const got = delivered.get(id)!
  const out: number[] = []
  for (let s = firstSeq; playStart + (s - firstSeq) * periodMs <= left; s++) {
    const at = got.get(s)
    if (at === undefined || at > playStart + (s - firstSeq) * periodMs) out.push(s)
  }
  return out
}

/** The dead ancestor nearest `id` on stripe t at time `at` (by the views), with the path to it. */
function culprit(id: NodeId, t: number, at: number): { dead: NodeId | null; path: NodeId[] } {
  const path: NodeId[] = []
  let cur = id
  for (let depth = 0; depth < 64; depth++) {
    const ps = parentsAt(cur, at)
    const p = ps?.[t]
    if (p === undefined) return { dead: null, path }
    path.push(p)
    if (p === sim.sourceId) return { dead: null, path }
    const c = crashedAt.get(p)
    if (c !== undefined && c <= at + 200) return { dead: p, path }
    cur = p
  }
  return { dead: null, path }
}

const viewers = sim.allNodeStats().filter((s) => s.id !== sim.sourceId)
let playing = 0
const lossy: { id: NodeId; missed: number[] }[] = []
for (const s of viewers) {
  if (s.qoe.continuity === null) continue
  playing++
  if (s.qoe.continuity < 1) lossy.push({ id: s.id, missed: missedSeqs(s.id) })
}
// Fairness: data upload / data download of the viewers that stayed to the end (p2pcast-fairness).
const ratios = viewers
  .filter((s) => s.leftAtMs === null && s.dataDownloadBytes > 0)
  .map((s) => s.dataUploadBytes / s.dataDownloadBytes)
  .sort((a, b) => a - b)
const at = (q: number) => (ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))] ?? 0).toFixed(3)
const outside = ratios.filter((r) => Math.abs(r - 1) > 0.05).length
const metric = (name: string) => metricsLog.filter((m) => m.name === name)
const repair = metric('repairMs')
  .map((m) => m.value)
  .sort((a, b) => a - b)
console.log(
  `seed ${seed} rate ${rate}%/min peers ${peers} params ${JSON.stringify(JSON.parse(args.params))}: ` +
    `lossy ${lossy.length}/${playing}, crashes ${crashedAt.size}, missed ${lossy.reduce((a, l) => a + l.missed.length, 0)} seqs, ` +
    `repair p50 ${repair[Math.floor(repair.length / 2)] ?? '-'} ms, backfilled ${metric('backfilledChunks').reduce((a, m) => a + m.value, 0)}, ` +
    `(source ${metric('backfilledChunks').filter((m) => m.node === sim.sourceId).length}, unpaid ${metric('backfillUnpaid').length}), ` +
    `falseSuspicions ${metric('falseSuspicions').length}, joinsDeferred ${metric('joinsDeferred').length}, ` +
    `up/down p5 ${at(0.05)} p50 ${at(0.5)} p95 ${at(0.95)} max ${at(1)} (outside ±5%: ${outside}/${ratios.length}), ` +
    `sim ${wallS.toFixed(1)} s wall`,
)
if (args.quiet) process.exit(0)
const unfair = viewers
  .filter((s) => s.leftAtMs === null && s.dataDownloadBytes > 0)
  .sort((a, b) => b.dataUploadBytes / b.dataDownloadBytes - a.dataUploadBytes / a.dataDownloadBytes)
  .slice(0, 3)
for (const s of unfair)
  console.log(
    `up/down ${(s.dataUploadBytes / s.dataDownloadBytes).toFixed(3)}: viewer ${s.id} joined ${s.joinedAtMs.toFixed(0)}, up ${s.dataUploadBytes} B, down ${s.dataDownloadBytes} B`,
  )

// Group (viewer, seq) losses by culprit crash on each stripe.
const byCause = new Map<string, { viewers: Set<NodeId>; seqs: number }>()
const lines: string[] = []
for (const { id, missed } of lossy) {
  const causes = new Set<string>()
  for (const seq of missed) {
    const at = sourceTimeOf(seq)
    const parts: string[] = []
    for (let t = 0; t < F; t++) {
      const c = culprit(id, t, at)
      parts.push(
        c.dead === null
          ? `s${t}:none(${c.path.length})`
          : `s${t}:${c.dead}@${crashedAt.get(c.dead)}(d${c.path.length})`,
      )
    }
    const key = parts.join(' ')
    causes.add(key)
    const e = byCause.get(key) ?? { viewers: new Set(), seqs: 0 }
    e.viewers.add(id)
    e.seqs++
    byCause.set(key, e)
  }
  const stats = sim.nodeStats(id)
  lines.push(
    `viewer ${id} joined ${stats.joinedAtMs} left ${stats.leftAtMs ?? '-'} cont ${stats.qoe.continuity?.toFixed(4)} missed ${missed.length}: ${missed.slice(0, 12).join(',')}${missed.length > 12 ? '…' : ''} | ${[...causes].join(' ; ')}`,
  )
}
console.log(`\n# losses by cause (stripe: nearest dead ancestor @crash time (depth))`)
for (const [k, e] of [...byCause].sort((a, b) => b[1].viewers.size - a[1].viewers.size))
  console.log(`${e.viewers.size} viewers, ${e.seqs} seqs: ${k}`)
console.log(`\n# lossy viewers`)
for (const l of lines) console.log(l)

// Detail for the first few lossy viewers: control messages around the first missed seq.
function fmtMsg(m: P2PCastMessage): string {
  if (m.type === 'update')
    return m.member
      ? `update v${m.version} p=[${m.parents}] c=${JSON.stringify(m.children)}`
      : `update v${m.version} OUT`
  if (m.type === 'backfill') return `backfill [${m.seqs.join(',')}]`
  if (m.type === 'delete') return `delete ${m.node}`
  return m.type
}
for (const { id, missed } of lossy.slice(0, detail)) {
  const first = missed[0]
  if (first === undefined) continue
  const t0 = sourceTimeOf(first) - 4000
  const t1 = sourceTimeOf(missed[missed.length - 1]!) + 6000
  console.log(`\n## viewer ${id}: missed ${missed.join(',')} (seq ${first} cut at ${sourceTimeOf(first)} ms)`)
  const rel = new Set<NodeId>([id])
  for (let t = 0; t < F; t++) for (const p of culprit(id, t, sourceTimeOf(first)).path) rel.add(p)
  for (const v of views.get(id) ?? []) if (v.t >= t0 && v.t <= t1) for (const p of v.parents) rel.add(p)
  console.log(
    `related: ${[...rel].map((r) => (crashedAt.has(r) ? `${r}(crash@${crashedAt.get(r)})` : r)).join(' ')}`,
  )
  for (const c of control) {
    if (c.t < t0 || c.t > t1) continue
    if (c.msg.type === 'heartbeat') continue
    if (
      c.to !== id &&
      c.from !== id &&
      !(c.msg.type === 'delete' && rel.has(c.msg.node)) &&
      !(rel.has(c.to) && c.msg.type === 'update')
    )
      continue
    console.log(`  ${c.t.toFixed(0)}→${c.reach.toFixed(0)} ${c.from}→${c.to} ${fmtMsg(c.msg)}`)
  }
  const ins = chunkIn.get(id) ?? []
  const got: string[] = []
  for (let i = 0; i < ins.length; i += 5) {
    const seq = ins[i + 3]!
    if (seq < first - 5 || seq > missed[missed.length - 1]! + 5) continue
    got.push(`${seq}/s${ins[i + 4]}←${ins[i + 2]}@${ins[i + 1]!.toFixed(0)}`)
  }
  console.log(`  chunks in: ${got.join(' ')}`)
  for (const m of metricsLog)
    if (m.node === id && m.t >= t0 && m.t <= t1)
      console.log(`  metric ${m.t.toFixed(0)} ${m.name} ${m.value}`)
}
if (args.trace) {
  const [ids, range] = args.trace.split(':')
  const [lo, hi] = (range ?? '0-1e9').split('-').map(Number)
  for (const id of ids!.split(',').map(Number)) {
    const ins = chunkIn.get(id) ?? []
    const got: string[] = []
    for (let i = 0; i < ins.length; i += 5) {
      const seq = ins[i + 3]!
      if (seq >= lo! && seq <= hi!) got.push(`${seq}/s${ins[i + 4]}←${ins[i + 2]}@${ins[i + 1]!.toFixed(0)}`)
    }
    console.log(
      `\n## trace ${id}${crashedAt.has(id) ? ` (crash@${crashedAt.get(id)})` : ''}: ${got.join(' ')}`,
    )
    for (const v of views.get(id) ?? []) console.log(`  view @${v.t.toFixed(0)} parents [${v.parents}]`)
    for (const c of control)
      if ((c.to === id || c.from === id) && c.msg.type !== 'heartbeat' && c.msg.type !== 'update')
        console.log(`  ${c.t.toFixed(0)}→${c.reach.toFixed(0)} ${c.from}→${c.to} ${fmtMsg(c.msg)}`)
  }
}
const reg = (sim.protocol(sim.sourceId) as P2PCastNode).registryRole!
console.log(`\nregistry at end: queued ${reg.queuedUpdates}, suspects ${reg.suspectCount}`)
