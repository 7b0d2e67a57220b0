import { z } from 'zod'

/**
 * A scenario is data: everything one simulation run needs, validated here so a bad file fails
 * with the path of the offending field ("scenario.churn[0].arrivalsPerS: expected a positive
 * number") before any simulation starts. Presets build the same objects in code.
 */

const num = (what = 'a number') => z.number({ error: `expected ${what}` })
const positive = () => num('a positive number').positive({ error: 'expected a positive number' })
const nonNegative = () =>
  num('a non-negative number').nonnegative({ error: 'expected a non-negative number' })
const count = (min = 0) =>
  z
    .number({ error: 'expected a whole number' })
    .int({ error: 'expected a whole number' })
    .min(min, { error: `expected a whole number >= ${min}` })
const probability = () =>
  num('a probability in [0, 1]')
    .min(0, { error: 'expected a probability in [0, 1]' })
    .max(1, { error: 'expected a probability in [0, 1]' })

const latencyRange = () =>
  z
    .tuple([nonNegative(), nonNegative()], { error: 'expected [minMs, maxMs]' })
    .refine(([lo, hi]) => lo <= hi, { error: 'expected [minMs, maxMs] with minMs <= maxMs' })

export const linkSchema = z.strictObject({ uploadKbps: positive(), downloadKbps: positive() })

/** One class of viewer access link; a viewer draws a class with probability share / sum of shares. */
export const linkClassSchema = linkSchema.extend({ share: positive().default(1) })

export const sessionSchema = z.discriminatedUnion(
  'dist',
  [
    z.strictObject({ dist: z.literal('exponential'), meanS: positive() }),
    z.strictObject({ dist: z.literal('pareto'), shape: positive(), scaleS: positive() }),
    z.strictObject({ dist: z.literal('fixed'), s: positive() }),
  ],
  { error: 'expected dist to be one of exponential, pareto, fixed' },
)

/** One churn phase (src/sim/churn.ts ChurnSpec without the link sampler, which comes from viewerLinks). */
export const churnPhaseSchema = z
  .strictObject({
    arrivalsPerS: positive(),
    startS: nonNegative(),
    endS: positive(),
    session: sessionSchema,
    crashFraction: probability().default(0),
    maxPeers: count(1).optional(),
  })
  .refine((c) => c.endS > c.startS, { error: 'expected endS > startS', path: ['endS'] })

export const underlaySchema = z.discriminatedUnion(
  'kind',
  [
    // Omitted options take the underlay's paper defaults (src/sim/underlay/*-options).
    z.strictObject({
      kind: z.literal('transit-stub'),
      transitDomains: count(1).optional(),
      routersPerTransitDomain: count(1).optional(),
      stubDomainsPerTransitRouter: count(1).optional(),
      routersPerStubDomain: count(1).optional(),
      intraTransitEdgeProbability: probability().optional(),
      intraStubEdgeProbability: probability().optional(),
      interTransitEdgeProbability: probability().optional(),
      intraTransitMs: latencyRange().optional(),
      transitStubMs: latencyRange().optional(),
      interTransitMs: latencyRange().optional(),
      intraStubMs: latencyRange().optional(),
      routing: z
        .enum(['hierarchical', 'dijkstra'], { error: 'expected hierarchical or dijkstra' })
        .optional(),
      maxCachedRows: count(1).optional(),
    }),
    z.strictObject({
      kind: z.literal('delay-space'),
      maxDelayFromSourceMs: positive().optional(),
      aspectRatio: positive().optional(),
    }),
    /** Every pair of hosts is latencyMs apart: tiny, for tests and quick checks. */
    z.strictObject({ kind: z.literal('constant'), latencyMs: nonNegative().default(10) }),
  ],
  { error: 'expected kind to be one of transit-stub, delay-space, constant' },
)

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).default('scenario'),
  description: z.string().optional(),
  seed: count(0).max(0xffffffff, { error: 'expected a 32-bit seed' }).default(1),
  durationS: positive(),
  overlay: z.strictObject({
    name: z.string({ error: 'expected an overlay name' }).min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  }),
  underlay: underlaySchema,
  stream: z.strictObject({
    streamId: z.string().min(1).default('sim'),
    kbps: positive(),
    chunkRateHz: positive(),
    keyframeEveryChunks: count(1).default(20),
  }),
  playout: z
    .strictObject({ startupChunks: count(1).default(2), maxBufferChunks: count(1).default(256) })
    .default({ startupChunks: 2, maxBufferChunks: 256 }),
  sourceLink: linkSchema,
  viewerLinks: z.array(linkClassSchema).min(1, { error: 'expected at least one link class' }),
  /** Viewers that join one after another (no departures): `count` joins, `intervalS` apart from startS. */
  viewers: z
    .strictObject({
      count: count(0).default(0),
      startS: nonNegative().default(0),
      intervalS: nonNegative().default(0),
    })
    .default({ count: 0, startS: 0, intervalS: 0 }),
  /** Churn phases, installed in order (e.g. a ramp of arrivals, then sustained churn). */
  churn: z
    .union([churnPhaseSchema, z.array(churnPhaseSchema)])
    .transform((c) => (Array.isArray(c) ? c : [c]))
    .default([]),
  lossRate: probability().default(0),
  /**
   * Infrastructure servers (i3 rendezvous servers), created before any viewer; every end host sits
   * on a random server's LAN (SimConfig.servers). Overlays with infrastructure (i3) need it.
   */
  servers: count(1).optional(),
  maxQueueMs: positive().default(2000),
  sampling: z.strictObject({ intervalS: positive().default(10) }).default({ intervalS: 10 }),
})

export type Scenario = z.output<typeof scenarioSchema>
export type ScenarioInput = z.input<typeof scenarioSchema>
export type ChurnPhase = z.output<typeof churnPhaseSchema>
export type LinkClass = z.output<typeof linkClassSchema>
export type UnderlaySpec = z.output<typeof underlaySchema>

/** A scenario that failed validation; `message` names each offending field by its path. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError'
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = 'scenario'
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`
  return out
}

/** The zod issues as "scenario.a.b: message", joined on one line (the CLI prints one line per error). */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ')
}

/** Validate and default a scenario; throws ScenarioError naming the offending field. */
export function parseScenario(raw: unknown): Scenario {
  const result = scenarioSchema.safeParse(raw)
  if (!result.success) throw new ScenarioError(formatIssues(result.error))
  return result.data
}
