import cliProgress from 'cli-progress'

/**
 * Simulated-time progress on stderr, one bar per run. cli-progress draws only on a terminal;
 * elsewhere (pipes, CI logs) each run gets a single start line instead. Progress is the only
 * place wall-clock time appears, and it never reaches a results file.
 */
export class RunProgress {
  private bar: cliProgress.SingleBar | null = null
  private lastShownS = -1

  constructor(
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  startRun(index: number, count: number, label: string, totalMs: number): void {
    if (!this.enabled) return
    const prefix = count > 1 ? `run ${index + 1}/${count} ${label}` : label
    if (!this.stream.isTTY) {
      this.stream.write(`${prefix}: simulating ${Math.ceil(totalMs / 1000)} s\n`)
      return
    }
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: '{prefix} |{bar}| {value}/{total} s simulated | {percentage}% | eta {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    )
    this.lastShownS = -1
    this.bar.start(Math.ceil(totalMs / 1000), 0, { prefix })
  }

  /** Called for many simulated events: only whole simulated seconds reach the bar. */
  update(simMs: number): void {
    if (!this.bar) return
    const s = Math.floor(simMs / 1000)
    if (s === this.lastShownS) return
    this.lastShownS = s
    this.bar.update(s)
  }

  endRun(): void {
    if (!this.bar) return
    this.bar.update(this.bar.getTotal())
    this.bar.stop()
    this.bar = null
  }
}
