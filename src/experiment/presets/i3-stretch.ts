import type { Overlay } from '../../core/protocol.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'
import { lineChart, type Point } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import type { TransitStubOptions } from '../../sim/underlay/transit-stub-options.ts'
import {
  measureI3Tree,
  modelI3Placement,
  type TreeMeasurement,
  type TreeModel,
  type TreeRunOptions,
} from '../i3/measure-tree.ts'
import type { ServerRouting } from '../i3/overlay.ts'
import { PAPER_FIG11 } from '../i3/paper.ts'
import { SweepProgress } from '../i3/run-progress.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface StretchConfig {
  /** Group sizes (receivers); `--peers N` runs that one size instead. */
  sizes: readonly number[]
  servers: number
  /** Transit-stub shape (omitted fields: I3_TRANSIT_STUB, 10,000 routers). */
  underlay: Partial<TransitStubOptions>
  /** D: children per tree node (Fig. 11 uses 8); servers then hold D + 1 triggers per id (§3.2). */
  degree: number
  /**
   * Receivers join one after another at max(minJoinsPerS, N / maxJoinS) per second: slow enough
   * at small N that each join sees the tree the previous ones built (the paper's greedy joins),
   * bounded in simulated time at large N.
   */
  minJoinsPerS: number
  maxJoinS: number
  /**
   * Sizes of the default sweep above this get the join model only (placement built, nothing
   * simulated). `--peers N` always simulates N, as does bench/i3-stretch.bench.ts.
   */
  maxSimulatedPeers: number
  chunkRateHz: number
  /** How servers forward ids they do not own (i3: 'chord'); 'direct' skips the Chord walks. */
  serverRouting: ServerRouting
  /** Extra i3 parameters (e.g. a longer probe interval). */
  params: Record<string, unknown>
  /** Tests pass a stand-in; the default is src/overlays/i3. */
  overlay?: Overlay<I3Message, I3Params>
}

export const STRETCH_DEFAULTS: StretchConfig = {
  sizes: [16, 64, 256, 1024, 4096, 16_384, 65_536],
  servers: 8192,
  underlay: {},
  degree: 8,
  minJoinsPerS: 20,
  maxJoinS: 300,
  // Every size is simulated (65,536 alone: ~8 min on 2 quiet cores, docs/BENCHMARKS.md); lower
  // this for a quick sweep, larger sizes then get the join model only.
  maxSimulatedPeers: 65_536,
  chunkRateHz: 1,
  // The figure asks what tree the joins build, measured on the IP paths i3's caching gives (§2.1:
  // "packets from one i3 node to another traverse just the IP path"). Under 'chord' every query
  // and distance reply to a fresh id first walks ~6 Chord hops: the joiner's estimate carries that
  // walk and the run costs about twice the events. 'chord' remains a knob.
  serverRouting: 'direct',
  // No churn and no loss here: the soft state never needs refreshing within a run and nothing is
  // lost, so long-lived triggers, no recovery groups and a slow periodic joinable check (members
  // also re-check on every query) cut the events ~8x without changing a single join decision.
  params: { triggerLifetimeMs: 600_000, recovery: 'off', joinableCheckMs: 30_000 },
}

/** One simulated size: the tree the protocol built, measured on one traced chunk. */
export interface SimulatedPoint {
  joinsPerS: number
  joined: number
  neverJoined: number
  missedTracedChunk: number
  sameLanExcluded: number
  p90Stretch: number
  meanStretch: number
  maxStretch: number
  belowOneStretch: number
  rmd: number
  rad: number
  maxStress: number
  p99Stress: number
  meanStress: number
  linksCrossed: number
  depthMax: number
  depthMean: number
  events: number
  simulatedS: number
}

/** Fig. 4 on exact latencies over the same placement and join order (join-model.ts). */
export interface ModelPoint {
  p90Stretch: number
  rmd: number
  rad: number
  maxStress: number
  p99Stress: number
  depthMax: number
  /** The same with idg held by the source's own server (no root detour). */
  p90StretchRootAtSource: number
  rmdRootAtSource: number
  radRootAtSource: number
  /** Source -> the server holding idg: every packet's first leg. */
  rootDetourMs: number
}

/** Metrics both the simulation and the model report, under the same names. */
type SharedMetric = 'p90Stretch' | 'rmd' | 'rad' | 'maxStress' | 'p99Stress'

export interface StretchRow {
  groupSize: number
  /** null above maxSimulatedPeers: model only. */
  simulated: SimulatedPoint | null
  model: ModelPoint
}

function joinsPerS(config: StretchConfig, n: number): number {
  return Math.max(config.minJoinsPerS, n / config.maxJoinS)
}

