// Bad input, from the user's side: the real CLI as a child process where the message is the
// point (exit code and stderr text), the app in-process where counters are. Every wait is bounded
// and every process and host is stopped in `after`.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Broadcaster } from '../../src/app/broadcaster.ts'
import { Viewer } from '../../src/app/viewer.ts'
import { createRng } from '../../src/core/rng.ts'
import { encodeFrame } from '../../src/net/framing.ts'
import { formatStreamUri, parseStreamUri } from '../../src/net/index.ts'
import { makeTestTs } from '../media/ffmpeg.ts'
import { type CliRun, runCli } from './cli.ts'
import { ffmpegMissing, freePort } from './ffmpeg-live.ts'
import { getJson } from './http.ts'
import { RoguePeer } from './rogue-peer.ts'
import { runFor, waitUntil } from './wait.ts'

const cleanups: (() => Promise<unknown>)[] = []
let home = ''
/** 6 s of live-like TS, encoded before any test runs: a synchronous ffmpeg run would stall the others. */
let cleanTs: Uint8Array = new Uint8Array(0)

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'peercaster-bad-input-'))
  if (!ffmpegMissing) cleanTs = makeTestTs({ seconds: 6 })
})

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  await rm(home, { recursive: true, force: true })
})

function cli(args: readonly string[]): CliRun {
  const run = runCli(args, home)
  cleanups.push(() => run.stop())
  return run
}

async function viewer(uri: string): Promise<Viewer> {
  const v = await Viewer.start({ uri, httpPort: 0, privateKey: await generateKeyPair('Ed25519') })
  cleanups.push(() => v.stop({ graceful: false }))
  return v
}

/** A closed TCP port on 127.0.0.1 (bound, then released). */
async function closedPort(): Promise<number> {
  return freePort()
}

