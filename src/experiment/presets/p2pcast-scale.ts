import { createRng } from '../../core/rng.ts'
import { checkForest, Registry, treeHeights } from '../../overlays/p2pcast/index.ts'
import { barChart, lineChart, type Point } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import type { RunOutcome } from '../run.ts'
import { streamFacts } from './facts.ts'
import {
  type Contender,
  comparisonRow,
  DEFAULT_STRIPES,
  fmt,
  linksFacts,
  stripesField,
  stripesOf,
  swarmScenario,
  titleWithF,
} from './p2pcast-common.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

/** Salt of the forest model's random stream (kept apart from the simulated runs'). */
const SALT_FOREST = 0xf0e

export interface ScaleConfig {
  /** Forest model sizes: joins then churn on the registry alone, no network, no data path. */
  forestSizes: readonly number[]
  /** Delete+join pairs after the joins (capped at half the size). */
  forestChurnOps: number
  /** Simulated sizes: both overlays stream, with crashes, so messages per leave are measured too. */
  simSizes: readonly number[]
  /** Largest --peers N that is also simulated (above it only the forest model runs). */
  maxSimPeers: number
  /** Joins arrive over max(simRampS, N / simJoinsPerS) seconds, then streaming goes on simTailS. */
  simRampS: number
  simJoinsPerS: number
  simTailS: number
  simCrashPctPerMin: number
}

export const SCALE_DEFAULTS: ScaleConfig = {
  forestSizes: [1000, 3000, 10_000, 30_000, 100_000],
  forestChurnOps: 2000,
  simSizes: [100, 300, 1000, 3000, 10_000],
  maxSimPeers: 10_000,
  simRampS: 30,
  // The registry lives on the source: 10^4 joins in 30 s (333/s) fill its 1.5 Mbit/s uplink with
  // UPDATEs, chunks queue behind them and the forest falls apart. 50 joins/s it keeps up with.
  simJoinsPerS: 50,
  simTailS: 30,
  simCrashPctPerMin: 5,
}

export interface ForestPoint {
  peers: number
  log2N: number
  /** 2·log_f N: the issue's bound on tree height. */
  twoLogFN: number
  /**
   * Only when f ≠ 2 (f = 2 points are written as they always were; there log_f N = log2N):
   * log_f N, operations done by rebuilding the whole forest (bootstrap.ts), and how many §3 rules
   * the final forest breaks (checkForest; 0 when all hold).
   */
  logFN?: number
  rebuilds?: number
  ruleViolations?: number
  /** Height of each tree (edges from the source) after the N joins, before any leave. */
  heightsAfterJoins: number[]
  /** Height of each tree after the joins and the churn. */
  heights: number[]
  heightMax: number
  /** RPCs + walk hops + UPDATEs per operation: the count the overlay reports as joinMessages. */
  messagesPerJoin: number
  messagesPerLeave: number
  fallbacksPerLeave: number
  churnOps: number
}

/**
 * The registry exactly as the overlay runs it (random contact, the paper's cases, UPDATE fan-out)
 * without the network: N joins, then delete+join pairs. This is how 10^5 peers fit in the preset.
 */
export function measureForest(
  peers: number,
  churnOps: number,
  seed: number,
  f: number = DEFAULT_STRIPES,
): ForestPoint {
  const rng = createRng(seed, SALT_FOREST + peers)
  const registry = new Registry(f, 0, rng)
  const ids: number[] = []
  let joinWork = 0
  let rebuilds = 0
  for (let i = 1; i <= peers; i++) {
    const r = registry.join(i)
    joinWork += r.cost!.rpcs + r.cost!.walkHops + r.updates.length
    rebuilds += r.cost!.rebuilds
    ids.push(i)
  }
  const heightsAfterJoins = treeHeights(registry.forest)
  const ops = Math.min(churnOps, Math.floor(peers / 2))
  let leaveWork = 0
  let fallbacks = 0
  let next = peers + 1
  for (let k = 0; k < ops; k++) {
    const at = rng.int(ids.length)
    const victim = ids[at]!
    ids[at] = ids[ids.length - 1]!
    ids.pop()
    const r = registry.delete(victim, victim)
    leaveWork += r.cost!.rpcs + r.cost!.walkHops + r.updates.length
    fallbacks += r.cost!.fallbacks
    rebuilds += r.cost!.rebuilds + registry.join(next).cost!.rebuilds
    ids.push(next++)
  }
  const heights = treeHeights(registry.forest)
  const logFN = Math.log(peers) / Math.log(f)
  return {
    peers,
    log2N: Math.log2(peers),
    twoLogFN: (2 * Math.log(peers)) / Math.log(f),
    ...(f === DEFAULT_STRIPES
      ? {}
      : { logFN, rebuilds, ruleViolations: checkForest(registry.forest).length }),
    heightsAfterJoins,
    heights,
    heightMax: Math.max(...heights),
    messagesPerJoin: joinWork / peers,
    messagesPerLeave: ops === 0 ? 0 : leaveWork / ops,
    fallbacksPerLeave: ops === 0 ? 0 : fallbacks / ops,
    churnOps: ops,
  }
}

