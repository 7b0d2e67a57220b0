import type { Command } from 'commander'
import { formatKbps, formatMs, formatPercent, shortPeerId } from '../../app/format.ts'
import { LiveOutput } from '../../app/live-output.ts'
import { RateMeter } from '../../app/rate-meter.ts'
import type { Viewer, ViewerStats } from '../../app/viewer.ts'
import type { ViewerProblem } from '../../app/viewer-problems.ts'
import { CommandFailure, toCommandError } from '../app-errors.ts'
import { parseWholeNumber } from '../usage-error.ts'
import { untilInterrupted } from './until-interrupted.ts'

export const DEFAULT_HTTP_PORT = 8902
/** Children dial a relay on these: every interface, any free port. */
export const DEFAULT_WATCH_LISTEN = ['/ip4/0.0.0.0/tcp/0']

interface WatchFlags {
  httpPort: string
  uploadKbps?: string
  key?: string
  listen: string[]
  startupChunks?: string
}

export function watchStatus(s: ViewerStats, downKbps: number | null, upKbps: number | null): string {
  if (s.startupDelayMs === null && s.invalidChunks > 0 && s.chunksPlayed === 0) {
    // Every chunk so far failed the signature check against the URI's stream id.
    return `no valid chunk yet: ${s.invalidChunks} failed the stream key check (is the stream id in the URI right?)`
  }
  const state = s.startupDelayMs === null ? 'buffering' : s.connected ? 'playing' : 'rejoining'
  const parent = s.parents.length > 0 ? s.parents.map(shortPeerId).join(',') : '-'
  // i3: the servers replicate, so a viewer has no children of its own; say where it is attached.
  const below =
    s.servers.length > 0 ? `via server ${shortPeerId(s.servers[0]!)}` : `children ${s.children.length}`
  return (
    `${state} | parent ${parent} | ${below} | startup ${formatMs(s.startupDelayMs)} | ` +
    `lag ${formatMs(s.playoutLagMs)} | continuity ${formatPercent(s.continuity)} | ` +
    `down ${formatKbps(downKbps)} up ${formatKbps(upKbps)} | invalid chunks ${s.invalidChunks}`
  )
}

async function runWatch(uri: string, flags: WatchFlags): Promise<void> {
  const httpPort = parseWholeNumber('--http-port', flags.httpPort, 0, 65535)
  const uploadKbps =
    flags.uploadKbps === undefined
      ? undefined
      : parseWholeNumber('--upload-kbps', flags.uploadKbps, 1, 100_000_000)
  const startupChunks =
    flags.startupChunks === undefined
      ? undefined
      : parseWholeNumber('--startup-chunks', flags.startupChunks, 1, 256)
  const output = new LiveOutput()
  // A stream id nobody holds can never play: say so and exit 1. A key mismatch is a warning (the
  // status line keeps counting), since the viewer still relays and a fixed URI needs a restart anyway.
  const found: { fatal: ViewerProblem | null } = { fatal: null }
  const onProblem = (problem: ViewerProblem) => {
    if (problem.kind === 'source-not-found') found.fatal = problem
    else {
      output.clear()
      process.stderr.write(`peercaster: warning: ${problem.message}\n`)
    }
  }
  let viewer: Viewer
  try {
    const { Viewer } = await import('../../app/viewer.ts') // on use: libp2p is slow to import
    viewer = await Viewer.start({
      uri,
      httpPort,
      listen: flags.listen,
      onProblem,
      ...(uploadKbps !== undefined ? { uploadKbps } : {}),
      ...(flags.key !== undefined ? { keyPath: flags.key } : {}),
      ...(startupChunks !== undefined ? { startupChunks } : {}),
    })
  } catch (err) {
    throw toCommandError(err)
  }
  output.print(`joined as ${viewer.peerId}`)
  output.print(`open ${viewer.playerUrl} in VLC / mpv / ffplay`)
  output.print(`stats: ${viewer.statsUrl}  metrics: ${viewer.metricsUrl}`)
  const down = new RateMeter()
  const up = new RateMeter()
  const tick = () => {
    const s = viewer.stats()
    const now = Date.now()
    down.sample(now, s.bytesDown)
    up.sample(now, s.bytesUp)
    output.show([watchStatus(s, down.kbps(), up.kbps())], now)
  }
  const timer = setInterval(tick, 1000)
  try {
    await untilInterrupted(undefined, () => found.fatal !== null)
  } finally {
    clearInterval(timer)
    output.clear()
    await viewer.stop({ graceful: true })
  }
  if (found.fatal !== null) throw new CommandFailure(found.fatal.message)
}

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('join a stream and serve it to a local player at http://127.0.0.1:PORT/live.ts')
    .argument('<uri>', 'the peercaster://… URI printed by broadcast')
    .option('--http-port <port>', 'local player port (/live.ts, /stats, /metrics)', String(DEFAULT_HTTP_PORT))
    .option(
      '--upload-kbps <n>',
      'your upload capacity (kbit/s); bounds how many viewers you relay to ' +
        '(p2pcast: default and minimum f/(f-1) × the stream rate, below it a warning)',
    )
    .option('--key <path>', 'identity key file (default ~/.peercaster/identity.key)')
    .option(
      '--listen <multiaddr...>',
      'listen addresses (viewers you relay to dial these)',
      DEFAULT_WATCH_LISTEN,
    )
    .option('--startup-chunks <n>', 'consecutive chunks buffered before playback starts (default 3)')
    .action((uri: string, flags: WatchFlags) => runWatch(uri, flags))
}