function simulatedPoint(rate: number, m: TreeMeasurement): SimulatedPoint {
  return {
    joinsPerS: rate,
    joined: m.joined,
    neverJoined: m.neverJoined,
    missedTracedChunk: m.missedTracedChunk,
    sameLanExcluded: m.stretch.sameLan,
    p90Stretch: m.stretch.stretch.p90,
    meanStretch: m.stretch.stretch.mean,
    maxStretch: m.stretch.stretch.max,
    belowOneStretch: m.stretch.belowOne,
    rmd: m.stretch.rmd,
    rad: m.stretch.rad,
    maxStress: m.stress.max,
    p99Stress: m.stress.p99,
    meanStress: m.stress.mean,
    linksCrossed: m.stress.links,
    depthMax: m.depth.max,
    depthMean: m.depth.mean,
    events: m.events,
    simulatedS: m.endS,
  }
}

function modelPoint(m: TreeModel): ModelPoint {
  return {
    p90Stretch: m.stretch.stretch.p90,
    rmd: m.stretch.rmd,
    rad: m.stretch.rad,
    maxStress: m.stress.max,
    p99Stress: m.stress.p99,
    depthMax: m.depthMax,
    p90StretchRootAtSource: m.rootAtSource.stretch.p90,
    rmdRootAtSource: m.rootAtSource.rmd,
    radRootAtSource: m.rootAtSource.rad,
    rootDetourMs: m.rootDetourMs,
  }
}

/**
 * One line per Fig. 11 metric: ours at the largest size run against the paper's bound at 65,536,
 * and where ours is above, why — read off the join model over the same placement, which is the
 * paper's algorithm with exact distances and no protocol at all.
 */
export function compareWithPaper(rows: readonly StretchRow[]): Record<string, string> {
  const p = PAPER_FIG11
  const f = (v: number) => v.toFixed(2)
  const lastModel = rows[rows.length - 1]
  const lastSim = [...rows].reverse().find((r) => r.simulated !== null)
  if (!lastModel) return {}
  const at = (n: number) =>
    n === p.groupSize ? `at ${n}` : `at ${n} (the paper's bound is for ${p.groupSize})`
  const verdict = (ours: number, bound: number) => (ours <= bound ? 'within' : 'above')
  // Ours (simulated, largest simulated size) and the model (largest size) against the bound; where
  // the simulation is close to the model at the same size, the gap to the paper is the algorithm
  // on this topology; where it is well above, the protocol's measured distances and races add it.
  const line = (name: string, bound: number, key: SharedMetric, why: string) => {
    const parts: string[] = []
    if (lastSim?.simulated) {
      const ours = lastSim.simulated[key]
      const same = lastSim.model[key]
      parts.push(
        `${name} ${f(ours)} ${at(lastSim.groupSize)} vs paper <= ${bound}: ${verdict(ours, bound)}` +
          ` (Fig. 4 on exact latencies, same placement: ${f(same)}` +
          (ours > same * 1.1
            ? '; the protocol adds the rest: joins decide on measured reply times and race)'
            : ')'),
      )
    }
    if (lastModel !== lastSim) {
      const m = lastModel.model[key]
      parts.push(
        `${lastSim ? '' : `${name}: `}model (Fig. 4 on exact latencies) ${f(m)} ${at(lastModel.groupSize)} vs paper <= ${bound}: ${verdict(m, bound)}`,
      )
    }
    const anyAbove = parts.some((x) => x.includes('above'))
    return `${parts.join('; ')}${anyAbove ? `; why: ${why}` : ''}`
  }
  const m = lastModel.model
  // idg sits on the source's own server (pick close id), so the detour is normally 0 ms.
  const rootWhy = (atSource: number) =>
    (m.rootDetourMs > 0
      ? `every packet first goes to the server holding idg (${f(m.rootDetourMs)} ms from the source here; with idg on the source's server the model gives ${f(atSource)}), and `
      : '') +
    'greedy joins (Fig. 4) attach each receiver under the member closest to it among the few each level shows, so paths zig-zag across the 10-domain core'
  const stressWhy =
    'tree edges between stub domains funnel through the few inter-transit links of a 10-domain core'
  const metrics: [SharedMetric, string, number, string][] = [
    [
      'p90Stretch',
      '90th-percentile stretch',
      p.p90StretchAtMost,
      `${rootWhy(m.p90StretchRootAtSource)}; receivers a few ms from the source get large ratios from any detour`,
    ],
    ['rmd', 'RMD', p.rmdAtMost, rootWhy(m.rmdRootAtSource)],
    ['rad', 'RAD', p.radAtMost, rootWhy(m.radRootAtSource)],
    ['maxStress', 'max link stress', p.maxStressAtMost, stressWhy],
    ['p99Stress', '99th-percentile link stress', p.p99Stress, stressWhy],
  ]
  return Object.fromEntries(metrics.map(([key, name, bound, why]) => [key, line(name, bound, key, why)]))
}

