import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Broadcaster } from '../../src/app/broadcaster.ts'
import { Viewer } from '../../src/app/viewer.ts'
import {
  INVALID_CHUNKS_BEFORE_WARNING,
  SOURCE_FAILURES_BEFORE_GIVING_UP,
  type ViewerProblem,
  ViewerProblemDetector,
} from '../../src/app/viewer-problems.ts'
import { formatStreamUri, parseStreamUri } from '../../src/net/stream-uri.ts'
import { waitUntil } from './live-fetch.ts'

const BOOT = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBoot'

test('source-not-found after the bounded number of failures, once, and only while no chunk came', () => {
  const d = new ViewerProblemDetector('12D3KooWSource', [BOOT])
  const none = { chunksVerified: 0, chunksRejected: 0 }
  for (let i = 1; i < SOURCE_FAILURES_BEFORE_GIVING_UP; i++) {
    d.noteSourceFailure()
    assert.deepEqual(d.check(none), [])
  }
  d.noteSourceFailure()
  assert.deepEqual(d.check(none), [
    {
      kind: 'source-not-found',
      message: `cannot find the stream's source 12D3KooWSource via ${BOOT}: is the stream URI right?`,
    },
  ])
  d.noteSourceFailure()
  assert.deepEqual(d.check(none), [], 'reported once')

  const inTree = new ViewerProblemDetector('12D3KooWSource', [BOOT])
  for (let i = 0; i < 10; i++) inTree.noteSourceFailure()
  assert.deepEqual(
    inTree.check({ chunksVerified: 1, chunksRejected: 0 }),
    [],
    'a chunk came: the source exists',
  )
})

test('wrong-stream-key once every chunk of enough has failed verification, never after a valid one', () => {
  const d = new ViewerProblemDetector('12D3KooWSource', [BOOT])
  assert.deepEqual(d.check({ chunksVerified: 0, chunksRejected: INVALID_CHUNKS_BEFORE_WARNING - 1 }), [])
  const found = d.check({ chunksVerified: 0, chunksRejected: INVALID_CHUNKS_BEFORE_WARNING })
  assert.equal(found.length, 1)
  assert.equal(found[0]!.kind, 'wrong-stream-key')
  assert.match(
    found[0]!.message,
    /^every chunk so far \(8\) failed the source's signature check: the stream id/,
  )
  assert.deepEqual(d.check({ chunksVerified: 0, chunksRejected: 100 }), [], 'reported once')

  const forged = new ViewerProblemDetector('12D3KooWSource', [BOOT])
  assert.deepEqual(
    forged.check({ chunksVerified: 5, chunksRejected: 50 }),
    [],
    'forged chunks among valid ones',
  )
})

test('a viewer whose stream id nobody holds reports source-not-found (bootstrap reachable)', {
  timeout: 40_000,
}, async () => {
  const source = await Broadcaster.start({
    input: 'sample',
    streamKbps: 800,
    privateKey: await generateKeyPair('Ed25519'),
  })
  let viewer: Viewer | undefined
  try {
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const uri = formatStreamUri({ ...parseStreamUri(source.uri), streamId: stranger })
    const problems: ViewerProblem[] = []
    viewer = await Viewer.start({
      uri,
      httpPort: 0,
      privateKey: await generateKeyPair('Ed25519'),
      onProblem: (p) => problems.push(p),
    })
    const v = viewer
    await waitUntil('source-not-found', () => problems.length > 0, 30_000)
    assert.equal(problems.length, 1)
    assert.equal(problems[0]!.kind, 'source-not-found')
    assert.match(problems[0]!.message, new RegExp(`^cannot find the stream's source ${stranger} via /ip4/`))
    assert.deepEqual(v.stats().problems, [problems[0]!.message])
    assert.equal(v.stats().startupDelayMs, null)
  } finally {
    await viewer?.stop()
    await source.stop()
  }
})
