import type { Overlay } from '../../core/protocol.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'
import { barChart, lineChart, type Point } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import type { TransitStubOptions } from '../../sim/underlay/transit-stub-options.ts'
import { measureI3Tree, type TreeMeasurement } from '../i3/measure-tree.ts'
import { meanSd } from '../i3/metrics.ts'
import { PAPER_TABLE2 } from '../i3/paper.ts'
import { SweepProgress } from '../i3/run-progress.ts'
import type { ExperimentReport, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface DepthConfig {
  /** Client counts; `--peers N` runs that one. */
  sizes: readonly number[]
  /** Independent runs per size (seeds derived from --seed). */
  seeds: number
  servers: number
  /** D: children per tree node (Table 2's D); servers then hold D + 1 triggers per id (§3.2). */
  degree: number
  /** Clients join one every 1/joinsPerS seconds, so each join sees the finished previous ones. */
  joinsPerS: number
  underlay: Partial<TransitStubOptions>
  params: Record<string, unknown>
  overlay?: Overlay<I3Message, I3Params>
}

export const DEPTH_DEFAULTS: DepthConfig = {
  sizes: [8, 16, 32, 48, 64],
  seeds: 10,
  servers: 32,
  degree: 4,
  joinsPerS: 0.5,
  underlay: {},
  // No churn: parent-level probing (moves up, stand-ins for departed parents) would add its own
  // set queries to the join queries Table 2(b) counts.
  params: { probeIntervalMs: 0 },
}

export interface DepthRow {
  groupSize: number
  runs: number
  /** Tree depth (deepest receiver's level; level 1 = joined at the group root), over the runs. */
  depthMean: number
  depthSd: number
  paperDepth: number | null
  paperDepthSd: number | null
  neverJoined: number
}

export interface LevelQueriesRow {
  level: number
  /** Query messages processed per receiver at this level, mean over runs of each run's mean. */
  queriesMean: number
  queriesSd: number
  /** Runs that had a receiver at this level. */
  runs: number
  paper: number | null
  paperSd: number | null
}

/** Seed of run `i` of a size: distinct per run, reproducible from --seed. */
function runSeed(seed: number, n: number, i: number): number {
  return (Math.imul(seed, 1_000_003) + n * 1009 + i) >>> 0
}

/** Per level, mean and sd over the runs of each run's per-receiver mean (the source's level 0 too). */
export function levelQueries(runs: readonly TreeMeasurement[]): LevelQueriesRow[] {
  const perLevel = new Map<number, number[]>()
  for (const run of runs)
    for (const row of run.levels) {
      let list = perLevel.get(row.level)
      if (!list) perLevel.set(row.level, (list = []))
      list.push(row.queriesPerMember)
    }
  return [...perLevel.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([level, values]) => {
      const { mean, sd } = meanSd(values)
      const paper = PAPER_TABLE2.queriesPerLevel.find((p) => p.level === level)
      return {
        level,
        queriesMean: mean,
        queriesSd: sd,
        runs: values.length,
        paper: paper?.mean ?? null,
        paperSd: paper?.sd ?? null,
      }
    })
}

/**
 * i3 §7.1, Table 2: tree depth vs group size and the query-distance messages a receiver processes
 * by level, with D = 4 and 32 servers. The paper ran on a cluster; we run the same protocol on the
 * transit-stub underlay (the tree's shape depends on D and the join order far more than on latency).
 */
export function i3DepthPreset(config: DepthConfig = DEPTH_DEFAULTS): Preset {
  const sizesFor = (opts: PresetOptions) => (opts.peers === undefined ? [...config.sizes] : [opts.peers])
  return {
    name: 'i3-depth',
    description: `i3 Table 2: tree depth and query messages per level, D = ${config.degree}, ${config.servers} servers, ${config.sizes.join('/')} clients x ${config.seeds} seeds; --peers N runs one size`,

    plan(): PlannedRun[] {
      return []
    },

    async report(_runs, opts: PresetOptions): Promise<ExperimentReport> {
      const depthRows: DepthRow[] = []
      const bySize = new Map<number, TreeMeasurement[]>()
      const sizes = sizesFor(opts)
      const sweep = new SweepProgress(opts.progress, sizes.length * config.seeds)
      for (const n of sizes) {
        const runs: TreeMeasurement[] = []
        for (let i = 0; i < config.seeds; i++)
          runs.push(
            sweep.run(`N=${n} seed ${i + 1}/${config.seeds}`, (progress) =>
              measureI3Tree({
                seed: runSeed(opts.seed, n, i),
                receivers: n,
                servers: config.servers,
                underlay: config.underlay,
                params: { maxTriggersPerId: config.degree + 1, ...config.params },
                joinsPerS: config.joinsPerS,
                ...(config.overlay ? { overlay: config.overlay } : {}),
                ...progress,
              }),
            ),
          )
        bySize.set(n, runs)
        const { mean, sd } = meanSd(runs.map((r) => r.depth.max))
        const paper = PAPER_TABLE2.depth.find((p) => p.groupSize === n)
        depthRows.push({
          groupSize: n,
          runs: runs.length,
          depthMean: mean,
          depthSd: sd,
          paperDepth: paper?.mean ?? null,
          paperDepthSd: paper?.sd ?? null,
          neverJoined: runs.reduce((a, r) => a + r.neverJoined, 0),
        })
      }
      // Table 2(b) is for the largest group; so is ours.
      const queriesSize = Math.max(...bySize.keys())
      const levels = levelQueries(bySize.get(queriesSize) ?? [])
      const facts = `D = ${config.degree}, ${config.servers} servers, transit-stub underlay, one join every ${1 / config.joinsPerS} s, ${config.seeds} runs per size, seed ${opts.seed}`

      const depthPoints: Point[] = []
      for (const r of depthRows) {
        depthPoints.push({ x: r.groupSize, y: r.depthMean, series: 'ours (mean of runs)' })
        if (r.paperDepth !== null) depthPoints.push({ x: r.groupSize, y: r.paperDepth, series: 'paper' })
        depthPoints.push({
          x: r.groupSize,
          y: Math.log(r.groupSize) / Math.log(config.degree),
          series: 'balanced tree (log_D N)',
        })
      }
      const figures = [
        {
          file: 'depth-vs-group-size.svg',
          svg: await lineChart(
            {
              title: 'i3 tree depth vs group size (Table 2a)',
              subtitle: facts,
              xTitle: 'clients',
              yTitle: 'tree depth (levels)',
              integerX: true,
            },
            depthPoints,
          ),
        },
        {
          file: 'queries-per-level.svg',
          svg: await barChart(
            {
              title: `Query messages processed per receiver by level, ${queriesSize} clients (Table 2b)`,
              subtitle: `${facts}; level 0 = the source`,
              xTitle: 'level',
              yTitle: 'query messages per receiver',
            },
            levels.flatMap((l) => [
              { category: String(l.level), group: 'ours', value: l.queriesMean },
              ...(l.paper === null ? [] : [{ category: String(l.level), group: 'paper', value: l.paper }]),
            ]),
          ),
        },
      ]
      const table = [
        textTable(
          ['clients', 'depth', 'sd', 'paper', 'paper sd', 'not joined'],
          depthRows.map((r) => [
            r.groupSize,
            r.depthMean,
            r.depthSd,
            r.paperDepth,
            r.paperDepthSd,
            r.neverJoined,
          ]),
        ),
        '',
        `query messages per receiver by level (${queriesSize} clients):`,
        textTable(
          ['level', 'queries', 'sd', 'paper', 'paper sd'],
          levels.map((l) => [l.level, l.queriesMean, l.queriesSd, l.paper, l.paperSd]),
        ),
      ].join('\n')
      return {
        analysis: {
          setup: facts,
          method:
            'depth = level of the deepest receiver (level 1 = joined at the group root), from each receiver reporting the member it joined at as its parent; queries = query-distance messages delivered to each end host over the whole run (counted on the wire), averaged per level, then over runs',
          depth: depthRows,
          queriesPerLevel: { groupSize: queriesSize, levels },
          paper: PAPER_TABLE2,
        },
        figures,
        table,
      }
    },
  }
}

export const i3Depth: Preset = i3DepthPreset()
