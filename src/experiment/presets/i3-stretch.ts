import type { Overlay } from '../../core/protocol.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'
import { lineChart, type Point } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import type { TransitStubOptions } from '../../sim/underlay/transit-stub-options.ts'
import { measureI3Tree, type TreeMeasurement, type TreeRunOptions } from '../i3/measure-tree.ts'
import { PAPER_FIG11 } from '../i3/paper.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface StretchConfig {
  /** Group sizes (receivers); `--peers N` runs that one size instead. */
  sizes: readonly number[]
  servers: number
  /** Transit-stub shape (omitted fields: I3_TRANSIT_STUB, 10,000 routers). */
  underlay: Partial<TransitStubOptions>
  /** D: triggers per id, so children per tree node. */
  maxTriggersPerId: number
  /**
   * Receivers join one after another at max(minJoinsPerS, N / maxJoinS) per second: slow enough
   * at small N that each join sees the tree the previous ones built (the paper's greedy joins),
   * bounded in simulated time at large N.
   */
  minJoinsPerS: number
  maxJoinS: number
  chunkRateHz: number
  /** Extra i3 parameters (e.g. a longer probe interval). */
  params: Record<string, unknown>
  /** Tests pass a stand-in; the default is src/overlays/i3. */
  overlay?: Overlay<I3Message, I3Params>
}

export const STRETCH_DEFAULTS: StretchConfig = {
  sizes: [16, 64, 256, 1024, 4096, 16_384, 65_536],
  servers: 8192,
  underlay: {},
  maxTriggersPerId: 8,
  minJoinsPerS: 20,
  maxJoinS: 300,
  chunkRateHz: 1,
  // No churn and no loss here: the soft state never needs refreshing within a run and nothing is
  // lost, so long-lived triggers, no recovery groups and a slow periodic joinable check (members
  // also re-check on every query) cut the events ~8x without changing a single join decision.
  params: { triggerLifetimeMs: 600_000, recovery: 'off', joinableCheckMs: 30_000 },
}

export interface StretchRow {
  groupSize: number
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
  /** Fig. 4 on exact latencies over the same placement and join order (join-model.ts). */
  modelP90Stretch: number
  modelRmd: number
  modelRad: number
  modelMaxStress: number
  modelP99Stress: number
  modelDepthMax: number
  /** The same model with idg held by the source's own server (no root detour). */
  modelRadRootAtSource: number
  modelRmdRootAtSource: number
  /** Source -> the server holding idg: every packet's first leg. */
  rootDetourMs: number
  events: number
  simulatedS: number
}

function joinsPerS(config: StretchConfig, n: number): number {
  return Math.max(config.minJoinsPerS, n / config.maxJoinS)
}

function rowOf(n: number, rate: number, m: TreeMeasurement): StretchRow {
  return {
    groupSize: n,
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
    modelP90Stretch: m.model.stretch.stretch.p90,
    modelRmd: m.model.stretch.rmd,
    modelRad: m.model.stretch.rad,
    modelMaxStress: m.model.stress.max,
    modelP99Stress: m.model.stress.p99,
    modelDepthMax: m.model.depthMax,
    modelRadRootAtSource: m.model.rootAtSource.rad,
    modelRmdRootAtSource: m.model.rootAtSource.rmd,
    rootDetourMs: m.model.rootDetourMs,
    events: m.events,
    simulatedS: m.endS,
  }
}

/**
 * One line per Fig. 11 metric: ours at the largest size run against the paper's bound at 65,536,
 * and where ours is above, why — read off the join model over the same placement, which is the
 * paper's algorithm with exact distances and no protocol at all.
 */
export function compareWithPaper(rows: readonly StretchRow[]): Record<string, string> {
  const last = rows[rows.length - 1]
  if (!last) return {}
  const p = PAPER_FIG11
  const at =
    last.groupSize === p.groupSize
      ? `at ${p.groupSize}`
      : `at ${last.groupSize} (the paper's bound is for ${p.groupSize})`
  const f = (v: number) => v.toFixed(2)
  const line = (name: string, ours: number, bound: number, why: string) =>
    `${name} ${f(ours)} ${at} vs paper <= ${bound}: ${ours <= bound ? 'within' : `above; ${why}`}`
  // Where the simulated tree is close to the model, the gap to the paper is the algorithm on this
  // topology; where it is well above, the protocol's measured distances and racing joins add it.
  const why = (ours: number, model: number, rootAtSource: number | null) =>
    [
      `Fig. 4 on exact latencies over the same placement gives ${f(model)}`,
      rootAtSource === null
        ? ''
        : ` (${f(rootAtSource)} with idg on the source's server, i.e. without the ${f(last.rootDetourMs)} ms detour to the hashed group id's server)`,
      ours > model * 1.1
        ? '; the protocol adds the rest (joins decide on measured reply times and race each other)'
        : '; so the gap is the algorithm on this topology, not the protocol',
    ].join('')
  return {
    p90Stretch: line(
      '90th-percentile stretch',
      last.p90Stretch,
      p.p90StretchAtMost,
      `${why(last.p90Stretch, last.modelP90Stretch, null)}; receivers a few ms from the source get large ratios from any detour`,
    ),
    rmd: line('RMD', last.rmd, p.rmdAtMost, why(last.rmd, last.modelRmd, last.modelRmdRootAtSource)),
    rad: line('RAD', last.rad, p.radAtMost, why(last.rad, last.modelRad, last.modelRadRootAtSource)),
    maxStress: line(
      'max link stress',
      last.maxStress,
      p.maxStressAtMost,
      `${why(last.maxStress, last.modelMaxStress, null)}; tree edges between stub domains funnel through the few inter-transit links of a 10-domain core`,
    ),
    p99Stress: `99th-percentile link stress ${f(last.p99Stress)} ${at} vs paper ${p.p99Stress} (Fig. 4 on exact latencies: ${f(last.modelP99Stress)})`,
  }
}

