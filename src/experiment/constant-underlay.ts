import type { Locator } from '../core/protocol.ts'
import type { Underlay } from '../sim/underlay/underlay.ts'

/**
 * Every pair of distinct hosts is `latencyMs` apart and there are no physical links. Small and
 * predictable: for tests and quick scenario checks, not for results worth quoting.
 */
export class ConstantUnderlay implements Underlay {
  readonly name = 'constant'
  private hosts = 0

  constructor(private readonly latencyMs: number) {}

  addHost(): number {
    return this.hosts++
  }

  latency(a: number, b: number): number {
    return a === b ? 0 : this.latencyMs
  }

  path(): readonly number[] {
    return []
  }

  locator(h: number): Locator {
    return [h]
  }

  locatorDistance(a: Locator, b: Locator): number {
    return a[0] === b[0] ? 0 : this.latencyMs
  }
}
