import type { Command } from 'commander'
import { runScenario, type Sample } from '../../experiment/run.ts'
import { parseScenario } from '../../experiment/scenario.ts'
import { textTable } from '../../report/table.ts'
import { parseWholeNumber } from '../usage-error.ts'

/**
 * `peercaster simulate-demo`: a small SpreadIt swarm in the simulator, watched live (it was
 * `demo` before the real-network demo took that name).
 */
export function demoScenario(viewers: number, seed: number) {
  const meanSessionS = 120
  return parseScenario({
    name: 'demo',
    seed,
    durationS: 60,
    // Headroom: a relay filled to exactly its upload rate queues without bound (headers, control).
    overlay: {
      name: 'spreadit',
      params: { addPolicy: 'smart-placement', deletePolicy: 'root', uploadHeadroom: 0.9 },
    },
    underlay: { kind: 'transit-stub' },
    stream: { kbps: 300, chunkRateHz: 10 },
    playout: { startupChunks: 30, maxBufferChunks: 256 },
    sourceLink: { uploadKbps: 1500, downloadKbps: 1500 },
    viewerLinks: [
      { share: 0.6, uploadKbps: 1000, downloadKbps: 4000 },
      { share: 0.4, uploadKbps: 300, downloadKbps: 2000 },
    ],
    churn: [
      {
        arrivalsPerS: viewers / 20,
        startS: 0,
        endS: 20,
        session: { dist: 'exponential', meanS: meanSessionS },
        crashFraction: 0.25,
        maxPeers: viewers,
      },
      {
        arrivalsPerS: viewers / meanSessionS,
        startS: 20,
        endS: 60,
        session: { dist: 'exponential', meanS: meanSessionS },
        crashFraction: 0.25,
        maxPeers: viewers,
      },
    ],
    sampling: { intervalS: 10 },
  })
}

const HEADERS = ['t (s)', 'viewers', 'receiving', 'depth max', 'depth mean', 'continuity', 'source upload']

function sampleRow(s: Sample) {
  return [
    s.tS,
    s.liveViewers,
    s.connected,
    s.maxDepth,
    s.meanDepth.toFixed(2),
    s.meanContinuity === null ? null : s.meanContinuity.toFixed(3),
    `${s.sourceUploadRatio.toFixed(2)}x`,
  ]
}

export function runDemo(viewers: number, seed: number, print: (line: string) => void): void {
  const scenario = demoScenario(viewers, seed)
  print(
    `demo: up to ${viewers} viewers join a SpreadIt tree (transit-stub underlay, ${scenario.stream.kbps} kbit/s at ` +
      `${scenario.stream.chunkRateHz} chunks/s) with churn; ${scenario.durationS} simulated seconds, seed ${seed}\n`,
  )
  const rows: ReturnType<typeof sampleRow>[] = []
  let printedLines = 0
  const run = runScenario(scenario, {
    onSample: (sample) => {
      rows.push(sampleRow(sample))
      // Reprint the growing table's new lines only: header and rule once, then one row per sample.
      const lines = textTable(HEADERS, rows).split('\n')
      for (const line of lines.slice(printedLines === 0 ? 0 : printedLines)) print(line)
      printedLines = lines.length
    },
  })
  const m = run.metrics
  print('')
  print(
    `summary: ${m.viewersJoined} joined, ${m.gracefulLeaves} left, ${m.crashes} crashed; ` +
      `startup delay p50 ${m.startupDelayMs.p50.toFixed(0)} ms, continuity mean ${m.continuity.mean.toFixed(3)}, ` +
      `tree depth max ${m.treeDepthAtEnd.max}, source upload ${m.sourceUploadRatio.toFixed(2)}× the stream rate, ` +
      `control overhead ${(100 * m.controlOverhead).toFixed(1)}%`,
  )
}

export function registerSimulateDemo(program: Command): void {
  program
    .command('simulate-demo')
    .description('watch a simulated SpreadIt swarm (200 viewers with churn) for 60 simulated seconds')
    .option('--peers <n>', 'viewers in the swarm', '200')
    .option('--seed <s>', 'random seed', '1')
    .action((raw: { peers: string; seed: string }) => {
      runDemo(
        parseWholeNumber('--peers', raw.peers, 1, 100_000),
        parseWholeNumber('--seed', raw.seed, 0, 0xffffffff),
        (line) => process.stdout.write(`${line}\n`),
      )
    })
}
