/**
 * A viewer's quality of experience, as the DESIGN defines it:
 * - startup delay: join request -> first chunk handed to the player;
 * - playout lag: play time of the current chunk - its sourceTime (the source's clock when cut);
 * - continuity index: chunks played on time / chunks due since playback started.
 * The playout buffer updates QoeCounters as it goes; QoeMeter is the read-only view callers get.
 */
export interface QoeSnapshot {
  /** Join -> first chunk handed to the player (null: playback never started). */
  startupDelayMs: number | null
  /** Play time of the current chunk - its sourceTime (null before playback starts). */
  playoutLagMs: number | null
  /** chunksPlayed / chunksDue (null while nothing is due). Always in [0, 1]. */
  continuity: number | null
  /** Seqs whose play time has come since playback started: chunksPlayed + chunksMissing. */
  chunksDue: number
  /** Due seqs handed to the player on time. */
  chunksPlayed: number
  /** Due seqs not held at their play time (holes and late arrivals alike). */
  chunksMissing: number
  /** First copies that arrived behind the playhead (skipped; they never stall the output). */
  chunksLate: number
  /** Copies of a seq already received. */
  duplicates: number
  /** Chunks dropped for being maxBufferChunks or more ahead of the playhead. */
  overflow: number
  /** Hop counts of the chunks accepted into the buffer (first copies, in time, in bounds). */
  meanHops: number | null
  maxHops: number | null
  /** Every chunk pushed, whatever became of it (the viewer's download in chunks). */
  chunksReceived: number
  /** Accepted before playback started but never due: older than the run playback started at. */
  chunksDiscarded: number
  /** Accepted and waiting for their play time. */
  chunksBuffered: number
}

/**
 * Identities that always hold:
 *   chunksDue = chunksPlayed + chunksMissing
 *   chunksReceived = chunksPlayed + chunksBuffered + chunksDiscarded + chunksLate + duplicates + overflow
 */
export class QoeCounters {
  received = 0
  played = 0
  missing = 0
  late = 0
  duplicates = 0
  overflow = 0
  discarded = 0
  buffered = 0
  hopsSum = 0
  hopsCount = 0
  hopsMax = 0
}

/** What the meter needs from the buffer to report "as of now" without moving the playhead. */
export interface PlayoutProjection {
  readonly startupDelayMs: number | null
  /**
   * Chunks that would be played / missed if the playhead moved to `now`, and the playout lag of
   * the chunk then current. Pure: nothing in the buffer changes.
   */
  project(now: number | undefined): { played: number; missing: number; lagMs: number | null }
}

export class QoeMeter {
  constructor(
    private readonly counts: QoeCounters,
    private readonly playout: PlayoutProjection,
  ) {}

  /**
   * Cheap and pure. Without `now` it reports the state as of the last push/advance; with `now`
   * it also counts the deadlines passed since, as advance(now) would, without moving anything —
   * so taking a snapshot never changes later results.
   */
  snapshot(now?: number): QoeSnapshot {
    const c = this.counts
    const ahead = this.playout.project(now)
    const played = c.played + ahead.played
    const missing = c.missing + ahead.missing
    const due = played + missing
    return {
      startupDelayMs: this.playout.startupDelayMs,
      playoutLagMs: ahead.lagMs,
      continuity: due > 0 ? played / due : null,
      chunksDue: due,
      chunksPlayed: played,
      chunksMissing: missing,
      chunksLate: c.late,
      duplicates: c.duplicates,
      overflow: c.overflow,
      meanHops: c.hopsCount > 0 ? c.hopsSum / c.hopsCount : null,
      maxHops: c.hopsCount > 0 ? c.hopsMax : null,
      chunksReceived: c.received,
      chunksDiscarded: c.discarded,
      chunksBuffered: c.buffered - ahead.played,
    }
  }
}