/** The options of one size's run: the preset and bench/i3-stretch.bench.ts run exactly these. */
export function stretchRunOptions(config: StretchConfig, n: number, seed: number): TreeRunOptions {
  return {
    seed,
    receivers: n,
    servers: config.servers,
    underlay: config.underlay,
    params: { maxTriggersPerId: config.maxTriggersPerId, ...config.params },
    joinsPerS: joinsPerS(config, n),
    chunkRateHz: config.chunkRateHz,
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
    `${config.servers} servers, D = ${config.maxTriggersPerId}, transit-stub ${config.underlay.transitDomains === undefined ? '10,000 routers' : 'small test shape'}, unlimited links, joins at max(${config.minJoinsPerS}/s, N/${config.maxJoinS} s), ${config.chunkRateHz} chunks/s, seed ${seed}`
  return {
    name: 'i3-stretch',
    description: `i3 Fig. 11: 90th-pct latency stretch, RMD, RAD and max link stress vs group size (${config.sizes.join(', ')}; ${config.servers} servers, D = ${config.maxTriggersPerId}); --peers N runs one size`,

    plan(): PlannedRun[] {
      return []
    },

    async report(_runs, opts: PresetOptions): Promise<ExperimentReport> {
      const rows: StretchRow[] = []
      for (const n of sizesFor(opts)) {
        const run = stretchRunOptions(config, n, opts.seed)
        rows.push(rowOf(n, run.joinsPerS!, measureI3Tree(run)))
      }
      const comparison = compareWithPaper(rows)
      const facts = setup(opts.seed)
      const paperX = Math.log2(PAPER_FIG11.groupSize)

      const latency: Point[] = []
      const stress: Point[] = []
      for (const r of rows) {
        const x = Math.log2(r.groupSize)
        latency.push({ x, y: r.p90Stretch, series: '90th percentile' })
        latency.push({ x, y: r.rmd, series: 'RMD' })
        latency.push({ x, y: r.rad, series: 'RAD' })
        stress.push({ x, y: r.maxStress, series: 'max' })
        stress.push({ x, y: r.p99Stress, series: '99th percentile' })
        latency.push({ x, y: r.modelRad, series: 'RAD, Fig. 4 on exact latencies' })
        latency.push({ x, y: r.modelRadRootAtSource, series: 'RAD, same, idg at the source' })
        stress.push({ x, y: r.modelMaxStress, series: 'max, Fig. 4 on exact latencies' })
      }
      latency.push({ x: paperX, y: PAPER_FIG11.p90StretchAtMost, series: 'paper: 90th pct <= 3.5' })
      latency.push({ x: paperX, y: PAPER_FIG11.rmdAtMost, series: 'paper: RMD, RAD <= 1.5' })
      stress.push({ x: paperX, y: PAPER_FIG11.maxStressAtMost, series: 'paper: max <= 50' })
      stress.push({ x: paperX, y: PAPER_FIG11.p99Stress, series: 'paper: 99th pct 18.6' })

      const figures = [
        {
          file: 'stretch-vs-group-size.svg',
          svg: await lineChart(
            {
              title: 'i3 latency stretch vs group size (Fig. 11a)',
              subtitle: `${facts}; ${comparison.p90Stretch ?? ''}; ${comparison.rmd ?? ''}; ${comparison.rad ?? ''}`,
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
              subtitle: `${facts}; ${comparison.maxStress ?? ''}`,
              xTitle: 'log2 group size',
              yTitle: 'copies per physical link',
              integerX: true,
            },
            stress,
          ),
        },
      ]
      const table = textTable(
        [
          'N',
          'joins/s',
          'not joined',
          'p90 stretch',
          'RMD',
          'RAD',
          'max stress',
          'p99 stress',
          'depth max',
          'model RAD',
          'model RAD idg@src',
          'model max stress',
          'same LAN',
          'events',
        ],
        rows.map((r) => [
          r.groupSize,
          r.joinsPerS,
          r.neverJoined + r.missedTracedChunk,
          r.p90Stretch,
          r.rmd,
          r.rad,
          r.maxStress,
          r.p99Stress,
          r.depthMax,
          r.modelRad,
          r.modelRadRootAtSource,
          r.modelMaxStress,
          r.sameLanExcluded,
          r.events,
        ]),
      )
      return {
        analysis: {
          setup: facts,
          method:
            'per size: receivers join at the given rate; once all joined and 5 s passed, one chunk is traced on the wire: overlay delay = first arrival - cut time per receiver, unicast = shortest-path latency source -> receiver; stretch excludes receivers 0 ms from the source (same stub LAN), RMD/RAD keep them; stress = copies of that chunk per physical link over every overlay hop (host->server, Chord, server->host), over links crossed at least once; model = Fig. 4 run on exact latencies over the same placement and join order (no protocol, no races), its stress over the resulting tree edges',
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
