import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Broadcaster } from '../../src/app/broadcaster.ts'
import { LiveOutput } from '../../src/app/live-output.ts'
import { Viewer } from '../../src/app/viewer.ts'
import { fetchHead, waitUntil } from './live-fetch.ts'

test('--raw: a looped non-TS file reaches the player byte for byte', { timeout: 30_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'peercaster-raw-'))
  const file = randomBytes(20_000)
  const path = join(dir, 'blob.bin')
  await writeFile(path, file)
  const source = await Broadcaster.start({
    input: path,
    raw: true,
    loop: true,
    streamKbps: 160, // 20 kB/s: the file loops every second
    privateKey: await generateKeyPair('Ed25519'),
  })
  let viewer: Viewer | undefined
  try {
    assert.match(source.uri, /keyframe=1/)
    viewer = await Viewer.start({
      uri: source.uri,
      httpPort: 0,
      privateKey: await generateKeyPair('Ed25519'),
    })
    await waitUntil('playback', () => (viewer?.stats().chunksPlayed ?? 0) >= 2, 15_000)
    const got = Buffer.from(await fetchHead(viewer.playerUrl, 30_000, 15_000))
    const looped = Buffer.concat([file, file, file])
    assert.ok(looped.includes(got), 'what the player got is a contiguous run of the looped file')
    assert.ok((viewer.stats().continuity ?? 0) >= 0.9)
  } finally {
    await viewer?.stop({ graceful: false })
    await source.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

function fakeStreams(tty: boolean) {
  const err = Object.assign(new PassThrough(), { isTTY: tty, columns: 20 }) as unknown as NodeJS.WriteStream
  const out = new PassThrough()
  const read = (s: PassThrough) => (s.read() as Buffer | null)?.toString() ?? ''
  return { err, out, readErr: () => read(err as unknown as PassThrough), readOut: () => read(out) }
}

test('live output: on a terminal the status is redrawn in place on stderr, cut to the width', () => {
  const s = fakeStreams(true)
  const o = new LiveOutput(5000, s.err, s.out)
  o.show(['table line 1\ntable line 2', 'a status line that is far too wide'], 0)
  assert.equal(s.readErr(), 'table line 1\ntable line 2\na status line that \n')
  o.show(['next'], 1)
  assert.equal(s.readErr(), '\x1b[3F\x1b[Jnext\n', 'erases the 3 lines drawn before')
  o.print('permanent')
  assert.equal(s.readErr(), '\x1b[1F\x1b[J')
  assert.equal(s.readOut(), 'permanent\n')
})

test('live output: elsewhere, plain lines on stdout at most once per interval (unless forced)', () => {
  const s = fakeStreams(false)
  const o = new LiveOutput(5000, s.err, s.out)
  o.show(['a'], 0)
  o.show(['b'], 4999)
  o.show(['c'], 5000)
  o.show(['d'], 5001, true)
  assert.equal(s.readOut(), 'a\nc\nd\n')
  assert.equal(s.readErr(), '')
})
