import { stripVTControlCharacters } from 'node:util'

/**
 * Where the live status of `broadcast`, `watch` and `demo` goes. On a terminal (stderr is a TTY)
 * a status line or table is redrawn in place on stderr, so stdout keeps only what a script wants
 * (the URI, the player URL). Elsewhere (pipes, CI logs, tests) plain lines go to stdout, at most
 * once per `plainEveryMs`, so a log does not fill with one line per second.
 */
export class LiveOutput {
  private drawnLines = 0
  private lastPlainAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly plainEveryMs = 5000,
    private readonly err: NodeJS.WriteStream = process.stderr,
    private readonly out: NodeJS.WritableStream = process.stdout,
  ) {}

  get interactive(): boolean {
    return this.err.isTTY === true
  }

  /** A permanent line on stdout (clears a status drawn on the terminal first). */
  print(line: string): void {
    this.clear()
    this.out.write(`${line}\n`)
  }

  /** Replace the live status (one or more lines). `force` prints plain output even if not due. */
  show(lines: readonly string[], now: number, force = false): void {
    if (this.interactive) {
      const width = this.err.columns || 200
      this.clear()
      // Entries may hold several lines (a table): count what the terminal shows, to erase it later.
      const fitted = lines
        .flatMap((l) => l.split('\n'))
        .map((l) => (stripVTControlCharacters(l).length > width ? l.slice(0, width - 1) : l))
      this.err.write(`${fitted.join('\n')}\n`)
      this.drawnLines = fitted.length
      return
    }
    if (!force && now - this.lastPlainAt < this.plainEveryMs) return
    this.lastPlainAt = now
    this.out.write(`${lines.join('\n')}\n`)
  }

  /** Erase what show() drew on the terminal. */
  clear(): void {
    if (!this.interactive || this.drawnLines === 0) return
    this.err.write(`\x1b[${this.drawnLines}F\x1b[J`)
    this.drawnLines = 0
  }
}
