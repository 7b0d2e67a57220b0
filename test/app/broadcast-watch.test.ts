import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { BroadcastInputError } from '../../src/app/broadcast-input.ts'
import { Broadcaster } from '../../src/app/broadcaster.ts'
import { Viewer } from '../../src/app/viewer.ts'
import { StreamUriError } from '../../src/net/stream-uri.ts'
import { ffmpegMissing } from '../media/ffmpeg.ts'
import { decodeLive, fetchHead, waitUntil } from './live-fetch.ts'

let dir = ''
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peercaster-app-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const pidOf = (packet: Uint8Array) => ((packet[1]! & 0x1f) << 8) | packet[2]!

test('the sample clip to 3 viewers over loopback: PAT first on /live.ts, full continuity, clean decode', {
  timeout: 30_000,
}, async () => {
  const source = await Broadcaster.start({
    input: 'sample',
    streamKbps: 1000,
    overlayParams: { maxChildren: 2 },
    keyPath: join(dir, 'source.key'),
  })
  const viewers: Viewer[] = []
  try {
    assert.match(source.uri, /^peercaster:\/\/12D3KooW\w+\?overlay=spreadit&kbps=1000&rate=4&/)
    assert.match(source.uri, /maxChildren=2/)
    for (let i = 0; i < 3; i++) {
      viewers.push(await Viewer.start({ uri: source.uri, httpPort: 0, keyPath: join(dir, `v${i}.key`) }))
    }
    await waitUntil(
      'every viewer to play 12 chunks',
      () => viewers.every((v) => v.stats().chunksPlayed >= 12),
      15_000,
    )
    for (const v of viewers) {
      const head = await fetchHead(v.playerUrl, 188 * 3)
      assert.equal(head[0], 0x47)
      assert.equal(pidOf(head), 0, 'the player gets the PAT first')
      const s = v.stats()
      assert.ok(s.connected)
      assert.equal(s.parents.length, 1)
      assert.equal(s.invalidChunks, 0)
      // Not exactly 1: a test machine under load may hold a chunk past its deadline now and then.
      assert.ok(
        s.continuity !== null && s.continuity >= 0.95,
        `continuity ${s.continuity} (${s.chunksMissing} missing)`,
      )
      assert.ok(s.startupDelayMs !== null && s.startupDelayMs > 0)
      assert.ok(
        s.playoutLagMs !== null && s.playoutLagMs > 0 && s.playoutLagMs < 3000,
        `lag ${s.playoutLagMs}`,
      )
      const json = (await (await fetch(v.statsUrl)).json()) as Record<string, unknown>
      assert.equal(typeof json.continuity, 'number')
      assert.ok((json.continuity as number) >= 0.95)
      assert.ok(Array.isArray(json.parents))
      const metrics = await (await fetch(v.metricsUrl)).text()
      assert.match(metrics, /^peercaster_continuity (1|0\.9\d*)$/m)
      assert.match(metrics, /^peercaster_chunks_verified_total \d+/m)
    }
    // maxChildren 2 for 3 viewers: someone relays, the source feeds at most 2.
    assert.ok(source.stats().viewers <= 2)
    assert.ok(viewers.some((v) => v.stats().children.length > 0))
    const st = source.stats()
    assert.ok(st.chunksPublished >= 12 && st.chunker.keyframeSnaps >= 2, JSON.stringify(st.chunker))

    if (!ffmpegMissing) {
      const decoded = await decodeLive(viewers[2]!.playerUrl, 3, 15_000)
      assert.deepEqual(decoded.lines, [], 'ffmpeg decodes a relayed viewer without a complaint')
      assert.ok(decoded.frames >= 50, `${decoded.frames} frames decoded`)
    }
  } finally {
    await Promise.allSettled(viewers.map((v) => v.stop({ graceful: false })))
    await source.stop()
  }
})

test('a file that is not MPEG-TS fails before the source starts, with the --raw hint', async () => {
  const path = join(dir, 'notes.txt')
  await writeFile(path, 'hello, this is not a transport stream\n'.repeat(200))
  await assert.rejects(
    Broadcaster.start({ input: path, streamKbps: 500, keyPath: join(dir, 'x.key') }),
    (err: Error) =>
      err instanceof BroadcastInputError && /not MPEG-TS/.test(err.message) && /--raw/.test(err.message),
  )
  await assert.rejects(
    Broadcaster.start({ input: join(dir, 'missing.ts'), streamKbps: 500, keyPath: join(dir, 'x.key') }),
    /cannot read ".*missing\.ts": no such file/,
  )
})

test('a bad URI names the field; an unreachable bootstrap says so and leaves nothing running', async () => {
  await assert.rejects(
    Viewer.start({ uri: 'peercaster://nope?overlay=spreadit&kbps=1&rate=4', httpPort: 0 }),
    (err: Error) => err instanceof StreamUriError && /stream id "nope"/.test(err.message),
  )
  const key = await generateKeyPair('Ed25519')
  const id = peerIdFromPrivateKey(key).toString()
  // A port nothing listens on (the discard port on loopback).
  const uri = `peercaster://${id}?overlay=spreadit&kbps=500&rate=4&bootstrap=/ip4/127.0.0.1/tcp/9/p2p/${id}`
  const started = Date.now()
  await assert.rejects(
    Viewer.start({ uri, httpPort: 0, privateKey: await generateKeyPair('Ed25519') }),
    /Cannot reach any bootstrap peer/,
  )
  assert.ok(Date.now() - started < 10_000)
})
