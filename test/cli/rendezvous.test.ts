// `peercaster rendezvous`, and broadcast / watch with --overlay i3, run as a user runs them:
// child processes, exit codes, one-line messages. Every wait is bounded; every process is stopped.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type CliRun, runCli } from '../e2e/cli.ts'
import { getJson } from '../e2e/http.ts'
import { waitUntil } from '../e2e/wait.ts'

let home = ''
const running: CliRun[] = []
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'peercaster-rendezvous-'))
})
after(async () => {
  await Promise.all(running.map((r) => r.stop()))
  await rm(home, { recursive: true, force: true })
})

function cli(args: readonly string[]): CliRun {
  const run = runCli(args, home)
  running.push(run)
  return run
}

/** The process ends with `code` and says exactly one line on stderr, matching `message`. */
async function failsWith(args: readonly string[], code: number, message: RegExp): Promise<void> {
  const run = cli(args)
  const exit = await run.exit(30_000)
  assert.equal(exit.code, code, `stderr: ${run.stderr}`)
  const lines = run.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line expected:\n${run.stderr}`)
  assert.match(lines[0]!, message)
}

const someone = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

/** The stream id of a URI: the first joiner's parent is the source itself. */
function peerIdFromPrivateKeyless(uri: string): string {
  return uri.slice('peercaster://'.length, uri.indexOf('?'))
}

// The groups below, and the tests in each, are independent (own ports, keys and processes). Two
// run at a time: the three-process test (first) mostly waits on its viewers, so the cheap checks
// and the demo run meanwhile. All at once would start a dozen CLI processes together, each paying
// ~1 s of CPU for tsx and libp2p, and on 2 cores that pushed start-ups past their 30 s bounds.
describe('i3 from the command line', { concurrency: 2 }, () => {
  describe('peercaster rendezvous', { timeout: 120_000, concurrency: 2 }, () => {
    test('rendezvous, broadcast --overlay i3 and watch as three processes: the viewer plays through the server', async () => {
      const server = cli([
        'rendezvous',
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--key',
        join(home, 'server.key'),
        '--metrics-port',
        '0',
      ])
      const addr = (
        await server.waitForStdout(/^listening on (\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\S+)$/m, 30_000)
      )[1]!
      const metricsUrl = (await server.waitForStdout(/metrics: (http:\/\/\S+\/metrics)/, 5_000))[1]!
      // A stream id nobody publishes, on the same server: the walks find no one, watch gives up.
      // It needs no source, so its ~15 s of walks start now, beside the source's start-up.
      const lost = cli([
        'watch',
        `peercaster://${someone}?overlay=i3&kbps=400&rate=4&rendezvous=${addr}`,
        '--http-port',
        '0',
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--key',
        join(home, 'lost.key'),
      ])
      const source = cli([
        'broadcast',
        '--overlay',
        'i3',
        '--rendezvous',
        addr,
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--key',
        join(home, 'source.key'),
        '--stream-kbps',
        '400',
      ])
      const uri = (await source.waitForStdout(/^stream URI: (peercaster:\/\/\S+)$/m, 30_000))[1]!
      assert.ok(uri.includes(`rendezvous=${addr}`), uri)
      assert.doesNotMatch(uri, /bootstrap=/)
      const viewer = cli([
        'watch',
        uri,
        '--http-port',
        '0',
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--key',
        join(home, 'v.key'),
      ])
      const statsUrl = (await viewer.waitForStdout(/^stats: (http:\/\/\S+\/stats)/m, 30_000))[1]!
      await waitUntil(
        'the viewer to play',
        async () => ((await getJson<{ chunksPlayed: number }>(statsUrl)).chunksPlayed ?? 0) >= 4,
        30_000,
        () => viewer.stdout + viewer.stderr,
        250,
      )
      const stats = await getJson<{ sourceClockOffsetMs: number | null; parents: string[] }>(statsUrl)
      assert.notEqual(stats.sourceClockOffsetMs, null)
      assert.deepEqual(stats.parents, [peerIdFromPrivateKeyless(uri)])
      const metrics = await (await fetch(metricsUrl)).text()
      assert.match(metrics, /^peercaster_i3_triggers [1-9]\d*$/m)
      // The source and the viewer (and the lost viewer while it tries).
      assert.match(metrics, /^peercaster_i3_clients [23]$/m)
      const lostExit = await lost.exit(60_000)
      assert.equal(lostExit.code, 1, lost.stderr)
      assert.match(
        lost.stderr.trim(),
        new RegExp(
          `^peercaster: nobody in stream ${someone} answered on its rendezvous servers \\/ip4\\/127`,
        ),
      )
      for (const run of [viewer, source, server]) {
        await run.stop()
      }
      assert.match(server.stdout, /triggers \d+ \| clients \d+ \| ring 1 servers \| forwarded \d+/)
      assert.match(source.stdout, /through 1 rendezvous servers \(nearest …\w{6}\) \| source upload/)
      // An i3 viewer has no children of its own (the server replicates): its status names its server.
      assert.match(viewer.stdout, /\| parent \S+ \| via server …\w{6} \| startup /)
    })

    test('--help says what a rendezvous server is and how a deployment is wired', async () => {
      const run = cli(['rendezvous', '--help'])
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 0, run.stderr)
      for (const needle of [
        '--peer <multiaddr>',
        '--max-triggers-per-id',
        '--trigger-lifetime-ms',
        'static Chord ring',
      ]) {
        assert.ok(run.stdout.includes(needle), `help lacks ${needle}:\n${run.stdout}`)
      }
    })

    test('bad flags are usage errors naming the flag (exit 2)', async () => {
      await Promise.all([
        failsWith(
          ['rendezvous', '--peer', 'nonsense'],
          2,
          /^peercaster: --peer "nonsense" is not a multiaddr: /,
        ),
        failsWith(
          ['rendezvous', '--peer', '/ip4/127.0.0.1/tcp/9100'],
          2,
          /^peercaster: --peer \/ip4\/127\.0\.0\.1\/tcp\/9100 has no \/p2p\/<PeerId> part: /,
        ),
        failsWith(
          ['rendezvous', '--max-triggers-per-id', '1'],
          2,
          /^peercaster: --max-triggers-per-id must be a whole number from 2 to 1024, got "1"$/,
        ),
      ])
    })

    test('a listen port in use: exit 1, the address named', async () => {
      const busy: Server = createServer()
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
      const port = (busy.address() as { port: number }).port
      try {
        await failsWith(
          ['rendezvous', '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--key', join(home, 'busy.key')],
          1,
          /^peercaster: cannot listen on .*address already in use; pass --listen with a free port$/,
        )
      } finally {
        busy.close()
      }
    })
  })

  describe('peercaster demo --overlay i3', { timeout: 90_000 }, () => {
    test('local rendezvous servers, a source and 3 viewers: everyone plays, the table shows the tree', async () => {
      const run = cli([
        'demo',
        '--overlay',
        'i3',
        '--servers',
        '2',
        '--viewers',
        '3',
        '--seconds',
        '8',
        '--http-port',
        '0',
      ])
      const exit = await run.exit(80_000)
      assert.equal(exit.code, 0, run.stderr)
      assert.match(run.stdout, /i3 through 2 local rendezvous servers/)
      assert.match(run.stdout, /^stream URI: peercaster:\/\/\S+overlay=i3\S*&rendezvous=\S+&rendezvous=/m)
      const final = run.stdout.split('\n').find((l) => l.startsWith('final: '))
      assert.match(final ?? run.stdout, /^final: 3\/3 viewers playing \| tree depth [23] \|/)
    })
  })

  describe('broadcast and watch with --overlay i3: clear errors', {
    timeout: 60_000,
    concurrency: true,
  }, () => {
    const unreachable = `/ip4/127.0.0.1/tcp/1/p2p/${nobody}`

    test('watch of an i3 URI whose servers are unreachable: exit 1, one line naming them', async () => {
      const uri = `peercaster://${someone}?overlay=i3&kbps=400&rate=4&rendezvous=${unreachable}`
      await failsWith(
        ['watch', uri, '--http-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'],
        1,
        new RegExp(
          `^peercaster: Cannot join the stream: none of its rendezvous servers answered: ${unreachable.replaceAll('/', '\\/')} \\(`,
        ),
      )
    })

    test('watch of an i3 URI listing no rendezvous server: exit 2, the field named', async () => {
      const uri = `peercaster://${someone}?overlay=i3&kbps=400&rate=4`
      await failsWith(
        ['watch', uri, '--http-port', '0'],
        2,
        /overlay i3 needs at least one rendezvous=<multiaddr>/,
      )
    })

    test('broadcast --overlay i3 without --rendezvous, or --rendezvous elsewhere: exit 2', async () => {
      await failsWith(
        ['broadcast', '--overlay', 'i3', '--listen', '/ip4/127.0.0.1/tcp/0'],
        2,
        /^peercaster: overlay i3 needs at least one rendezvous server \(--rendezvous <multiaddr>\)$/,
      )
      await failsWith(
        ['broadcast', '--rendezvous', unreachable, '--listen', '/ip4/127.0.0.1/tcp/0'],
        2,
        /^peercaster: rendezvous servers are for overlay i3 only, not spreadit$/,
      )
    })

    test('broadcast --overlay i3 whose servers are all down: exit 1, no URI printed', async () => {
      const run = cli([
        'broadcast',
        '--overlay',
        'i3',
        '--rendezvous',
        unreachable,
        '--listen',
        '/ip4/127.0.0.1/tcp/0',
        '--key',
        join(home, 'lonely.key'),
      ])
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 1, run.stderr)
      assert.match(
        run.stderr.trim(),
        /^peercaster: Cannot join the stream: none of its rendezvous servers answered: /,
      )
      assert.doesNotMatch(run.stdout, /stream URI/)
    })
  })
})
