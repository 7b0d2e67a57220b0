import { cdfChart, lineChart, type Point } from '../../report/charts.ts'
import { textTable } from '../../report/table.ts'
import { PAPER_I3_HOP_MAX, PAPER_LAST_HOP_MAX } from '../i3/loss-rates.ts'
import {
  measureReliability,
  type RecoveryScheme,
  type ReliabilityPoint,
  type ReliabilitySetup,
} from '../i3/reliability-run.ts'
import { SweepProgress } from '../i3/run-progress.ts'
import { fmt } from './p2pcast-common.ts'
import type { ExperimentReport, Figure, PlannedRun, Preset, PresetOptions } from './preset.ts'

export interface I3ReliabilityConfig extends ReliabilitySetup {
  sizes: readonly number[]
  schemes: readonly RecoveryScheme[]
  /** The size whose recovery-time CDF is plotted (Fig. 13b: 1,024). */
  cdfSize: number
}

export const I3_RELIABILITY_DEFAULTS: I3ReliabilityConfig = {
  sizes: [16, 64, 256, 1024, 4096],
  schemes: ['loss', 'random'],
  cdfSize: 1024,
  servers: 8192,
  joinsPerS: 20,
  // The paper gives no packet rate; 10 packets/s gives 600 sequence numbers per 60 s window.
  chunkRateHz: 10,
  lossWarmupS: 20,
  windowS: 60,
  tailS: 5,
  i3HopMax: PAPER_I3_HOP_MAX,
  lastHopMax: PAPER_LAST_HOP_MAX,
  params: { repairBackoffMs: 300, repairTimeoutMs: 800, maxTriggersPerId: 9 /* D = 8 */ },
}

/** Table 1 of the paper, copied exactly: mean (standard deviation) per group size. */
export const I3_TABLE_1 = [
  {
    size: 16,
    repairsPerDropLoss: [1.12, 0.12],
    repairsPerDropRandom: [1.15, 0.16],
    maxPerSeqLoss: [1.0, 0.07],
    maxPerSeqRandom: [0.18, 0.03],
  },
  {
    size: 64,
    repairsPerDropLoss: [1.07, 0.16],
    repairsPerDropRandom: [1.11, 0.12],
    maxPerSeqLoss: [1.92, 0.28],
    maxPerSeqRandom: [0.31, 0.04],
  },
  {
    size: 256,
    repairsPerDropLoss: [1.16, 0.05],
    repairsPerDropRandom: [1.18, 0.12],
    maxPerSeqLoss: [2.87, 0.25],
    maxPerSeqRandom: [0.44, 0.06],
  },
  {
    size: 1024,
    repairsPerDropLoss: [1.18, 0.08],
    repairsPerDropRandom: [1.19, 0.07],
    maxPerSeqLoss: [3.89, 0.24],
    maxPerSeqRandom: [0.64, 0.05],
  },
  {
    size: 4096,
    repairsPerDropLoss: [1.13, 0.04],
    repairsPerDropRandom: [1.16, 0.07],
    maxPerSeqLoss: [5.09, 0.54],
    maxPerSeqRandom: [0.84, 0.08],
  },
] as const

export const I3_RELIABILITY_PAPER = {
  table1: {
    caption:
      'Table 1: Number of repairs as a fraction of drop rate, and maximum number of anycast requests per sequence number for rel-random and rel-loss (standard deviation in parentheses).',
    columns: '[mean, standard deviation]; the 4096 rel-random repairs-per-drop deviation is printed "0.070"',
    rows: I3_TABLE_1,
  },
  fig13a: {
    caption: 'Fig. 13(a): total number of duplicates as a fraction of total number of drops',
    readFrom:
      '§6.3 text: "in either case the number of duplicates per packet loss is less than 1.5 and practically remains constant at large group sizes"; rel-loss slightly better. §7.2 (PlanetLab, rel-loss): mean about 1.6.',
    upperBound: 1.5,
  },
  fig13b: {
    caption: 'Fig. 13(b): cumulative distribution of time to recover for 1024 receivers',
    readFrom:
      '§6.3 text: "in 85% of the cases, the repair arrives within 600 ms"; "all repairs arrive before 2400 ms"',
    fractionWithin600Ms: 0.85,
    allWithinMs: 2400,
  },
  setup:
    '§6.3: loss U[0, 4%] per i3 hop, U[0, 8%] per hop from i3 servers to end hosts, data and control alike; repair request after U[0, 300 ms); re-sent after 800 ms',
}

