import type { Locator } from '../../core/protocol.ts'
import type { Rng } from '../../core/rng.ts'
import type { Underlay } from './underlay.ts'

export interface DelaySpaceOptions {
  /**
   * DOAT §5: "140ms maximum delay between any peer and the peercaster", i.e. from the centre to a
   * corner of the rectangle. Two peers at opposite corners are therefore twice this apart.
   */
  maxDelayFromSourceMs: number
  /** Width / height of the rectangle; the paper does not say, so a square by default. */
  aspectRatio: number
}

export const DOAT_DELAY_SPACE: Readonly<DelaySpaceOptions> = Object.freeze({
  maxDelayFromSourceMs: 140,
  aspectRatio: 1,
})

export interface DelaySpaceUnderlay extends Underlay {
  /** Half the rectangle's sides in ms: hosts lie in [-halfWidthMs, halfWidthMs] × [-halfHeightMs, halfHeightMs]. */
  readonly halfWidthMs: number
  readonly halfHeightMs: number
  readonly hostCount: number
  position(host: number): readonly [x: number, y: number]
}

/**
 * DOAT §5's synthetic delay space: coordinates are in ms, so latency is plain Euclidean distance.
 * The source sits at the centre (0, 0); viewers are uniform over the rectangle. No physical links:
 * path() is empty. A locator is the position itself, so Env.distance is exact here.
 */
export function createDelaySpace(options: Partial<DelaySpaceOptions> = {}, _rng?: Rng): DelaySpaceUnderlay {
  const o = { ...DOAT_DELAY_SPACE, ...options }
  if (!(o.maxDelayFromSourceMs > 0 && Number.isFinite(o.maxDelayFromSourceMs))) {
    throw new RangeError(
      `delay-space maxDelayFromSourceMs must be a positive number, got ${o.maxDelayFromSourceMs}`,
    )
  }
  if (!(o.aspectRatio > 0 && Number.isFinite(o.aspectRatio))) {
    throw new RangeError(`delay-space aspectRatio must be a positive number, got ${o.aspectRatio}`)
  }
  return new DelaySpace(o)
}

class DelaySpace implements DelaySpaceUnderlay {
  readonly name = 'delay-space'
  readonly halfWidthMs: number
  readonly halfHeightMs: number
  private xs: Float64Array = new Float64Array(1024)
  private ys: Float64Array = new Float64Array(1024)
  private count = 0

  constructor(o: DelaySpaceOptions) {
    // The half-diagonal is the max delay from the centre; the sides keep the aspect ratio.
    const diagonalPerHeight = Math.sqrt(o.aspectRatio * o.aspectRatio + 1)
    this.halfHeightMs = o.maxDelayFromSourceMs / diagonalPerHeight
    this.halfWidthMs = this.halfHeightMs * o.aspectRatio
  }

  get hostCount(): number {
    return this.count
  }

  addHost(rng: Rng, role: 'source' | 'viewer'): number {
    if (role === 'source') return this.push(0, 0)
    const x = (2 * rng.next() - 1) * this.halfWidthMs
    const y = (2 * rng.next() - 1) * this.halfHeightMs
    return this.push(x, y)
  }

  addHostNear(near: number): number {
    this.check(near)
    return this.push(this.xs[near]!, this.ys[near]!)
  }

  position(h: number): readonly [number, number] {
    this.check(h)
    return [this.xs[h]!, this.ys[h]!]
  }

  latency(a: number, b: number): number {
    this.check(a)
    this.check(b)
    const dx = this.xs[a]! - this.xs[b]!
    const dy = this.ys[a]! - this.ys[b]!
    // sqrt (correctly rounded) rather than Math.hypot, whose last bit may vary by platform.
    return Math.sqrt(dx * dx + dy * dy)
  }

  path(_a: number, _b: number): readonly number[] {
    return []
  }

  locator(h: number): Locator {
    return this.position(h)
  }

  /** Infinity for a malformed locator (a peer may send garbage). */
  locatorDistance(a: Locator, b: Locator): number {
    const [ax, ay] = a
    const [bx, by] = b
    if (!isFiniteNumber(ax) || !isFiniteNumber(ay) || !isFiniteNumber(bx) || !isFiniteNumber(by)) {
      return Number.POSITIVE_INFINITY
    }
    const dx = ax - bx
    const dy = ay - by
    return Math.sqrt(dx * dx + dy * dy)
  }

  private push(x: number, y: number): number {
    if (this.count === this.xs.length) {
      this.xs = grow(this.xs)
      this.ys = grow(this.ys)
    }
    this.xs[this.count] = x
    this.ys[this.count] = y
    return this.count++
  }

  private check(h: number): void {
    if (h >>> 0 !== h || h >= this.count) throw new RangeError(`Unknown host ${h} (${this.count} attached)`)
  }
}

function isFiniteNumber(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v)
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2)
  b.set(a)
  return b
}
