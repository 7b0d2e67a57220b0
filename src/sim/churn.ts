import type { Message } from '../core/codec.ts'
import { LocalProtocolError } from '../core/errors.ts'
import type { Rng } from '../core/rng.ts'
import type { LinkSpec } from './node-stats.ts'
import type { Simulation } from './simulation.ts'

/** How long each viewer stays, in seconds. */
export type SessionLength =
  | { dist: 'exponential'; meanS: number }
  | { dist: 'pareto'; shape: number; scaleS: number }
  | { dist: 'fixed'; s: number }

export interface ChurnSpec {
  /** Poisson arrivals per second. */
  arrivalsPerS: number
  /** Arrivals happen in [startS, endS). */
  startS: number
  endS: number
  session: SessionLength
  /** Share of departures that are crashes; the rest leave gracefully. */
  crashFraction: number
  /** Capacity of each arriving viewer. */
  link: (rng: Rng) => LinkSpec
  /** Arrivals are skipped while this many viewers are live. */
  maxPeers?: number
}

/** A draw in (0, 1]: safe under log() and as a Pareto divisor. */
function openUnit(rng: Rng): number {
  return 1 - rng.next()
}

export function exponentialS(rng: Rng, meanS: number): number {
  return -Math.log(openUnit(rng)) * meanS
}

/** Session length in seconds (inverse-CDF sampling). */
export function sessionLengthS(rng: Rng, session: SessionLength): number {
  switch (session.dist) {
    case 'exponential':
      return exponentialS(rng, session.meanS)
    case 'pareto':
      return session.scaleS / openUnit(rng) ** (1 / session.shape)
    case 'fixed':
      return session.s
  }
}

function validate(spec: ChurnSpec): void {
  const bad = (what: string) => {
    throw new LocalProtocolError(`ChurnSpec.${what}`)
  }
  if (!(spec.arrivalsPerS >= 0)) bad(`arrivalsPerS must be >= 0, got ${spec.arrivalsPerS}`)
  if (!(spec.startS >= 0 && spec.endS >= spec.startS))
    bad(`needs 0 <= startS <= endS, got ${spec.startS}..${spec.endS}`)
  if (!(spec.crashFraction >= 0 && spec.crashFraction <= 1)) bad(`crashFraction must be in [0, 1]`)
  const s = spec.session
  if (s.dist === 'exponential' && !(s.meanS > 0)) bad('session.meanS must be > 0')
  if (s.dist === 'pareto' && !(s.shape > 0 && s.scaleS > 0)) bad('session shape and scaleS must be > 0')
  if (s.dist === 'fixed' && !(s.s >= 0)) bad('session.s must be >= 0')
}

/**
 * Schedules viewer arrivals (a Poisson process in [startS, endS)) and, for each, its departure
 * after a drawn session length: a crash with probability crashFraction, else a graceful leave.
 * Arrivals are chained (each schedules the next), so pending events stay O(live viewers).
 * All draws come from `rng`, in event order: same seed, same churn.
 */
export function installChurn<M extends Message, P>(sim: Simulation<M, P>, spec: ChurnSpec, rng: Rng): void {
  validate(spec)
  if (spec.arrivalsPerS === 0) return
  const endMs = spec.endS * 1000
  const scheduleNext = (fromMs: number) => {
    const at = fromMs + exponentialS(rng, 1 / spec.arrivalsPerS) * 1000
    if (at < endMs) sim.at(at, arrive)
  }
  const arrive = () => {
    scheduleNext(sim.now)
    if (spec.maxPeers !== undefined && sim.liveViewerCount >= spec.maxPeers) return
    const id = sim.addViewer(spec.link(rng))
    const stayMs = sessionLengthS(rng, spec.session) * 1000
    const crash = rng.next() < spec.crashFraction
    sim.at(sim.now + stayMs, () => {
      if (!sim.isAlive(id)) return // removed by someone else meanwhile
      if (crash) sim.crash(id)
      else sim.leave(id)
    })
  }
  scheduleNext(spec.startS * 1000)
}
