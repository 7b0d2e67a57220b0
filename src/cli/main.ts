import { Command, CommanderError } from 'commander'
import { registerBroadcast } from './commands/broadcast.ts'
import { registerDemo } from './commands/demo.ts'
import { registerRendezvous } from './commands/rendezvous.ts'
import { registerSimulate } from './commands/simulate.ts'
import { registerSimulateDemo } from './commands/simulate-demo.ts'
import { registerWatch } from './commands/watch.ts'
import { isUserFacingError } from './usage-error.ts'

/** Exit code for bad input (unknown preset, invalid scenario, bad flag), as with most Unix tools. */
export const EXIT_USAGE = 2
/** Exit code when a command could not do its job (port in use, input not MPEG-TS, no bootstrap). */
export const EXIT_FAILURE = 1

export function createProgram(): Command {
  const program = new Command()
    .name('peercaster')
    .description(
      'Peer-to-peer live streaming: five overlays (SpreadIt, P2PCast, i3, mesh-pull, DOAT) on one ' +
        'sans-IO runtime, driven by a deterministic simulator or a real libp2p host.',
    )
    .version('0.1.0')
    .exitOverride()
  registerBroadcast(program)
  registerWatch(program)
  registerDemo(program)
  registerRendezvous(program)
  registerSimulate(program)
  registerSimulateDemo(program)
  program.addHelpText(
    'after',
    '\nExamples:\n' +
      '  peercaster simulate spreadit-chain              SpreadIt Fig. 7 (delay vs hops), plots in results/\n' +
      '  peercaster simulate spreadit-policies --peers 1000\n' +
      '  peercaster simulate experiments/small-swarm.yaml --seed 7\n' +
      '  peercaster demo                                  the sample clip to 12 local viewers; open the printed URL in VLC\n' +
      '  peercaster broadcast --input live.ts --loop      prints a peercaster:// URI\n' +
      '  peercaster watch "peercaster://…"                plays at http://127.0.0.1:8902/live.ts\n' +
      '  peercaster rendezvous --peer <multiaddr>         an i3 rendezvous server (see rendezvous --help)\n' +
      '  peercaster simulate-demo                         a live table of a simulated swarm',
  )
  return program
}

export async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help / version text).
      const ok = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code)
      process.exitCode = ok ? 0 : EXIT_USAGE
      return
    }
    if (err instanceof Error && err.name === 'CommandFailure') {
      process.stderr.write(`peercaster: ${err.message}\n`)
      process.exitCode = EXIT_FAILURE
      return
    }
    if (isUserFacingError(err)) {
      process.stderr.write(`peercaster: ${err.message}\n`)
      process.exitCode = EXIT_USAGE
      return
    }
    throw err
  }
}
