// End to end with real parts: ffmpeg encodes a live H.264/AAC MPEG-TS (-re, a keyframe each
// second), a Broadcaster reads it over HTTP, 21 Viewers on loopback join a SpreadIt tree (3
// children per node, so most of the tree is relayed by viewers) over emulated 20-80 ms links,
// and ffmpeg decodes each viewer's /live.ts. Then interior relays crash, and a rogue peer pushes
// forged chunks. Assertions are on counters and decoder output; waits are bounded conditions.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { loadOrCreateIdentity, parseStreamUri } from '../../src/net/index.ts'
import { decodeLive, decodeLiveMany, ffmpegMissing } from './ffmpeg-live.ts'
import { captureLive } from './http.ts'
import {
  assertCleanDecodes,
  CHUNK_RATE_HZ,
  continuityWindow,
  FPS,
  liveSwarmHooks,
  orphansOf,
  stats,
} from './live-suite.ts'
import {
  chunkSignedByStranger,
  containsForgedMarker,
  forgedPayload,
  RoguePeer,
  tamperedChunk,
} from './rogue-peer.ts'
import { Testbed, type TestbedPeer } from './testbed.ts'
import { runFor, waitUntil } from './wait.ts'

const VIEWERS = 21
const MAX_CHILDREN = 3
const STREAM_KBPS = 500

/** Why a viewer's output may be short: its playout counters and the holes its player spliced out. */
function playoutReport(peer: TestbedPeer): string {
  const s = stats(peer)
  const player = peer.viewer!.playerStats()
  return (
    `viewer ${peer.index}: played ${s.chunksPlayed}/${s.chunksDue} (missing ${s.chunksMissing}, late ${s.chunksLate}), ` +
    `lag ${s.playoutLagMs?.toFixed(0)} ms, hops ${s.hops}, player gaps ${player.gaps}, skipped ${player.skippedChunks}`
  )
}

/** One viewer's place in the tree, crashed peers marked, for a failed recovery wait. */
function treeReport(peer: TestbedPeer, crashed: ReadonlySet<string>): string {
  const s = stats(peer)
  const name = (id: string) => `${id.slice(-6)}${crashed.has(id) ? '(crashed)' : ''}`
  const { metrics, dialFailures, sessionResets, outboxDroppedFrames, remoteErrors, framesIn, framesOut } =
    peer.viewer!.netHost.stats
  const host = { dialFailures, sessionResets, outboxDroppedFrames, remoteErrors, framesIn, framesOut }
  return (
    `viewer ${peer.index} ${name(peer.peerId)}: connected ${s.connected}, parents [${s.parents.map(name)}], ` +
    `children ${s.children.length}, played ${s.chunksPlayed}/${s.chunksDue}, ` +
    `host ${JSON.stringify(host)}, overlay ${JSON.stringify(metrics)}`
  )
}

