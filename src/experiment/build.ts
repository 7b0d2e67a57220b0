import type { Rng } from '../core/rng.ts'
import type { LinkSpec } from '../sim/simulation.ts'
import { createDelaySpace } from '../sim/underlay/delay-space.ts'
import { createTransitStub } from '../sim/underlay/transit-stub.ts'
import type { Underlay } from '../sim/underlay/underlay.ts'
import { ConstantUnderlay } from './constant-underlay.ts'
import type { LinkClass, UnderlaySpec } from './scenario.ts'
import { ScenarioError } from './scenario.ts'

/** The scenario's underlay; the factories own their option defaults and range checks. */
export function createUnderlay(spec: UnderlaySpec, rng: Rng): Underlay {
  try {
    switch (spec.kind) {
      case 'constant':
        return new ConstantUnderlay(spec.latencyMs)
      case 'transit-stub': {
        const { kind: _, ...options } = spec
        return createTransitStub(options, rng)
      }
      case 'delay-space': {
        const { kind: _, ...options } = spec
        return createDelaySpace(options, rng)
      }
    }
  } catch (err) {
    throw new ScenarioError(`scenario.underlay: ${(err as Error).message}`)
  }
}

/** Draws a viewer's access link from the scenario's mixture of link classes (weights = shares). */
export function linkSampler(classes: readonly LinkClass[]): (rng: Rng) => LinkSpec {
  const total = classes.reduce((sum, c) => sum + c.share, 0)
  return (rng) => {
    let pick = rng.next() * total
    for (const c of classes) {
      pick -= c.share
      if (pick < 0) return { uploadKbps: c.uploadKbps, downloadKbps: c.downloadKbps }
    }
    const last = classes[classes.length - 1]!
    return { uploadKbps: last.uploadKbps, downloadKbps: last.downloadKbps }
  }
}
