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
/** Rejected chunks, with none accepted, before we call the key wrong (two seconds at 4 chunks/s). */
export const INVALID_CHUNKS_BEFORE_WARNING = 8

export interface ChunkCounts {
  readonly chunksVerified: number
  readonly chunksRejected: number
}

export class ViewerProblemDetector {
  private sourceFailures = 0
  private readonly reported = new Set<ViewerProblemKind>()

  constructor(
    private readonly streamId: string,
    private readonly bootstrap: readonly string[],
  ) {}

  /** A session to the source could not be opened (no address found, dial failed or reset). */
  noteSourceFailure(): void {
    this.sourceFailures++
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