describe('live swarm over loopback: ffmpeg source, 21 viewers, SpreadIt with 3 children per node', {
  skip: ffmpegMissing,
  timeout: 170_000,
}, () => {
  let bed: Testbed | undefined
  const rogues: RoguePeer[] = []

  liveSwarmHooks({
    kbps: STREAM_KBPS,
    start: async (stream) =>
      (bed = await Testbed.start({
        ...stream,
        viewers: VIEWERS,
        seed: 20261122,
        // Default heartbeats (1 s, 3 missed = dead): shorter ones turn a 1.5 s stall of this
        // shared, loaded process into a false failure of every parent at once.
        overlayParams: { maxChildren: MAX_CHILDREN },
        // 2 s of playout slack (default 3 chunks = 0.75 s): 22 peers share this process's event
        // loop, and on a loaded 2-core machine one starved second would make every peer miss
        // deadlines at once — an artifact of co-hosting, not of the overlay. Lag is the bench's job.
        startupChunks: 8,
      })),
    timeoutMs: 90_000,
    stopFirst: () => Promise.allSettled(rogues.map((r) => r.stop())),
  })

  test('every viewer plays its /live.ts through ffmpeg with zero decoder complaints', async () => {
    const peers = bed!.alive()
    assert.equal(peers.length, VIEWERS)
    const seconds = 5
    const results = await decodeLiveMany(
      peers.map((p) => p.viewer!.playerUrl),
      seconds,
      40_000,
    )
    // Short of 5 s when the output skipped a hole (freeze, then a jump to the next keyframe).
    assertCleanDecodes(results, peers, 3 * FPS, playoutReport)
    // Most of the audience is fed by other viewers, not by the source.
    const source = bed!.source!.stats()
    assert.ok(source.viewers <= MAX_CHILDREN, `source has ${source.viewers} direct children`)
    const relayed = peers.filter((p) => (stats(p).hops ?? 0) >= 2).length
    assert.ok(relayed >= VIEWERS - MAX_CHILDREN, `${relayed} viewers are fed through relays`)
  })

  test('a third of the interior relays crash: survivors keep playing, continuity after recovery >= 99%', async () => {
    const interior = bed!
      .alive()
      .filter((p) => stats(p).children.length > 0)
      .sort((a, b) => stats(b).children.length - stats(a).children.length || a.index - b.index)
    // 21 viewers under a source of <= 3 children, each feeding <= 3: at least 6 must relay.
    assert.ok(interior.length >= 6, `only ${interior.length} interior relays`)
    const victims = interior.slice(0, Math.ceil(interior.length / 3))
    const victimIds = new Set(victims.map((v) => v.peerId))
    const orphans = orphansOf(bed!.alive(), victimIds)
    const survivors = bed!.alive().filter((p) => !victimIds.has(p.peerId))
    assert.ok(orphans.length >= victims.length, 'the victims had children')

    // Players stay attached across the crash: what they decode is what a user would have seen.
    const decodeSeconds = 16
    const decoding = Promise.all(survivors.map((p) => decodeLive(p.viewer!.playerUrl, decodeSeconds, 60_000)))
    await runFor(1500)
    await Promise.all(victims.map((v) => bed!.crash(v)))

    await waitUntil(
      'every survivor to be re-parented away from the crashed relays',
      () =>
        survivors.every((p) => {
          const s = stats(p)
          return s.connected && s.parents.length > 0 && !s.parents.some((id) => victimIds.has(id))
        }),
      30_000,
      () => {
        const src = bed!.source!.stats()
        const { dialFailures, sessionResets, outboxDroppedFrames, remoteErrors } = src.host
        return [
          `source: children [${src.children.map((id) => id.slice(-6))}], ` +
            JSON.stringify({ dialFailures, sessionResets, outboxDroppedFrames, remoteErrors }),
          ...survivors.map((p) => treeReport(p, victimIds)),
        ].join('\n')
      },
    )
    // Chunks lost in the outage fall due one playout lag later; the window starts after that.
    const maxLag = Math.max(...survivors.map((p) => stats(p).playoutLagMs ?? 0))
    await runFor(maxLag + 1000)
    const start = survivors.map((p) => stats(p))
    await runFor(8000)
    const end = survivors.map((p) => stats(p))
    const window = continuityWindow(survivors, start, end)
    survivors.forEach((p, i) => {
      const d = window.duePerViewer[i]!
      assert.ok(d >= 8 * CHUNK_RATE_HZ * 0.9, `viewer ${p.index}: only ${d} chunks fell due in 8 s`)
    })
    assert.ok(
      window.continuity >= 0.99,
      `continuity after recovery ${window.continuity.toFixed(4)} (${window.per})`,
    )

    // Reaching -t (no timeout) means the output's clock got 16 s past its start: it played on
    // to the end. An orphan's output freezes for its outage (failure detection takes 3 s, then
    // a rejoin and the next keyframe) and jumps ahead, so fewer frames than 16 s hold.
    assertCleanDecodes(await decoding, survivors, 4 * FPS, playoutReport)
  })

  test('forged chunks from a rogue peer are dropped and counted, never played or relayed; the viewer plays on', async () => {
    assert.ok(containsForgedMarker(forgedPayload(1)), 'the marker detector finds a forged payload')
    const candidates = bed!.alive().sort((a, b) => stats(b).children.length - stats(a).children.length)
    const target = candidates[0]!
    const children = bed!.alive().filter((p) => stats(target).children.includes(p.peerId))
    const uri = parseStreamUri(bed!.uri)
    const rogue = await RoguePeer.start()
    rogues.push(rogue)
    await rogue.locate(uri.bootstrap[0]!, target.peerId)

    const captureMs = 7000
    const capture = captureLive(target.viewer!.playerUrl, captureMs)
    const decoding = decodeLive(target.viewer!.playerUrl, 5, 40_000)
    await runFor(1000)
    const before = stats(target)
    const childrenInvalid = children.map((c) => stats(c).invalidChunks)
    // Seqs just ahead of the live edge: were they accepted, they would be played instead of the real ones.
    const next = bed!.source!.stats().chunksPublished
    const sourceKey = (await loadOrCreateIdentity(bed!.sourceKeyPath)).privateKey
    const stranger = await generateKeyPair('Ed25519')
    const forged = [
      chunkSignedByStranger(stranger, uri.streamId, next + 1),
      tamperedChunk(sourceKey, uri.streamId, next + 2),
      chunkSignedByStranger(stranger, uri.streamId, next + 3),
      tamperedChunk(sourceKey, uri.streamId, next + 4),
    ]
    await rogue.sendChunks(target.peerId, forged)
    await waitUntil(
      'the target to reject the forged chunks',
      () => stats(target).invalidChunks >= before.invalidChunks + forged.length,
      10_000,
    )

    const bytes = await capture
    const after = stats(target)
    assert.equal(after.invalidChunks - before.invalidChunks, forged.length)
    assert.equal(containsForgedMarker(bytes), false, 'forged bytes reached the player')
    assert.ok(
      bytes.length > ((captureMs / 1000 - 2) * STREAM_KBPS * 1000) / 8 / 2,
      `player got ${bytes.length} bytes`,
    )
    children.forEach((c, i) => {
      assert.equal(stats(c).invalidChunks, childrenInvalid[i], `child ${c.index} was sent a forged chunk`)
    })
    // Plays on: the genuine chunks with those seqs arrived through the tree and were played.
    const due = after.chunksDue - before.chunksDue
    const played = after.chunksPlayed - before.chunksPlayed
    assert.ok(due >= 4 * CHUNK_RATE_HZ, `${due} chunks fell due`)
    assert.equal(played, due, `played ${played} of ${due} chunks due after the attack`)
    assertCleanDecodes([await decoding], [target], 4 * FPS, playoutReport)
  })
})
