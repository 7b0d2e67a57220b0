// Runs the real CLI (bin/peercaster.mjs) as a child process, the way a user does, with bounded
// waits on its output and exit. Each run gets its own PEERCASTER_HOME so no test touches ~.
import { type ChildProcess, spawn } from 'node:child_process'
import { stopChild } from './ffmpeg-live.ts'

export interface CliExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export class CliRun {
  stdout = ''
  stderr = ''
  readonly exited: Promise<CliExit>

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()))
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  }

  /** Resolves with the first match of `re` on stdout; rejects when the process exits first or after `timeoutMs`. */
  async waitForStdout(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const m = this.stdout.match(re)
      if (m) return m
      if (this.child.exitCode !== null)
        throw new Error(`CLI exited (${this.child.exitCode}) before ${re}: ${this.stderr}`)
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${re} on stdout`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** The exit, or a kill after `timeoutMs` (then the promise rejects: the command hung). */
  async exit(timeoutMs: number): Promise<CliExit> {
    let timer: NodeJS.Timeout | undefined
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void stopChild(this.child)
        reject(new Error(`CLI did not exit within ${timeoutMs} ms; stderr: ${this.stderr}`))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.exited, hung])
    } finally {
      clearTimeout(timer)
    }
  }

  stop(): Promise<void> {
    return stopChild(this.child)
  }
}

export function runCli(args: readonly string[], home: string): CliRun {
  const child = spawn(process.execPath, ['bin/peercaster.mjs', ...args], {
    env: { ...process.env, PEERCASTER_HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return new CliRun(child)
}
