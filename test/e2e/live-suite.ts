// What the live swarm tests (live-swarm, p2pcast-swarm, i3-swarm) share: the stream's shape, the
// suite's set-up (a live encoder feeding a bed of peers, a bounded wait until it plays, both
// stopped afterwards), and the measurements and checks they make on viewers.
import assert from 'node:assert/strict'
import { after, before } from 'node:test'
import type { Viewer, ViewerStats } from '../../src/app/viewer.ts'
import { type LiveDecodeResult, type LiveEncoder, startLiveEncoder } from './ffmpeg-live.ts'
import { waitUntil } from './wait.ts'

/** The app's default chunk rate; the tests' windows are in chunks of this rate. */
export const CHUNK_RATE_HZ = 4
/** The live encoder's frame rate (ffmpeg-live.ts). */
export const FPS = 25

/** A viewer of either testbed. */
export interface LivePeer {
  readonly index: number
  viewer: Viewer | undefined
}

export function stats(peer: LivePeer): ViewerStats {
  return peer.viewer!.stats()
}

/** What a bed needs to know of the live stream. */
export interface LiveStream {
  /** The encoder's URL. */
  input: string
  streamKbps: number
  chunkRateHz: number
}

export interface LiveSwarmSetup<B> {
  /** The encoder's bitrate (the stream's). */
  kbps: number
  /** Starts the bed of peers on the live stream; the test keeps what it returns. */
  start: (stream: LiveStream) => Promise<B>
  /** What every peer must reach before the first test (default: every viewer connected and playing). */
  ready?: string
  isReady?: (bed: B) => boolean
  /** Why the bed is not ready, for the timeout message. */
  explain?: (bed: B) => string
  /** Bound of the whole set-up (encoder, bed, ready). */
  timeoutMs: number
  /** Stopped first after the suite (e.g. rogue peers the tests started). */
  stopFirst?: () => Promise<unknown>
}

/** What the hooks use of a bed. */
export interface LiveBed {
  alive(): LivePeer[]
  stop(): Promise<void>
}

function everyViewerPlaying(bed: LiveBed): boolean {
  return bed.alive().every((p) => stats(p).connected && stats(p).startupDelayMs !== null)
}

/** Readiness is bounded by this, whatever the bed. */
const READY_WITHIN_MS = 40_000

/**
 * Registers the suite's hooks (call it inside `describe`): before the tests, a live encoder at
 * `kbps` and the bed `start` makes on its URL, then a bounded wait until `isReady`; after them,
 * `stopFirst`, the bed and the encoder are stopped, whatever failed.
 */
export function liveSwarmHooks<B extends LiveBed>(setup: LiveSwarmSetup<B>): void {
  let encoder: LiveEncoder | undefined
  let bed: B | undefined
  before(
    async () => {
      encoder = await startLiveEncoder({ kbps: setup.kbps })
      const started = await setup.start({
        input: encoder.url,
        streamKbps: setup.kbps,
        chunkRateHz: CHUNK_RATE_HZ,
      })
      bed = started
      const {
        ready = 'every viewer to be connected and playing',
        isReady = everyViewerPlaying,
        explain,
      } = setup
      await waitUntil(
        ready,
        () => isReady(started),
        READY_WITHIN_MS,
        explain ? () => explain(started) : undefined,
      )
    },
    { timeout: setup.timeoutMs },
  )
  after(async () => {
    await setup.stopFirst?.()
    await bed?.stop()
    await encoder?.stop()
  })
}

/** The first decoder complaints of one viewer, for an assertion message. */
export function complaintsReport(peer: LivePeer, complaints: readonly string[]): string {
  return `viewer ${peer.index}:\n${complaints.slice(0, 10).join('\n')}`
}

/** Every decoder ran to its end, complained about nothing, and saw at least `minFrames` frames. */
export function assertCleanDecodes<P extends LivePeer>(
  results: readonly LiveDecodeResult[],
  peers: readonly P[],
  minFrames: number,
  explain: (peer: P) => string,
): void {
  results.forEach((r, i) => {
    const peer = peers[i]!
    assert.equal(r.timedOut, false, `viewer ${peer.index}: ffmpeg had to be killed (stream stalled)`)
    assert.deepEqual(r.complaints, [], complaintsReport(peer, r.complaints))
    assert.ok(r.videoFrames >= minFrames, `${r.videoFrames} frames; ${explain(peer)}`)
  })
}

export interface ContinuityWindow {
  /** Chunks due and played over the window, summed over the viewers. */
  due: number
  played: number
  continuity: number
  /** Per viewer `index:played/due`, with the late ones, for an assertion message. */
  per: string
  /** Chunks due per viewer, in the order given. */
  duePerViewer: number[]
}

/** Continuity of `peers` between two snapshots of their stats (same order as `peers`). */
export function continuityWindow(
  peers: readonly LivePeer[],
  from: readonly ViewerStats[],
  to: readonly ViewerStats[],
): ContinuityWindow {
  let due = 0
  let played = 0
  const per: string[] = []
  const duePerViewer: number[] = []
  peers.forEach((p, i) => {
    const d = to[i]!.chunksDue - from[i]!.chunksDue
    const pl = to[i]!.chunksPlayed - from[i]!.chunksPlayed
    const late = to[i]!.chunksLate - from[i]!.chunksLate
    due += d
    played += pl
    duePerViewer.push(d)
    per.push(`${p.index}:${pl}/${d}${late > 0 ? ` (${late} late)` : ''}`)
  })
  return { due, played, continuity: played / due, per: per.join(' '), duePerViewer }
}

/** The viewers among `peers` whose parent (in any tree) is one of `victims` now. */
export function orphansOf<P extends LivePeer>(peers: readonly P[], victims: ReadonlySet<string>): P[] {
  return peers.filter((p) => stats(p).parents.some((id) => victims.has(id)))
}