/** The forest model's table; f > 2 adds log_f N, the rebuilds and the rules the forest broke. */
type Column = readonly [name: string, cell: (p: ForestPoint) => string | number]

function forestTable(forest: readonly ForestPoint[], f: number): string {
  const plain = f === DEFAULT_STRIPES
  // The f > 2 columns are left out at f = 2, whose table stays as it was.
  const logF: Column[] = plain ? [] : [[`log_${f} N`, (p) => fmt(p.logFN ?? 0, 1)]]
  const rules: Column[] = plain
    ? []
    : [
        ['rebuilds', (p) => p.rebuilds ?? 0],
        ['rule violations', (p) => p.ruleViolations ?? 0],
      ]
  const columns: Column[] = [
    ['N', (p) => p.peers],
    ['heights joins', (p) => p.heightsAfterJoins.join(',')],
    ['heights churn', (p) => p.heights.join(',')],
    ['log2 N', (p) => fmt(p.log2N, 1)],
    ...logF,
    [plain ? '2·log_f N' : `2·log_${f} N`, (p) => fmt(p.twoLogFN, 1)],
    ['msgs/join', (p) => fmt(p.messagesPerJoin, 2)],
    ['msgs/leave', (p) => fmt(p.messagesPerLeave, 2)],
    ['fallbacks/leave', (p) => fmt(p.fallbacksPerLeave, 2)],
    ['churn ops', (p) => p.churnOps],
    ...rules,
  ]
  return textTable(
    columns.map(([name]) => name),
    forest.map((p) => columns.map(([, cell]) => cell(p))),
  )
}

const SIM_CONTENDERS: readonly Contender[] = ['p2pcast', 'spreadit']

function peersOf(run: RunOutcome): number {
  return run.scenario.churn[0]?.maxPeers ?? 0
}

function simRow(run: RunOutcome) {
  const p = run.metrics.protocol
  return {
    peers: peersOf(run),
    ...comparisonRow(run),
    messagesPerJoin: p.joinMessages?.mean ?? null,
    messagesPerLeave: p.deleteMessages?.mean ?? null,
    joins: p.joinMessages?.count ?? 0,
    leaves: p.deleteMessages?.count ?? 0,
  }
}

/**
 * P2PCast at scale: tree height and control messages per join / leave vs N, from the forest model
 * up to 10^5 peers and from full simulations (both overlays streaming) at the smaller sizes.
 */