type PaperRow = (typeof I3_TABLE_1)[number]

function paperValue(row: PaperRow, scheme: RecoveryScheme, what: 'repairsPerDrop' | 'maxPerSeq'): number {
  const key = `${what}${scheme === 'loss' ? 'Loss' : 'Random'}` as const
  return row[key][0]
}

const SCHEME_NAMES: Record<RecoveryScheme, string> = { loss: 'rel-loss', random: 'rel-random' }

interface Row extends ReliabilityPoint {
  /** Group size asked for (ReliabilityPoint.receivers: how many joined and were measured). */
  size: number
}

/**
 * Fig. 13 and Table 1: rel-loss vs rel-random under §6.3's per-hop loss. One run per size and
 * scheme inside report() (the i3 swarm has servers and is not a Scenario), same seed throughout.
 */
export function i3ReliabilityPreset(config: I3ReliabilityConfig = I3_RELIABILITY_DEFAULTS): Preset {
  const sizesFor = (opts: PresetOptions) => (opts.peers === undefined ? [...config.sizes] : [opts.peers])
  return {
    name: 'i3-reliability',
    description: `i3 Fig. 13 / Table 1: duplicates per loss, recovery time, repairs per drop, rel-loss vs rel-random at ${config.sizes.join(', ')} receivers (--peers N: one size)`,

    plan(): PlannedRun[] {
      return []
    },

    async report(_runs, opts: PresetOptions): Promise<ExperimentReport> {
      const rows: Row[] = []
      const { sizes: _, schemes, cdfSize: __, ...setup } = config
      const runSizes = sizesFor(opts)
      const sweep = new SweepProgress(opts.progress, runSizes.length * schemes.length)
      for (const receivers of runSizes)
        for (const scheme of schemes)
          rows.push({
            size: receivers,
            ...sweep.run(`N=${receivers} ${SCHEME_NAMES[scheme]}`, (progress) =>
              measureReliability({
                ...setup,
                seed: opts.seed,
                receivers,
                scheme,
                ...progress,
              }),
            ),
          })
      const facts = `loss U[0, ${config.i3HopMax * 100}%) per i3 hop, U[0, ${config.lastHopMax * 100}%) last hop, ${config.chunkRateHz} packets/s, ${config.windowS} s window, ${config.servers} servers, transit-stub underlay, seed ${opts.seed}`
      const figures = await plots(rows, config, facts)
      const table = [
        `i3-reliability (${facts}):`,
        textTable(
          [
            'N',
            'scheme',
            'joined',
            'drop rate',
            'dup/drop',
            'own req/drop',
            'paper',
            '+escalations',
            'max req/seq',
            'paper',
            '<=600ms',
            'p50 ms',
            'p99 ms',
            'unrecovered',
          ],
          rows.map((r) => {
            const paper = I3_TABLE_1.find((p) => p.size === r.size)
            return [
              r.size,
              SCHEME_NAMES[r.scheme],
              `${r.joined}/${r.size}`,
              fmt(r.dropRate, 4),
              fmt(r.duplicatesPerDrop, 3),
              fmt(r.ownRequestsPerDrop, 3),
              paper ? fmt(paperValue(paper, r.scheme, 'repairsPerDrop'), 2) : '-',
              fmt(r.repairsPerDrop, 3),
              fmt(r.maxRepairRequestsPerSeq, 3),
              paper ? fmt(paperValue(paper, r.scheme, 'maxPerSeq'), 2) : '-',
              r.recoveredWithin600Ms === null ? '-' : fmt(r.recoveredWithin600Ms, 3),
              fmt(r.recoveryMs.p50, 0),
              fmt(r.recoveryMs.p99, 0),
              r.unrecovered,
            ]
          }),
        ),
        'own req/drop: requests receivers sent for their own drops (first tries, re-sends); +escalations: all requests, with those members forwarded up (Table 1 does not say which it counts)',
        'paper: duplicates per drop < 1.5 (Fig. 13a); 85% of repairs within 600 ms, all within 2400 ms (Fig. 13b, N = 1024)',
      ].join('\n')
      return {
        analysis: {
          rows,
          paper: I3_RELIABILITY_PAPER,
          method: {
            facts,
            hops: 'i3 hop = one message from a server to another server (one rate per server pair); last hop = one message from a server to an end host (one rate per end host); end host -> server is lossless (the paper gives it no rate; the source uplink with it); loss is switched on after every receiver joined',
            window: `sequence numbers published during ${config.windowS} s after ${config.lossWarmupS} s of loss; the run goes on ${config.tailS} s after the window`,
            definitions:
              'drop = a window sequence number that never reached a receiver along the tree; duplicates = arrivals after the first; repairs per drop = repair requests sent by receivers (first tries, re-sends, escalations) / drops, split into own requests (to the recovery group of the id the sender joined at) and escalations (to the group above); max repairs per seq = max over receivers of requests received / window length; recovery time = first repair arrival - first arrival of a higher sequence number (loss detection)',
          },
        },
        figures,
        table,
      }
    },
  }
}

