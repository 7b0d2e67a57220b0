import type { Command } from 'commander'
import type { Broadcaster, BroadcasterOptions, BroadcasterStats } from '../../app/broadcaster.ts'
import { formatKbps, shortPeerId } from '../../app/format.ts'
import { LiveOutput } from '../../app/live-output.ts'
import { sourceUploadNeed, uploadShortfall } from '../../app/upload-need.ts'
import { CommandFailure, toCommandError } from '../app-errors.ts'
import { parseStripesFlag, STRIPES_HELP } from '../stripes-flag.ts'
import { parseWholeNumber, UsageError } from '../usage-error.ts'
import { untilInterrupted } from './until-interrupted.ts'

/** The embedded clip (same value as src/app/broadcast-input.ts; not imported, to keep the CLI light). */
const SAMPLE_INPUT = 'sample'

/** Reachable from other machines; the fixed ports keep a stream URI stable across restarts. */
export const DEFAULT_BROADCAST_LISTEN = ['/ip4/0.0.0.0/tcp/9000', '/ip4/0.0.0.0/tcp/9001/ws']

interface BroadcastFlags {
  input?: string
  sample?: boolean
  realtime?: boolean
  loop?: boolean
  raw?: boolean
  overlay: string
  maxChildren?: string
  stripes?: string
  param?: string[]
  uploadKbps?: string
  streamKbps: string
  chunkRate: string
  listen: string[]
  rendezvous?: string[]
  key?: string
}

/** `--param key=value` → overlay parameters (numbers and booleans converted, as in a URI). */
function overlayParams(flags: BroadcastFlags): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const kv of flags.param ?? []) {
    const at = kv.indexOf('=')
    if (at <= 0) throw new UsageError(`--param wants key=value, got "${kv}"`)
    const raw = kv.slice(at + 1)
    params[kv.slice(0, at)] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw
  }
  if (flags.maxChildren !== undefined)
    params.maxChildren = parseWholeNumber('--max-children', flags.maxChildren, 1, 1024)
  if (flags.stripes !== undefined) params.stripes = parseStripesFlag(flags.stripes, flags.overlay)
  return params
}

export function broadcastOptions(flags: BroadcastFlags): BroadcasterOptions {
  if (flags.sample && flags.input !== undefined)
    throw new UsageError('give either --input or --sample, not both')
  const input = flags.input ?? SAMPLE_INPUT
  const isSample = input === SAMPLE_INPUT
  return {
    input,
    ...(flags.realtime !== undefined ? { realtime: flags.realtime } : {}),
    loop: flags.loop ?? isSample,
    raw: flags.raw ?? false,
    overlay: flags.overlay,
    overlayParams: overlayParams(flags),
    streamKbps: parseWholeNumber('--stream-kbps', flags.streamKbps, 1, 1_000_000),
    chunkRateHz: parseWholeNumber('--chunk-rate', flags.chunkRate, 1, 100),
    ...(flags.uploadKbps !== undefined
      ? { uploadKbps: parseWholeNumber('--upload-kbps', flags.uploadKbps, 1, 100_000_000) }
      : {}),
    listen: flags.listen,
    ...((flags.rendezvous ?? []).length > 0 ? { rendezvous: flags.rendezvous } : {}),
    ...(flags.key !== undefined ? { keyPath: flags.key } : {}),
  }
}

export function broadcastStatus(s: BroadcasterStats): string {
  const ratio = s.uploadRatio === null ? '-' : `${s.uploadRatio.toFixed(2)}x`
  const ingest = s.ingest
    ? ` | ingest ${s.ingest.reader.packets} packets, ${s.ingest.reader.resyncs} resyncs`
    : ''
  const audience =
    s.servers.length > 0
      ? `through ${s.servers.length} rendezvous servers (nearest ${shortPeerId(s.servers[0]!)})`
      : `viewers ${s.viewers} direct`
  return (
    `${audience} | source upload ${formatKbps(s.uploadKbps)} = ${ratio} the ` +
    `${formatKbps(s.streamKbps)} stream | chunks ${s.chunksPublished}${ingest}` +
    (s.inputEnded ? ' | input ended' : '')
  )
}

async function runBroadcast(flags: BroadcastFlags): Promise<void> {
  const options = broadcastOptions(flags)
  const output = new LiveOutput()
  let inputFailure: Error | undefined
  let source: Broadcaster
  try {
    // Loaded on use: libp2p takes about a second to import, which other commands should not pay.
    const { Broadcaster } = await import('../../app/broadcaster.ts')
    source = await Broadcaster.start({ ...options, onError: (err) => (inputFailure ??= err) })
  } catch (err) {
    throw toCommandError(err)
  }
  output.print(`streaming ${options.input === SAMPLE_INPUT ? 'the sample clip (looped)' : options.input}`)
  output.print(`stream URI: ${source.uri}`)
  output.print('viewers run: peercaster watch "<stream URI>"')
  const need = sourceUploadNeed(
    options.overlay ?? 'spreadit',
    options.overlayParams ?? {},
    options.streamKbps,
  )
  const shortfall = uploadShortfall(
    need,
    options.uploadKbps ?? Number.POSITIVE_INFINITY,
    'the roots of the trees will lag and viewers stall',
  )
  if (shortfall !== null) output.print(`warning: ${shortfall}`)
  const timer = setInterval(() => output.show([broadcastStatus(source.stats())], Date.now()), 1000)
  try {
    await untilInterrupted(
      source.ended.then(() => new Promise((r) => setTimeout(r, 2000))),
      () => inputFailure !== undefined,
    )
  } finally {
    clearInterval(timer)
    output.show([broadcastStatus(source.stats())], Date.now(), true)
    await source.stop()
  }
  if (inputFailure) throw new CommandFailure(`input failed: ${inputFailure.message}`)
}

export function registerBroadcast(program: Command): void {
  program
    .command('broadcast')
    .description(
      'stream MPEG-TS (stdin, a file, a URL, or the sample clip) to viewers; prints the stream URI',
    )
    .option('--input <src>', 'FILE, http(s) URL, or - for stdin (default: the sample clip, looped)')
    .option('--sample', 'loop the embedded sample clip (assets/sample.ts)')
    .option('--realtime', 'pace file input to real time by its PCR (default for files)')
    .option('--no-realtime', 'read a file as fast as the stream takes it')
    .option('--loop', 'start a file over at its end, timestamps continuing')
    .option('--raw', 'raw bytes instead of MPEG-TS (cut by size, joinable anywhere)')
    .option('--overlay <name>', 'overlay to run', 'spreadit')
    .option('--max-children <n>', 'children per node (overlay parameter maxChildren)')
    .option('--stripes <f>', `${STRIPES_HELP}; each viewer uploads f/(f-1) x the stream`)
    .option('--param <key=value...>', 'other overlay parameters, carried in the stream URI')
    .option(
      '--upload-kbps <n>',
      'source upload capacity (kbit/s); default unlimited (max-children bounds it)',
    )
    .option('--stream-kbps <n>', 'declared stream rate (kbit/s)', '1000')
    .option('--chunk-rate <n>', 'chunks per second', '4')
    .option('--listen <multiaddr...>', 'listen addresses', DEFAULT_BROADCAST_LISTEN)
    .option(
      '--rendezvous <multiaddr>',
      'i3: a rendezvous server, /p2p/<PeerId> included (repeat for each; the URI lists them)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      '--key <path>',
      'identity key file (default ~/.peercaster/identity.key); the stream id derives from it',
    )
    .action((flags: BroadcastFlags) => runBroadcast(flags))
}
