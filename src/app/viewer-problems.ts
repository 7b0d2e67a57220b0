/**
 * Two mistakes a viewer cannot recover from by itself, and which otherwise look like an endless
 * "buffering": a stream id nobody holds (the URI is wrong or the broadcaster is gone), and a
 * stream id that does not match the key the chunks are signed with. Pure bookkeeping: the Viewer
 * feeds it failures and counters, and reports each problem once.
 */
export type ViewerProblemKind = 'source-not-found' | 'wrong-stream-key' | 'upload-below-need'

export interface ViewerProblem {
  readonly kind: ViewerProblemKind
  /** One line for a person, saying what failed and what to check. */
  readonly message: string
}

/**
 * Failed attempts to open a session to the source before we give up on it. SpreadIt retries the
 * source every subscribe timeout (2 s) and the host backs a failed dial off for 2 s, so this is
 * roughly 6-12 s: long enough for a slow first dial, short enough that nobody waits for nothing.
 */
export const SOURCE_FAILURES_BEFORE_GIVING_UP = 3
/**
 * i3: join walks that found no place, with no chunk yet, before we call the stream absent. A walk
 * is two query windows (0.5 s each), round trips and up to 1 s before the next (2-3 s on a busy
 * host), so about 15 s. The source answers at the top of every live i3 stream: a real stream is
 * joined on the first walk.
 */
export const EMPTY_WALKS_BEFORE_GIVING_UP = 6
/** Rejected chunks, with none accepted, before we call the key wrong (two seconds at 4 chunks/s). */
export const INVALID_CHUNKS_BEFORE_WARNING = 8

export interface ChunkCounts {
  readonly chunksVerified: number
  readonly chunksRejected: number
}

export class ViewerProblemDetector {
  private sourceFailures = 0
  private emptyWalks = 0
  private readonly reported = new Set<ViewerProblemKind>()

  constructor(
    private readonly streamId: string,
    private readonly bootstrap: readonly string[],
    /** i3: the stream's rendezvous servers (there is no source to dial). */
    private readonly rendezvous: readonly string[] = [],
  ) {}

  /** A session to the source could not be opened (no address found, dial failed or reset). */
  noteSourceFailure(): void {
    this.sourceFailures++
  }

  /** i3: join walks so far that found nobody to join (a running total). */
  noteEmptyWalks(total: number): void {
    this.emptyWalks = total
  }

  /** Problems found since the last call (each kind at most once per viewer). */
  check(counts: ChunkCounts): ViewerProblem[] {
    const found: ViewerProblem[] = []
    const noChunkYet = counts.chunksVerified === 0 && counts.chunksRejected === 0
    // Any chunk at all means we are in a tree: the source is somewhere, only maybe not dialable.
    if (noChunkYet && this.sourceFailures >= SOURCE_FAILURES_BEFORE_GIVING_UP) {
      this.report(found, 'source-not-found', () => {
        const more = this.bootstrap.length > 1 ? ` (+${this.bootstrap.length - 1} more)` : ''
        const via = this.bootstrap.length > 0 ? `${this.bootstrap[0]}${more}` : 'no bootstrap peer'
        return `cannot find the stream's source ${this.streamId} via ${via}: is the stream URI right?`
      })
    }
    if (noChunkYet && this.emptyWalks >= EMPTY_WALKS_BEFORE_GIVING_UP) {
      this.report(found, 'source-not-found', () => {
        const more = this.rendezvous.length > 1 ? ` (+${this.rendezvous.length - 1} more)` : ''
        return (
          `nobody in stream ${this.streamId} answered on its rendezvous servers ${this.rendezvous[0] ?? ''}${more} ` +
          `after ${this.emptyWalks} tries: is the stream URI right, and is the source broadcasting?`
        )
      })
    }
    if (counts.chunksVerified === 0 && counts.chunksRejected >= INVALID_CHUNKS_BEFORE_WARNING) {
      this.report(
        found,
        'wrong-stream-key',
        () =>
          `every chunk so far (${counts.chunksRejected}) failed the source's signature check: ` +
          `the stream id in the URI does not match the broadcaster's key?`,
      )
    }
    return found
  }

  private report(into: ViewerProblem[], kind: ViewerProblemKind, message: () => string): void {
    if (this.reported.has(kind)) return
    this.reported.add(kind)
    into.push({ kind, message: message() })
  }
}
