// P2PCast end to end with real parts: ffmpeg encodes a live H.264/AAC MPEG-TS, a Broadcaster
// reads it, 14 Viewers on loopback join a p2pcast forest over emulated 20-80 ms links, and ffmpeg
// decodes each viewer's /live.ts. Twice: f = 2 (one data stripe, one parity stripe — with f = 2 the
// parity of a one-chunk group is a signed copy) and f = 3 (two data stripes and their XOR, which
// also goes through the bootstrap regime while the first viewers join). Then viewers crash
// abruptly, chosen so that no survivor loses two stripes: parity must carry every survivor through
// the crash and repair.
// Assertions are on counters and decoder output; waits are bounded conditions.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Viewer, type ViewerStats } from '../../src/app/viewer.ts'
import type { ViewerProblem } from '../../src/app/viewer-problems.ts'
import { decodeLive, decodeLiveMany, ffmpegMissing } from './ffmpeg-live.ts'
import { CHUNK_RATE_HZ, continuityWindow, FPS, liveSwarmHooks, stats } from './live-suite.ts'
import { Testbed, type TestbedPeer } from './testbed.ts'
import { runFor, waitUntil } from './wait.ts'

const VIEWERS = 14
const STREAM_KBPS = 400
const VICTIMS = 3

function placeReport(peer: TestbedPeer, crashed: ReadonlySet<string>): string {
  const s = stats(peer)
  const name = (id: string) => `${id.slice(-6)}${crashed.has(id) ? '(crashed)' : ''}`
  const { chunksRejected, chunksVerified, sessionResets, remoteErrors, metrics } = peer.viewer!.netHost.stats
  return (
    `viewer ${peer.index} ${name(peer.peerId)}: connected ${s.connected}, parents [${s.parents.map(name)}], ` +
    `children ${s.children.length}, played ${s.chunksPlayed}/${s.chunksDue}, ` +
    JSON.stringify({ chunksRejected, chunksVerified, sessionResets, remoteErrors, metrics })
  )
}

/**
 * Per stripe t, the viewers below `victims` in tree t (parents[t] is the parent in tree t): the
 * ones that lose stripe t until the forest is repaired.
 */
function cutOff(peers: readonly TestbedPeer[], victims: ReadonlySet<string>, t: number): Set<string> {
  const parentOf = new Map(peers.map((p) => [p.peerId, stats(p).parents[t]]))
  const lost = new Set<string>()
  for (const p of peers) {
    const seen = new Set<string>()
    for (let id = parentOf.get(p.peerId); id !== undefined && !seen.has(id); id = parentOf.get(id)) {
      seen.add(id)
      if (victims.has(id)) {
        lost.add(p.peerId)
        break
      }
    }
  }
  return lost
}

/**
 * Greedy: relays whose crash, together with those chosen, costs no survivor more than one stripe.
 * Relays that cut the DATA stripe (tree 0) for the most viewers come first: a crash in the parity
 * tree alone would pass without parity doing anything.
 */
function chooseVictims(peers: readonly TestbedPeer[], count: number, f: number): TestbedPeer[] {
  const chosen: TestbedPeer[] = []
  const dataCut = new Map(peers.map((p) => [p.peerId, cutOff(peers, new Set([p.peerId]), 0).size]))
  const relays = [...peers]
    .filter((p) => stats(p).children.length > 0)
    .sort((a, b) => dataCut.get(b.peerId)! - dataCut.get(a.peerId)! || a.index - b.index)
  for (const candidate of relays) {
    if (chosen.length === count) break
    const ids = new Set([...chosen, candidate].map((p) => p.peerId))
    const lost = Array.from({ length: f }, (_, t) => cutOff(peers, ids, t))
    const twoLost = peers.some(
      (p) => !ids.has(p.peerId) && lost.filter((set) => set.has(p.peerId)).length >= 2,
    )
    if (!twoLost) chosen.push(candidate)
  }
  return chosen
}

for (const f of [2, 3]) describeSwarm(f)

