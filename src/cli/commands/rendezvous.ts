import type { Command } from 'commander'
import { LiveOutput } from '../../app/live-output.ts'
import type { RendezvousServer, RendezvousStats } from '../../app/rendezvous.ts'
import { toCommandError } from '../app-errors.ts'
import { parseWholeNumber, UsageError } from '../usage-error.ts'
import { untilInterrupted } from './until-interrupted.ts'

/** A fixed port keeps the server's address (and so every stream URI naming it) stable. */
export const DEFAULT_RENDEZVOUS_LISTEN = ['/ip4/0.0.0.0/tcp/9100']

interface RendezvousFlags {
  listen: string[]
  key?: string
  peer: string[]
  maxTriggersPerId?: string
  triggerLifetimeMs?: string
  maxTriggersPerClient?: string
  maxTriggersPerServer?: string
  metricsPort?: string
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** A multiaddr flag value, checked here so a typo is a usage error naming the flag. */
async function checkAddr(flag: string, addr: string, needsPeerId: boolean): Promise<void> {
  const { multiaddr } = await import('@multiformats/multiaddr')
  let components: { name: string }[]
  try {
    components = multiaddr(addr).getComponents()
  } catch (err) {
    throw new UsageError(`${flag} "${addr}" is not a multiaddr: ${(err as Error).message}`)
  }
  if (needsPeerId && !components.some((c) => c.name === 'p2p')) {
    throw new UsageError(
      `${flag} ${addr} has no /p2p/<PeerId> part: use an address a rendezvous server prints at start`,
    )
  }
}

export async function rendezvousParams(flags: RendezvousFlags): Promise<Record<string, unknown>> {
  for (const a of flags.listen) await checkAddr('--listen', a, false)
  for (const a of flags.peer) await checkAddr('--peer', a, true)
  const params: Record<string, unknown> = {}
  if (flags.maxTriggersPerId !== undefined)
    params.maxTriggersPerId = parseWholeNumber('--max-triggers-per-id', flags.maxTriggersPerId, 2, 1024)
  if (flags.triggerLifetimeMs !== undefined)
    params.triggerLifetimeMs = parseWholeNumber(
      '--trigger-lifetime-ms',
      flags.triggerLifetimeMs,
      100,
      3_600_000,
    )
  if (flags.maxTriggersPerClient !== undefined)
    params.maxTriggersPerClient = parseWholeNumber(
      '--max-triggers-per-client',
      flags.maxTriggersPerClient,
      1,
      1_000_000,
    )
  if (flags.maxTriggersPerServer !== undefined)
    params.maxTriggersPerServer = parseWholeNumber(
      '--max-triggers-per-server',
      flags.maxTriggersPerServer,
      1,
      100_000_000,
    )
  return params
}

export function rendezvousStatus(s: RendezvousStats): string {
  const p = s.packets
  const dropped = p ? p.dropped.noMatch + p.dropped.ttl + p.dropped.spoofed : 0
  return (
    `triggers ${s.triggers} | clients ${s.clients} | ring ${s.ringSize} servers | ` +
    `forwarded ${p?.forwarded ?? 0} | delivered ${p?.delivered ?? 0} | chained ${p?.chained ?? 0} | ` +
    `dropped ${dropped} | refused inserts ${p?.refusedInserts ?? 0}`
  )
}

async function runRendezvous(flags: RendezvousFlags): Promise<void> {
  const params = await rendezvousParams(flags)
  const metricsPort =
    flags.metricsPort === undefined
      ? undefined
      : parseWholeNumber('--metrics-port', flags.metricsPort, 0, 65535)
  const output = new LiveOutput()
  let server: RendezvousServer
  try {
    const { RendezvousServer } = await import('../../app/rendezvous.ts') // on use: libp2p is slow to import
    server = await RendezvousServer.start({
      listen: flags.listen,
      peers: flags.peer,
      params,
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      ...(flags.key !== undefined ? { keyPath: flags.key } : {}),
    })
  } catch (err) {
    throw toCommandError(err)
  }
  output.print(`rendezvous server ${server.peerId} (ring of ${server.stats().ringSize} servers)`)
  for (const addr of server.addrs()) output.print(`listening on ${addr}`)
  const first = server.addrs()[0] ?? '<address>'
  output.print(`broadcast through it: peercaster broadcast --overlay i3 --rendezvous ${first}`)
  output.print(`other servers of this deployment add: --peer ${first}`)
  if (server.metricsUrl) output.print(`stats: ${server.statsUrl}  metrics: ${server.metricsUrl}`)
  const timer = setInterval(() => output.show([rendezvousStatus(server.stats())], Date.now()), 1000)
  try {
    await untilInterrupted()
  } finally {
    clearInterval(timer)
    output.show([rendezvousStatus(server.stats())], Date.now(), true)
    await server.stop()
  }
}

export function registerRendezvous(program: Command): void {
  program
    .command('rendezvous')
    .description('run an i3 rendezvous server: stores triggers and forwards i3 streams (--overlay i3)')
    .option('--listen <multiaddr...>', 'listen addresses', DEFAULT_RENDEZVOUS_LISTEN)
    .option(
      '--key <path>',
      'identity key file (default ~/.peercaster/identity.key); the PeerId derives from it',
    )
    .option(
      '--peer <multiaddr>',
      'another rendezvous server of this deployment, /p2p/<PeerId> included (repeat for each)',
      collect,
      [],
    )
    .option('--max-triggers-per-id <D>', 'triggers kept with one id = children per tree node (default 8)')
    .option('--trigger-lifetime-ms <T>', 'a trigger not refreshed within T expires (default 30000)')
    .option('--max-triggers-per-client <n>', 'triggers one end host may hold here (default 64)')
    .option('--max-triggers-per-server <n>', 'triggers this server holds at most (default 1000000)')
    .option('--metrics-port <port>', 'serve /stats and /metrics (Prometheus) on 127.0.0.1:PORT')
    .addHelpText(
      'after',
      '\nAn i3 deployment is a few rendezvous servers on a static Chord ring: start each with --peer\n' +
        'for every other one (the ring is itself plus its peers; servers may start in any order, and\n' +
        'one list naming every server may be given to all of them: a server skips itself).\n' +
        'Servers only store triggers and forward packets: end hosts build the multicast tree out of\n' +
        'triggers (id -> host, id -> id), refresh them (soft state: unrefreshed triggers expire after\n' +
        'T), and recover losses through anycast. Servers serve any stream and verify no chunk; viewers\n' +
        'verify every chunk against the stream key. Viewers and the source talk only to servers.\n' +
        '\nExample, three servers on one machine:\n' +
        '  peercaster rendezvous --listen /ip4/0.0.0.0/tcp/9100 --key a.key --peer <B> --peer <C>\n' +
        '  peercaster rendezvous --listen /ip4/0.0.0.0/tcp/9101 --key b.key --peer <A> --peer <C>\n' +
        '  peercaster rendezvous --listen /ip4/0.0.0.0/tcp/9102 --key c.key --peer <A> --peer <B>\n' +
        '  peercaster broadcast --overlay i3 --rendezvous <A> --rendezvous <B> --rendezvous <C>\n' +
        '(<A> is the /p2p/ address server A prints; run it once to learn its PeerId from its key.)',
    )
    .action((flags: RendezvousFlags) => runRendezvous(flags))
}
