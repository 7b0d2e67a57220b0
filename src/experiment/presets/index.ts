import type { Preset } from './preset.ts'
import { spreaditChain } from './spreadit-chain.ts'
import { spreaditPolicies } from './spreadit-policies.ts'

/** Every paper figure is a named preset: `peercaster simulate <name>`. */
export const presets: readonly Preset[] = [spreaditChain, spreaditPolicies]

export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name)
}