async function plots(rows: readonly Row[], config: I3ReliabilityConfig, facts: string): Promise<Figure[]> {
  const dup: Point[] = []
  const repairs: Point[] = []
  const maxPerSeq: Point[] = []
  for (const r of rows) {
    const x = Math.log2(r.size)
    const name = SCHEME_NAMES[r.scheme]
    dup.push({ x, y: r.duplicatesPerDrop, series: name })
    repairs.push({ x, y: r.ownRequestsPerDrop, series: `${name} own` })
    repairs.push({ x, y: r.repairsPerDrop, series: `${name} all` })
    maxPerSeq.push({ x, y: r.maxRepairRequestsPerSeq, series: name })
  }
  for (const p of I3_TABLE_1) {
    const x = Math.log2(p.size)
    for (const scheme of config.schemes) {
      repairs.push({ x, y: paperValue(p, scheme, 'repairsPerDrop'), series: `paper ${SCHEME_NAMES[scheme]}` })
      maxPerSeq.push({ x, y: paperValue(p, scheme, 'maxPerSeq'), series: `paper ${SCHEME_NAMES[scheme]}` })
    }
    dup.push({ x, y: I3_RELIABILITY_PAPER.fig13a.upperBound, series: 'paper: below 1.5' })
  }
  const cdfRows = rows.filter((r) => r.size === config.cdfSize)
  const cdfSeries = cdfRows.map((r) => ({ name: SCHEME_NAMES[r.scheme], points: r.recoveryCdf }))
  const figures: Figure[] = [
    {
      file: 'duplicates-per-drop-vs-size.svg',
      svg: await lineChart(
        {
          title: 'Duplicates per drop vs group size (Fig. 13a)',
          subtitle: facts,
          xTitle: 'log2 group size',
          yTitle: 'duplicates / drops',
        },
        dup,
      ),
    },
    {
      file: 'repairs-per-drop-vs-size.svg',
      svg: await lineChart(
        {
          title: 'Repair requests per drop vs group size (own; all = own + escalations), with Table 1',
          subtitle: facts,
          xTitle: 'log2 group size',
          yTitle: 'repair requests / drops',
        },
        repairs,
      ),
    },
    {
      file: 'max-requests-per-seq-vs-size.svg',
      svg: await lineChart(
        {
          title: 'Most repair requests per sequence number at one receiver, with Table 1',
          subtitle: facts,
          xTitle: 'log2 group size',
          yTitle: 'requests received / sequence numbers',
        },
        maxPerSeq,
      ),
    },
  ]
  if (cdfSeries.length > 0)
    figures.push({
      file: `recovery-time-cdf-${config.cdfSize}.svg`,
      svg: await cdfChart(
        {
          title: `Time to recover, ${config.cdfSize} receivers (Fig. 13b; paper: 85% within 600 ms)`,
          subtitle: facts,
          xTitle: 'ms from loss detection to repair',
          yTitle: 'fraction of recovered drops',
        },
        [
          ...cdfSeries,
          {
            name: 'paper 85%@600ms',
            points: [
              { x: 600, p: 0.85 },
              { x: 2400, p: 1 },
            ],
          },
        ],
      ),
    })
  return figures
}

export const i3Reliability: Preset = i3ReliabilityPreset()