function describeSwarm(stripes: number): void {
  describe(`p2pcast swarm over loopback: ffmpeg source, 14 viewers, f = ${stripes} stripes with parity`, {
    skip: ffmpegMissing,
    timeout: 120_000,
  }, () => {
    let bed: Testbed | undefined

    liveSwarmHooks({
      kbps: STREAM_KBPS,
      start: async (stream) =>
        (bed = await Testbed.start({
          ...stream,
          viewers: VIEWERS,
          seed: 4_2026,
          overlay: 'p2pcast',
          overlayParams: { stripes: stripes },
          // 2 s of playout slack: 15 peers share this process's event loop (see live-swarm.test.ts).
          startupChunks: 8,
        })),
      ready: 'every viewer to be placed in every tree and playing',
      isReady: (b) =>
        b
          .alive()
          .every(
            (p) =>
              stats(p).connected && stats(p).parents.length === stripes && stats(p).startupDelayMs !== null,
          ),
      explain: (b) =>
        b
          .alive()
          .map((p) => placeReport(p, new Set()))
          .join('\n'),
      timeoutMs: 70_000,
    })

    test('the stream URI carries the stripes; every viewer relays f stripes and none rejects a chunk', () => {
      assert.match(bed!.uri, /[?&]overlay=p2pcast(&|$)/)
      assert.match(bed!.uri, new RegExp(`[?&]stripes=${stripes}(&|$)`))
      for (const p of bed!.alive()) {
        const host = p.viewer!.netHost.stats
        // Parity chunks are signed at the source (Env.sign): an unsigned parity would be rejected here.
        assert.equal(host.chunksRejected, 0, placeReport(p, new Set()))
        // No --upload-kbps given: the viewer declares what the forest needs, so no warning.
        assert.deepEqual(stats(p).problems, [])
        // Each viewer gets every stripe: f/(f-1) verified chunks per chunk played (2 at f = 2, 1.5 at
        // f = 3); half the excess over 1 is the bound, so a viewer fed one stripe short fails.
        const perPlayed = stripes / (stripes - 1)
        assert.ok(
          host.chunksVerified > (1 + (perPlayed - 1) / 2) * stats(p).chunksPlayed,
          placeReport(p, new Set()),
        )
      }
      // Every peer uploads what it downloads: all but the special node's place hold f children edges.
      const relays = bed!.alive().filter((p) => stats(p).children.length > 0)
      assert.ok(relays.length >= VIEWERS - 2, `only ${relays.length} of ${VIEWERS} viewers relay`)
    })

    test('every viewer plays its /live.ts through ffmpeg with zero decoder complaints', async () => {
      const peers = bed!.alive()
      const results = await decodeLiveMany(
        peers.map((p) => p.viewer!.playerUrl),
        5,
        40_000,
      )
      results.forEach((r, i) => {
        const peer = peers[i]!
        assert.equal(r.timedOut, false, `viewer ${peer.index}: ffmpeg had to be killed (stream stalled)`)
        assert.deepEqual(r.complaints, [], `viewer ${peer.index}:\n${r.complaints.slice(0, 10).join('\n')}`)
        assert.ok(r.videoFrames >= 3 * FPS, `${r.videoFrames} frames; ${placeReport(peer, new Set())}`)
      })
    })

    test('relays crash abruptly: parity carries every survivor, and continuity after recovery >= 99%', async () => {
      const peers = bed!.alive()
      const victims = chooseVictims(peers, VICTIMS, stripes)
      assert.equal(victims.length, VICTIMS, 'enough relays whose crashes cost no survivor two stripes')
      const victimIds = new Set(victims.map((v) => v.peerId))
      const survivors = peers.filter((p) => !victimIds.has(p.peerId))
      const orphans = survivors.filter((p) => stats(p).parents.some((id) => victimIds.has(id)))
      assert.ok(orphans.length >= VICTIMS, `only ${orphans.length} survivors had a crashed parent`)
      // The crashes must cut the data stripe for some survivors, or parity is not what carries them.
      const dataLost = cutOff(peers, victimIds, 0)
      const survivorsWithoutData = survivors.filter((p) => dataLost.has(p.peerId)).length
      assert.ok(
        survivorsWithoutData >= 2,
        `the crashes cut the data stripe for only ${survivorsWithoutData} survivors`,
      )

      const decodeSeconds = 14
      const decoding = Promise.all(
        survivors.map((p) => decodeLive(p.viewer!.playerUrl, decodeSeconds, 50_000)),
      )
      await runFor(1000)
      const atCrash = survivors.map((p) => stats(p))
      await Promise.all(victims.map((v) => bed!.crash(v)))

      await waitUntil(
        'every survivor to be re-placed away from the crashed viewers in every tree',
        () =>
          survivors.every((p) => {
            const s = stats(p)
            return s.connected && s.parents.length === stripes && !s.parents.some((id) => victimIds.has(id))
          }),
        30_000,
        () => survivors.map((p) => placeReport(p, victimIds)).join('\n'),
      )
      const maxLag = Math.max(...survivors.map((p) => stats(p).playoutLagMs ?? 0))
      await runFor(maxLag + 1000)
      const recovered = survivors.map((p) => stats(p))
      await runFor(6000)
      const end = survivors.map((p) => stats(p))

      const window = (from: readonly ViewerStats[]) => continuityWindow(survivors, from, end)
      // Through the crash: the cut stripe's chunks are rebuilt from parity (a copy at f = 2).
      const through = window(atCrash)
      assert.ok(
        through.continuity >= 0.99,
        `continuity through the crash ${through.continuity.toFixed(4)} (${through.per})`,
      )
      const after = window(recovered)
      assert.ok(
        after.continuity >= 0.99,
        `continuity after recovery ${after.continuity.toFixed(4)} (${after.per})`,
      )
      survivors.forEach((p, i) => {
        const d = end[i]!.chunksDue - recovered[i]!.chunksDue
        assert.ok(d >= 6 * CHUNK_RATE_HZ * 0.9, `viewer ${p.index}: only ${d} chunks fell due in 6 s`)
      })

      const results = await decoding
      results.forEach((r, i) => {
        const peer = survivors[i]!
        assert.equal(r.timedOut, false, `viewer ${peer.index}: ffmpeg had to be killed (stream stalled)`)
        assert.deepEqual(r.complaints, [], `viewer ${peer.index}:\n${r.complaints.slice(0, 10).join('\n')}`)
        // No outage to freeze through: the decoder should see (nearly) the whole 14 s.
        assert.ok(
          r.videoFrames >= (decodeSeconds - 3) * FPS,
          `${r.videoFrames} frames; ${placeReport(peer, victimIds)}`,
        )
      })
    })

    test('a viewer declaring less upload than the forest needs is warned once, naming both figures', async () => {
      const problems: ViewerProblem[] = []
      const viewer = await Viewer.start({
        uri: bed!.uri,
        httpPort: 0,
        privateKey: await generateKeyPair('Ed25519'), // in memory: no key file in the home directory
        uploadKbps: 300,
        onProblem: (p) => problems.push(p),
      })
      try {
        assert.deepEqual(
          problems.map((p) => p.kind),
          ['upload-below-need'],
        )
        const needKbps = (STREAM_KBPS * stripes) / (stripes - 1)
        assert.match(problems[0]!.message, new RegExp(`300 kbit/s.*below the ${needKbps} kbit/s`))
        assert.deepEqual(viewer.stats().problems, [problems[0]!.message])
      } finally {
        await viewer.stop({ graceful: true })
      }
    })
  })
}
