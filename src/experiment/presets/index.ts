import { i3Depth } from './i3-depth.ts'
import { i3Refresh } from './i3-refresh.ts'
import { i3Reliability } from './i3-reliability.ts'
import { i3Stretch } from './i3-stretch.ts'
import { p2pcastChurn } from './p2pcast-churn.ts'
import { p2pcastFairness } from './p2pcast-fairness.ts'
import { p2pcastScale } from './p2pcast-scale.ts'
import type { Preset } from './preset.ts'
import { spreaditChain } from './spreadit-chain.ts'
import { spreaditPolicies } from './spreadit-policies.ts'

/** Every paper figure is a named preset: `peercaster simulate <name>`. */
export const presets: readonly Preset[] = [
  spreaditChain,
  spreaditPolicies,
  p2pcastScale,
  p2pcastChurn,
  p2pcastFairness,
  i3Stretch,
  i3Depth,
  i3Refresh,
  i3Reliability,
]

export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name)
}