export function p2pcastScalePreset(config: ScaleConfig = SCALE_DEFAULTS): Preset {
  const sizesFor = (opts: PresetOptions) => ({
    forest: opts.peers === undefined ? [...config.forestSizes] : [opts.peers],
    sim:
      opts.peers === undefined ? [...config.simSizes] : opts.peers <= config.maxSimPeers ? [opts.peers] : [],
  })
  return {
    name: 'p2pcast-scale',
    takes: { stripes: true },
    description: `P2PCast tree height and messages per join/leave vs N (forest model to ${Math.max(...config.forestSizes)} peers, simulated with SpreadIt to ${Math.max(...config.simSizes)}); --peers N picks one size`,

    plan(opts: PresetOptions): PlannedRun[] {
      const runs: PlannedRun[] = []
      for (const peers of sizesFor(opts).sim) {
        const rampS = Math.max(config.simRampS, Math.ceil(peers / config.simJoinsPerS))
        for (const c of SIM_CONTENDERS)
          runs.push({
            label: `${c} N=${peers}`,
            scenario: swarmScenario(
              c,
              {
                peers,
                durationS: rampS + config.simTailS,
                rampS,
                crashesPerMin: config.simCrashPctPerMin / 100,
                seed: opts.seed,
              },
              'p2pcast-scale',
              stripesOf(opts),
            ),
          })
      }
      return runs
    },

    async report(runs: readonly RunOutcome[], opts: PresetOptions): Promise<ExperimentReport> {
      const f = stripesOf(opts)
      const forest = sizesFor(opts).forest.map((n) => measureForest(n, config.forestChurnOps, opts.seed, f))
      const sim = runs.map(simRow)
      const forestFacts = `forest model (registry only, no data path): N joins then min(${config.forestChurnOps}, N/2) leave+join pairs, f = ${f}, seed ${opts.seed}`
      const first = runs[0]?.scenario
      const simFacts = first
        ? `joins at ${config.simJoinsPerS}/s (at least ${config.simRampS} s) then ${config.simTailS} s more, ${config.simCrashPctPerMin} %/min crashes, ${streamFacts(first)}, ${first.underlay.kind} underlay, seed ${first.seed}${f === DEFAULT_STRIPES ? '' : `, ${linksFacts(f)}`}`
        : 'no simulated sizes'

      const heightPoints: Point[] = []
      for (const p of forest) {
        for (const [t, h] of p.heights.entries())
          heightPoints.push({ x: p.log2N, y: h, series: `tree ${t}, churned` })
        const afterJoins = Math.max(...p.heightsAfterJoins)
        heightPoints.push({ x: p.log2N, y: afterJoins, series: 'joins only' })
        // f = 2 keeps its series names ('log2 N' is log_f N there); otherwise they name f.
        if (f === DEFAULT_STRIPES) {
          heightPoints.push({ x: p.log2N, y: p.log2N, series: 'log2 N' })
          heightPoints.push({ x: p.log2N, y: p.twoLogFN, series: '2·log_f N' })
        } else {
          heightPoints.push({ x: p.log2N, y: p.twoLogFN / 2, series: `log_${f} N` })
          heightPoints.push({ x: p.log2N, y: p.twoLogFN, series: `2·log_${f} N` })
        }
      }
      for (const r of sim)
        heightPoints.push({
          x: Math.log2(r.peers),
          y: r.depthMax,
          series: `${r.overlay} depth (sim)`,
        })

      const messagePoints: Point[] = []
      for (const p of forest) {
        messagePoints.push({ x: p.log2N, y: p.messagesPerJoin, series: 'join (model)' })
        messagePoints.push({ x: p.log2N, y: p.messagesPerLeave, series: 'leave (model)' })
      }
      for (const r of sim.filter((r) => r.overlay === 'p2pcast')) {
        if (r.messagesPerJoin !== null)
          messagePoints.push({ x: Math.log2(r.peers), y: r.messagesPerJoin, series: 'join (sim)' })
        if (r.messagesPerLeave !== null)
          messagePoints.push({
            x: Math.log2(r.peers),
            y: r.messagesPerLeave,
            series: 'leave (sim)',
          })
      }

      const figures = [
        {
          file: 'tree-height-vs-N.svg',
          svg: await lineChart(
            {
              title: titleWithF('P2PCast tree height vs N, with SpreadIt depth', f),
              subtitle: `model heights (max over trees after the joins; each tree after churn): ${forestFacts}; sim depth = deepest stripe of any viewer at the end: ${simFacts}`,
              xTitle: 'log2 N (N = peers)',
              yTitle: 'height / max depth',
            },
            heightPoints,
          ),
        },
        {
          file: 'messages-per-op-vs-N.svg',
          svg: await lineChart(
            {
              title: titleWithF('P2PCast control messages per join and per leave vs N', f),
              subtitle: `messages = RPCs + walk hops + UPDATEs; model: ${forestFacts}; sim: ${simFacts}`,
              xTitle: 'log2 N (N = peers)',
              yTitle: 'messages per operation',
            },
            messagePoints,
          ),
        },
      ]
      if (sim.length > 0)
        figures.push({
          file: 'zero-upload-vs-N.svg',
          svg: await barChart(
            {
              title: titleWithF('Viewers uploading nothing vs N', f),
              subtitle: simFacts,
              xTitle: 'N',
              yTitle: 'fraction of viewers',
            },
            sim.map((r) => ({ category: String(r.peers), group: r.overlay, value: r.zeroUploadFraction })),
          ),
        })

      const table = [
        `forest model (f = ${f}, registry only):`,
        forestTable(forest, f),
        '',
        sim.length === 0 ? 'no simulated sizes' : `simulated (${simFacts}):`,
        sim.length === 0
          ? ''
          : textTable(
              [
                'N',
                'overlay',
                'depth max',
                'depth mean',
                'hops max',
                'cont mean',
                'zero-up',
                'msgs/join',
                'msgs/leave',
                'src up',
              ],
              sim.map((r) => [
                r.peers,
                r.overlay,
                r.depthMax,
                fmt(r.depthMean, 2),
                r.hopsMax,
                fmt(r.continuityMean, 4),
                fmt(r.zeroUploadFraction, 3),
                r.messagesPerJoin === null ? '-' : fmt(r.messagesPerJoin, 2),
                r.messagesPerLeave === null ? '-' : fmt(r.messagesPerLeave, 2),
                `${r.sourceUploadRatio.toFixed(2)}x`,
              ]),
            ),
      ].join('\n')
      return {
        analysis: {
          ...stripesField(f),
          forestModel: forest,
          simulated: sim,
          method: { forest: forestFacts, simulated: simFacts },
        },
        figures,
        table,
      }
    },
  }
}

export const p2pcastScale: Preset = p2pcastScalePreset()
