import type { Command } from 'commander'
import type { DemoSwarm, SwarmRow, SwarmSummary } from '../../app/demo-swarm.ts'
import { formatMs, formatPercent } from '../../app/format.ts'
import { LiveOutput } from '../../app/live-output.ts'
import { textTable } from '../../report/table.ts'
import { toCommandError } from '../app-errors.ts'
import { parseStripesFlag, STRIPES_HELP } from '../stripes-flag.ts'
import { parseWholeNumber, UsageError } from '../usage-error.ts'
import { untilInterrupted } from './until-interrupted.ts'
import { DEFAULT_HTTP_PORT } from './watch.ts'

const HEADERS = ['viewer', 'parent', 'depth', 'children', 'startup', 'lag', 'continuity']

export function swarmTable(rows: readonly SwarmRow[]): string {
  return textTable(
    HEADERS,
    rows.map((r) => [
      r.watched ? `${r.name}*` : r.name,
      r.parent,
      r.depth,
      r.children,
      formatMs(r.startupDelayMs),
      formatMs(r.playoutLagMs),
      formatPercent(r.continuity),
    ]),
  )
}

export function swarmSummaryLine(s: SwarmSummary): string {
  const ratio = s.sourceUploadRatio === null ? '-' : `${s.sourceUploadRatio.toFixed(2)}x`
  return (
    `${s.playing}/${s.viewers} viewers playing | tree depth ${s.maxDepth ?? '-'} | median startup ` +
    `${formatMs(s.medianStartupMs)} | mean continuity ${formatPercent(s.meanContinuity, 2)} | source: ` +
    `${s.sourceChildren} children, upload ${ratio} the stream`
  )
}

interface DemoFlags {
  overlay: string
  servers: string
  stripes?: string
  viewers: string
  seconds?: string
  httpPort: string
  seed: string
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const viewers = parseWholeNumber('--viewers', flags.viewers, 1, 200)
  const seconds =
    flags.seconds === undefined ? undefined : parseWholeNumber('--seconds', flags.seconds, 1, 86_400)
  const httpPort = parseWholeNumber('--http-port', flags.httpPort, 0, 65535)
  const seed = parseWholeNumber('--seed', flags.seed, 0, 0xffffffff)
  if (flags.overlay !== 'spreadit' && flags.overlay !== 'p2pcast' && flags.overlay !== 'i3')
    throw new UsageError(`--overlay must be spreadit, p2pcast or i3, got "${flags.overlay}"`)
  const overlay = flags.overlay
  const servers = parseWholeNumber('--servers', flags.servers, 1, 16)
  const stripes = flags.stripes === undefined ? 2 : parseStripesFlag(flags.stripes, overlay)
  const output = new LiveOutput(2000)
  output.print(
    `peercaster demo: a source looping the sample clip and ${viewers} viewers on loopback, over emulated ` +
      (overlay === 'i3'
        ? `20-80 ms WAN links (i3 through ${servers} local rendezvous servers, D = 3; each host on one server's LAN)`
        : overlay === 'p2pcast'
          ? `20-80 ms WAN links (P2PCast, ${stripes} stripes: ${stripes - 1} data + 1 parity)`
          : '20-80 ms WAN links (SpreadIt, at most 3 children per node)'),
  )
  let swarm: DemoSwarm
  try {
    const { DemoSwarm } = await import('../../app/demo-swarm.ts') // on use: libp2p is slow to import
    swarm = await DemoSwarm.start({
      viewers,
      httpPort,
      seed,
      overlay,
      servers,
      stripes,
      onJoin: (n, total) => output.show([`joining: ${n}/${total} viewers`], Date.now()),
    })
  } catch (err) {
    throw toCommandError(err)
  }
  output.print(`stream URI: ${swarm.source.uri}`)
  const watchedName = swarm.rows().find((r) => r.watched)?.name ?? '?'
  output.print(`open ${swarm.watched.playerUrl} in VLC / mpv / ffplay   (viewer ${watchedName}*)`)
  output.print(seconds === undefined ? 'Ctrl-C stops the demo' : `running for ${seconds} s`)
  const draw = (force = false) => {
    const rows = swarm.rows()
    output.show([swarmTable(rows), swarmSummaryLine(swarm.summary(rows))], Date.now(), force)
  }
  const timer = setInterval(() => draw(), 1000)
  const ends = seconds === undefined ? undefined : new Promise((r) => setTimeout(r, seconds * 1000))
  try {
    await untilInterrupted(ends)
  } finally {
    clearInterval(timer)
    const rows = swarm.rows()
    output.clear()
    output.print(swarmTable(rows))
    output.print(`final: ${swarmSummaryLine(swarm.summary(rows))}`)
    await swarm.stop()
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a live swarm on this machine: the sample clip to N local viewers over emulated WAN links')
    .option('--viewers <n>', 'local viewers', '12')
    .option(
      '--overlay <name>',
      'spreadit, p2pcast (stripe forest), or i3 (through local rendezvous servers)',
      'spreadit',
    )
    .option('--stripes <f>', STRIPES_HELP)
    .option('--servers <n>', 'i3: rendezvous servers to start on this machine', '3')
    .option('--seconds <s>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--http-port <port>', "the watched viewer's player port", String(DEFAULT_HTTP_PORT))
    .option('--seed <s>', 'seeds the emulated link delays and capacities', '1')
    .action((flags: DemoFlags) => runDemo(flags))
}