// The three groups below are independent (own processes, ports, keys and source) and run at once;
// so do the two stdin tests, the longest. The rest run in turn within their group: at most four
// CLI processes start together (each pays ~1 s of CPU for tsx and libp2p on 2 cores).
describe('bad input', { concurrency: true }, () => {
  describe('watch: a stream that cannot be joined', () => {
    test('an unreachable bootstrap peer: exit 1 and a message naming the address', async () => {
      const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      const port = await closedPort()
      const addr = `/ip4/127.0.0.1/tcp/${port}/p2p/${id}`
      const uri = formatStreamUri({
        streamId: id,
        overlay: 'spreadit',
        kbps: 500,
        chunkRateHz: 4,
        keyframeEveryChunks: 4,
        bootstrap: [addr],
        params: {},
      })
      const run = cli(['watch', uri, '--http-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'])
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 1, `stderr: ${run.stderr}`)
      assert.match(run.stderr, /^peercaster: Cannot reach any bootstrap peer of the stream: /m)
      assert.ok(run.stderr.includes(addr), `the message names ${addr}: ${run.stderr}`)
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
    })

    test('a stream URI that does not parse: exit 2 and the field named', async () => {
      const run = cli(['watch', 'peercaster://nope?overlay=spreadit&kbps=500&rate=4', '--http-port', '0'])
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 2, `stderr: ${run.stderr}`)
      assert.match(run.stderr, /Cannot parse stream URI .*stream id "nope"/)
    })
  })

  describe('a live source (the sample clip) and what goes wrong around it', () => {
    let source: Broadcaster
    before(async () => {
      source = await Broadcaster.start({
        input: 'sample',
        loop: true,
        streamKbps: 800,
        privateKey: await generateKeyPair('Ed25519'),
      })
      cleanups.push(() => source.stop())
    })

    test('--http-port already in use: exit 1, "port N is in use; pass --http-port"', async () => {
      const blocker: Server = createServer()
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
      cleanups.push(() => new Promise((resolve) => blocker.close(resolve)))
      const address = blocker.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      const run = cli(['watch', source.uri, '--http-port', String(port), '--listen', '/ip4/127.0.0.1/tcp/0'])
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 1, `stderr: ${run.stderr}`)
      assert.match(run.stderr, new RegExp(`^peercaster: port ${port} is in use; pass --http-port`, 'm'))
    })

    test('a wrong stream key: every chunk fails verification, is counted, and nothing is played', async () => {
      // The URI names a real member of the swarm as the stream: the viewer joins under it and is fed
      // the real stream, whose chunks are not signed by the key its URI names.
      const member = await viewer(source.uri)
      await waitUntil('a member playing', () => member.stats().chunksPlayed > 0, 20_000)
      const real = parseStreamUri(source.uri)
      const wrong = formatStreamUri({ ...real, streamId: member.peerId })
      const victim = await viewer(wrong)
      await waitUntil('chunks failing verification', () => victim.stats().invalidChunks >= 8, 20_000)
      const stats = await getJson<Record<string, unknown>>(victim.statsUrl)
      assert.ok((stats.invalidChunks as number) >= 8, `/stats shows ${stats.invalidChunks} invalid chunks`)
      assert.equal(stats.chunksPlayed, 0)
      assert.equal(stats.startupDelayMs, null, 'playback never started')
      assert.equal(victim.playerStats().chunksIn, 0, 'nothing reached the player')
      assert.ok(member.stats().chunksPlayed > 0, 'the member it joined under plays the real stream')
    })

    test('garbage and oversized frames from a peer: counted, stream reset, the viewer plays on', async () => {
      const target = await viewer(source.uri)
      await waitUntil('the target playing', () => target.stats().chunksPlayed > 0, 20_000)
      const rogue = await RoguePeer.start()
      cleanups.push(() => rogue.stop())
      await rogue.locate(parseStreamUri(source.uri).bootstrap[0]!, target.peerId)
      const garbage = await rogue.openOverlayStream(target.peerId)
      garbage.send(encodeFrame(new Uint8Array([0xde, 0xad, 0xbe, 0xef])))
      await waitUntil('a remote error for the garbage frame', () => target.stats().remoteErrors >= 1, 10_000)
      const oversized = await rogue.openOverlayStream(target.peerId)
      oversized.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])) // a 4 GiB length prefix
      await waitUntil(
        'a remote error for the oversized frame',
        () => target.stats().remoteErrors >= 2,
        10_000,
      )
      const metrics = await fetch(target.metricsUrl, { signal: AbortSignal.timeout(5000) }).then((r) =>
        r.text(),
      )
      assert.match(metrics, /^peercaster_remote_errors_total 2$/m)
      const played = target.stats().chunksPlayed
      await waitUntil('playback to go on', () => target.stats().chunksPlayed >= played + 8, 10_000)
      assert.equal(target.stats().invalidChunks, 0)
    })
  })

  describe('broadcast --input -: corrupt or non-TS input', { skip: ffmpegMissing, concurrency: true }, () => {
    test('corrupt and truncated TS on stdin: resyncs are counted and the stream goes on to its end', async () => {
      const damaged = corrupt(cleanTs, 7)
      const key = join(home, 'corrupt-source.key')
      const run = cli([
        'broadcast',
        ...['--input', '-', '--listen', '/ip4/127.0.0.1/tcp/0', '--key', key],
        ...['--stream-kbps', '700', '--chunk-rate', '4'],
      ])
      const uri = (await run.waitForStdout(/stream URI: (\S+)/, 30_000))[1]!
      const watcher = await viewer(uri)
      await writePaced(run, damaged, 6000)
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 0, `stderr: ${run.stderr}`)
      const resyncs = [...run.stdout.matchAll(/(\d+) resyncs/g)].map((m) => Number(m[1]))
      assert.ok((resyncs.at(-1) ?? 0) >= 2, `final status reports resyncs: ${run.stdout}`)
      assert.match(run.stdout, /input ended/)
      // Served what it could: the viewer played most of the 6 s (4 chunks/s) despite the damage.
      assert.ok(watcher.stats().chunksPlayed >= 12, `viewer played ${watcher.stats().chunksPlayed} chunks`)
    })

    test('bytes that are not MPEG-TS on stdin: exit 1 with the --raw hint', async () => {
      const rng = createRng(3)
      const junk = Uint8Array.from({ length: 16 * 1024 }, () => (rng.int(255) === 0x47 ? 0 : rng.int(255)))
      const run = cli([
        'broadcast',
        ...['--input', '-', '--listen', '/ip4/127.0.0.1/tcp/0', '--key', join(home, 'junk-source.key')],
      ])
      await run.waitForStdout(/stream URI: /, 30_000)
      run.child.stdin?.end(junk)
      const exit = await run.exit(30_000)
      assert.equal(exit.code, 1, `stderr: ${run.stderr}`)
      assert.match(run.stderr, /^peercaster: input failed: input is not MPEG-TS .*use --raw/m)
    })
  })
})

/**
 * Damages a TS three ways: junk bytes inserted (alignment lost), part of a packet cut out (a
 * truncated packet), and a run of sync bytes overwritten. Positions derive from `seed`.
 */
function corrupt(ts: Uint8Array, seed: number): Uint8Array {
  const rng = createRng(seed)
  const at = (fraction: number) => Math.floor((ts.length * fraction) / 188) * 188 + rng.int(188)
  const junk = Uint8Array.from({ length: 333 }, () => rng.int(256))
  const a = at(0.25)
  const b = at(0.5)
  const parts = [ts.subarray(0, a), junk, ts.subarray(a, b), ts.subarray(b + 100)]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  // Five sync bytes in a row, on the packet grid as it is after the insertions above.
  let c = Math.floor(out.length * 0.75)
  while (!(out[c] === 0x47 && out[c + 188] === 0x47)) c++
  for (let i = 0; i < 5; i++) out[c + i * 188] = 0x00
  return out
}

/** Writes `bytes` to the CLI's stdin over `durationMs` in 100 ms slices (a live encoder's pace), then ends it. */
async function writePaced(run: CliRun, bytes: Uint8Array, durationMs: number): Promise<void> {
  const stdin = run.child.stdin!
  const slices = Math.ceil(durationMs / 100)
  const size = Math.ceil(bytes.length / slices)
  for (let i = 0; i < slices; i++) {
    stdin.write(bytes.subarray(i * size, (i + 1) * size))
    await runFor(100)
  }
  stdin.end()
}
