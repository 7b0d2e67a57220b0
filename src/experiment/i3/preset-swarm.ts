import type { Overlay } from '../../core/protocol.ts'
import type { I3Message } from '../../overlays/i3/messages.ts'
import type { I3Params } from '../../overlays/i3/params.ts'
import type { TransitStubOptions } from '../../sim/underlay/transit-stub-options.ts'
import type { I3SwarmOptions } from './swarm.ts'

/** The swarm settings every run of the i3-refresh and i3-reliability presets shares. */
export interface PresetSwarmSetup {
  servers: number
  joinsPerS: number
  /** i3 parameters (T, k, D, back-off, ...); each run adds the scheme it measures. */
  params: Record<string, unknown>
  /** Transit-stub shape (omitted: the paper's 10,000 routers). */
  underlay?: Partial<TransitStubOptions>
  /** Tests may pass a stand-in; the default is src/overlays/i3. */
  overlay?: Overlay<I3Message, I3Params>
}

/** buildI3Swarm options for one run: `scheme` overrides params (e.g. { refresh: 'level' }). */
export function presetSwarmOptions(
  setup: PresetSwarmSetup,
  run: { seed: number; receivers: number; scheme: Record<string, unknown> },
): I3SwarmOptions {
  return {
    seed: run.seed,
    receivers: run.receivers,
    servers: setup.servers,
    joinsPerS: setup.joinsPerS,
    params: { ...setup.params, ...run.scheme },
    ...(setup.underlay ? { underlay: setup.underlay } : {}),
    ...(setup.overlay ? { overlay: setup.overlay } : {}),
  }
}