/** One short line per plot: the verdict and its reason (the full lines are in results.json). */
export function plotNotes(rows: readonly StretchRow[]): { latency: string; stress: string } {
  const last = rows[rows.length - 1]
  if (!last) return { latency: '', stress: '' }
  const m = last.model
  const p = PAPER_FIG11
  const latencyAbove = m.rad > p.radAtMost || m.rmd > p.rmdAtMost || m.p90Stretch > p.p90StretchAtMost
  const numbers = `model RAD ${m.rad.toFixed(2)}, N = ${last.groupSize}`
  return {
    latency: latencyAbove
      ? `above the paper's 1.5 / 3.5 because Fig. 4 on exact latencies (model) builds such trees here${m.rootDetourMs > 0 ? ` and idg's server is a ${m.rootDetourMs.toFixed(0)} ms detour` : ''} (${numbers})`
      : `the model is within the paper's 1.5 / 3.5 (${numbers})`,
    stress:
      m.maxStress > p.maxStressAtMost
        ? `above the paper's 50 where tree edges between stub domains share the few inter-transit links (model max ${m.maxStress} at N = ${last.groupSize})`
        : `the model is within the paper's 50 (max ${m.maxStress} at N = ${last.groupSize})`,
  }
}

/** The options of one size's run: the preset and bench/i3-stretch.bench.ts run exactly these. */
export function stretchRunOptions(config: StretchConfig, n: number, seed: number): TreeRunOptions {
  return {
    seed,
    receivers: n,
    servers: config.servers,
    underlay: config.underlay,
    params: { maxTriggersPerId: config.degree + 1, ...config.params },
    joinsPerS: joinsPerS(config, n),
    chunkRateHz: config.chunkRateHz,
    serverRouting: config.serverRouting,
    ...(config.overlay ? { overlay: config.overlay } : {}),
  }
}

/**
 * i3 §6.1, Fig. 11: latency stretch (90th percentile), RMD, RAD and link stress of one traced
 * chunk over the tree of triggers, for group sizes 16 .. 65,536 on a 10,000-router transit-stub
 * with 8,192 servers and D = 8. The simulations run inside report(): each needs rendezvous
 * servers and a wire trace, which the scenario runner does not build.
 */
