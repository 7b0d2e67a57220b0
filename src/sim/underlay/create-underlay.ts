import type { Rng } from '../../core/rng.ts'
import { createDelaySpace, type DelaySpaceOptions } from './delay-space.ts'
import { createTransitStub } from './transit-stub.ts'
import type { TransitStubOptions } from './transit-stub-options.ts'
import type { Underlay } from './underlay.ts'

/** How a scenario file names its underlay; omitted fields take the paper defaults. */
export type UnderlaySpec =
  | ({ kind: 'transit-stub' } & Partial<TransitStubOptions>)
  | ({ kind: 'delay-space' } & Partial<DelaySpaceOptions>)

export function createUnderlay(spec: UnderlaySpec, rng: Rng): Underlay {
  switch (spec.kind) {
    case 'transit-stub': {
      const { kind: _, ...options } = spec
      return createTransitStub(options, rng)
    }
    case 'delay-space': {
      const { kind: _, ...options } = spec
      return createDelaySpace(options, rng)
    }
    default:
      throw new RangeError(
        `Unknown underlay kind ${JSON.stringify((spec as { kind: unknown }).kind)}: use 'transit-stub' or 'delay-space'`,
      )
  }
}
