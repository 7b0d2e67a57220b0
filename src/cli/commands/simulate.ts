import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import type { Command } from 'commander'
import { runExperiment } from '../../experiment/experiment.ts'
import { findPreset, presets } from '../../experiment/presets/index.ts'
import type { Preset } from '../../experiment/presets/preset.ts'
import { scenarioExperiment } from '../../experiment/scenario-experiment.ts'
import { loadScenarioFile } from '../../experiment/scenario-file.ts'
import { RunProgress } from '../progress.ts'
import { parseStripesFlag, STRIPES_HELP } from '../stripes-flag.ts'
import { parseWholeNumber, UsageError } from '../usage-error.ts'

export interface SimulateOptions {
  seed?: number
  peers?: number
  /** P2PCast's stripe count f (2..16); only presets whose `takes.stripes` is set accept it. */
  stripes?: number
  out?: string
  quiet?: boolean
  /** Where the summary goes (stdout by default; tests capture it). */
  print?: (line: string) => void
}

const DEFAULT_PRESET_SEED = 1

function looksLikeFile(target: string): boolean {
  return ['.yaml', '.yml', '.json'].includes(extname(target)) || target.includes('/') || existsSync(target)
}

/** A preset name or a scenario file, with the seed it runs under and its default output folder. */
export function resolveTarget(
  target: string,
  seedFlag?: number,
): { preset: Preset; seed: number; stem: string } {
  const preset = findPreset(target)
  if (preset) return { preset, seed: seedFlag ?? DEFAULT_PRESET_SEED, stem: preset.name }
  if (!looksLikeFile(target)) {
    const names = presets.map((p) => p.name).join(', ')
    throw new UsageError(
      `unknown preset "${target}" (presets: ${names}; or give a scenario file .yaml/.json)`,
    )
  }
  const scenario = loadScenarioFile(target)
  return {
    preset: scenarioExperiment(scenario, target),
    seed: seedFlag ?? scenario.seed,
    stem: basename(target, extname(target)),
  }
}

/** `peercaster simulate`: run, write DIR/results.json and the plots, print a summary. Returns DIR. */
export async function simulate(target: string, opts: SimulateOptions = {}): Promise<string> {
  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`))
  const { preset, seed, stem } = resolveTarget(target, opts.seed)
  if (opts.stripes !== undefined && preset.takes?.stripes !== true)
    throw new UsageError(
      `${preset.name} does not take --stripes (presets that do: ${presetsTaking('stripes')})`,
    )
  const fTag = opts.stripes === undefined ? '' : `-f${opts.stripes}`
  const outDir = opts.out ?? join('results', `${stem}${fTag}-${seed}`)
  const replay = `peercaster simulate ${target} --seed ${seed}${opts.peers === undefined ? '' : ` --peers ${opts.peers}`}${opts.stripes === undefined ? '' : ` --stripes ${opts.stripes}`}`
  print(`${preset.name}: seed ${seed} (replay: ${replay})`)

  const progress = new RunProgress(!opts.quiet)
  // One bar per run, whether the run is planned (scenario presets) or simulated inside the
  // preset's report() (the i3 presets, through PresetOptions.progress).
  const hooks = {
    onRunStart: (i: number, n: number, label: string, totalMs: number) =>
      progress.startRun(i, n, label, totalMs),
    onProgress: (simMs: number) => progress.update(simMs),
    onRunEnd: () => progress.endRun(),
  }
  const result = await runExperiment(
    preset,
    {
      seed,
      ...(opts.peers === undefined ? {} : { peers: opts.peers }),
      ...(opts.stripes === undefined ? {} : { stripes: opts.stripes }),
      progress: hooks,
    },
    hooks,
  )

  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'results.json'), result.resultsJson)
  for (const fig of result.figures) writeFileSync(join(outDir, fig.file), fig.svg)
  if (!opts.quiet) print(`\n${result.table}\n`)
  print(`wrote ${join(outDir, 'results.json')} and ${result.figures.length} plot(s) to ${outDir}/`)
  return outDir
}

function presetsTaking(option: 'stripes'): string {
  return presets
    .filter((p) => p.takes?.[option] === true)
    .map((p) => p.name)
    .join(', ')
}

export function registerSimulate(program: Command): void {
  const presetList = presets.map((p) => `  ${p.name.padEnd(20)} ${p.description}`).join('\n')
  program
    .command('simulate')
    .description('run a preset (a paper figure) or a scenario file in the deterministic simulator')
    .argument('<preset|scenario>', 'a preset name (below) or a scenario file (.yaml, .yml, .json)')
    .option('--peers <n>', 'number of viewers (per preset: chain length, or the one swarm size to run)')
    .option('--stripes <f>', `${STRIPES_HELP} (p2pcast presets only; default 2)`)
    .option('--seed <s>', "random seed (default: 1 for presets, the file's seed for scenarios)")
    .option(
      '--out <dir>',
      'output folder (default: results/<preset>-<seed>, results/<preset>-f<f>-<seed> with --stripes)',
    )
    .option('--quiet', 'no progress bar and no table, only the seed and where the results went')
    .addHelpText(
      'after',
      `\nPresets:\n${presetList}\n\nThe same seed and code give a byte-identical results.json. Example scenarios: experiments/`,
    )
    .action(
      async (
        target: string,
        raw: { peers?: string; stripes?: string; seed?: string; out?: string; quiet?: boolean },
      ) => {
        await simulate(target, {
          ...(raw.seed === undefined ? {} : { seed: parseWholeNumber('--seed', raw.seed, 0, 0xffffffff) }),
          ...(raw.peers === undefined ? {} : { peers: parseWholeNumber('--peers', raw.peers, 1, 1_000_000) }),
          ...(raw.stripes === undefined ? {} : { stripes: parseStripesFlag(raw.stripes) }),
          ...(raw.out === undefined ? {} : { out: raw.out }),
          quiet: raw.quiet === true,
        })
      },
    )
}