export function i3StretchPreset(config: StretchConfig = STRETCH_DEFAULTS): Preset {
  const sizesFor = (opts: PresetOptions) => (opts.peers === undefined ? [...config.sizes] : [opts.peers])
  const setup = (seed: number) =>
    `${config.servers} servers, D = ${config.degree}, transit-stub ${config.underlay.transitDomains === undefined ? '10,000 routers' : 'small test shape'}, ${config.serverRouting} server routing, unlimited links, joins at max(${config.minJoinsPerS}/s, N/${config.maxJoinS} s), ${config.chunkRateHz} chunks/s, seed ${seed}`
  return {
    name: 'i3-stretch',
    description: `i3 Fig. 11: 90th-pct latency stretch, RMD, RAD and max link stress vs group size (${config.sizes.join(', ')}; ${config.servers} servers, D = ${config.degree}; Fig. 4 on exact latencies beside each${config.sizes.some((n) => n > config.maxSimulatedPeers) ? `, alone above ${config.maxSimulatedPeers}` : ''}); --peers N runs one size`,

    plan(): PlannedRun[] {
      return []
    },

    async report(_runs, opts: PresetOptions): Promise<ExperimentReport> {
      const rows: StretchRow[] = []
      const sizes = sizesFor(opts)
      const simulates = (n: number) => opts.peers !== undefined || n <= config.maxSimulatedPeers
      const sweep = new SweepProgress(opts.progress, sizes.filter(simulates).length)
      for (const n of sizes) {
        const run = stretchRunOptions(config, n, opts.seed)
        if (!simulates(n)) {
          rows.push({ groupSize: n, simulated: null, model: modelPoint(modelI3Placement(run)) })
          continue
        }
        const m = sweep.run(`N=${n}`, (progress) => measureI3Tree({ ...run, ...progress }))
        rows.push({ groupSize: n, simulated: simulatedPoint(run.joinsPerS!, m), model: modelPoint(m.model) })
      }
      const comparison = compareWithPaper(rows)
      const plotNote = plotNotes(rows)
      const facts = setup(opts.seed)
      const paperX = Math.log2(PAPER_FIG11.groupSize)

      const latency: Point[] = []
      const stress: Point[] = []
      for (const r of rows) {
        const x = Math.log2(r.groupSize)
        const s = r.simulated
        if (s) {
          latency.push({ x, y: s.p90Stretch, series: '90th pct' })
          latency.push({ x, y: s.rmd, series: 'RMD' })
          latency.push({ x, y: s.rad, series: 'RAD' })
          stress.push({ x, y: s.maxStress, series: 'max' })
          stress.push({ x, y: s.p99Stress, series: '99th pct' })
        }
        latency.push({ x, y: r.model.p90Stretch, series: 'model 90th pct' })
        latency.push({ x, y: r.model.rad, series: 'model RAD' })
        latency.push({ x, y: r.model.radRootAtSource, series: 'model RAD, idg@src' })
        stress.push({ x, y: r.model.maxStress, series: 'model max' })
        stress.push({ x, y: r.model.p99Stress, series: 'model 99th pct' })
      }
      latency.push({ x: paperX, y: PAPER_FIG11.p90StretchAtMost, series: 'paper 90th ≤ 3.5' })
      latency.push({ x: paperX, y: PAPER_FIG11.rmdAtMost, series: 'paper RAD,RMD≤1.5' })
      stress.push({ x: paperX, y: PAPER_FIG11.maxStressAtMost, series: 'paper max ≤ 50' })
      stress.push({ x: paperX, y: PAPER_FIG11.p99Stress, series: 'paper 99th 18.6' })

      const figures = [
        {
          file: 'stretch-vs-group-size.svg',
          svg: await lineChart(
            {
              title: 'i3 latency stretch vs group size (Fig. 11a)',
              subtitle: `${facts}; ${plotNote.latency}`,
              xTitle: 'log2 group size',
              yTitle: 'stretch ratio',
              integerX: true,
            },
            latency,
          ),
        },
        {
          file: 'link-stress-vs-group-size.svg',
          svg: await lineChart(
            {
              title: 'i3 link stress of one packet vs group size (Fig. 11b)',
              subtitle: `${facts}; ${plotNote.stress}`,
              xTitle: 'log2 group size',
              yTitle: 'copies per physical link',
              integerX: true,
            },
            stress,
          ),
        },
      ]
      const simulatedRows = rows.filter((r) => r.simulated !== null)
      const table = [
        simulatedRows.length === 0
          ? 'simulated (the protocol): none at this size'
          : 'simulated (the protocol):',
        simulatedRows.length === 0
          ? ''
          : textTable(
              [
                'N',
                'joins/s',
                'not joined',
                'p90 stretch',
                'RMD',
                'RAD',
                'max stress',
                'p99 stress',
                'depth',
                'same LAN',
                'events',
              ],
              simulatedRows.map((r) => {
                const s = r.simulated!
                return [
                  r.groupSize,
                  s.joinsPerS,
                  s.neverJoined + s.missedTracedChunk,
                  s.p90Stretch,
                  s.rmd,
                  s.rad,
                  s.maxStress,
                  s.p99Stress,
                  s.depthMax,
                  s.sameLanExcluded,
                  s.events,
                ]
              }),
            ),
        '',
        'model (Fig. 4 on exact latencies, same placement and join order):',
        textTable(
          [
            'N',
            'p90 stretch',
            'RMD',
            'RAD',
            'max stress',
            'p99 stress',
            'depth',
            'RAD idg@src',
            'root detour ms',
          ],
          rows.map((r) => [
            r.groupSize,
            r.model.p90Stretch,
            r.model.rmd,
            r.model.rad,
            r.model.maxStress,
            r.model.p99Stress,
            r.model.depthMax,
            r.model.radRootAtSource,
            r.model.rootDetourMs,
          ]),
        ),
      ].join('\n')
      return {
        analysis: {
          setup: facts,
          method: `per size: receivers join at the given rate; once all joined and 5 s passed, one chunk is traced on the wire: overlay delay = first arrival - cut time per receiver, unicast = shortest-path latency source -> receiver; stretch excludes receivers 0 ms from the source (same stub LAN), RMD/RAD keep them; stress = copies of that chunk per physical link over every overlay hop (host->server, Chord, server->host), over links crossed at least once; model = Fig. 4 run on exact latencies over the same placement and join order (no protocol, no races), its stress over the resulting tree edges; in the default sweep, sizes above ${config.maxSimulatedPeers} get the model only (--peers N always simulates)`,
          rows,
          paper: PAPER_FIG11,
          comparison,
        },
        figures,
        table: `${table}\n\n${Object.values(comparison).join('\n')}`,
      }
    },
  }
}

export const i3Stretch: Preset = i3StretchPreset()
