import { z } from 'zod'
import { parseOverlayParams } from '../../core/overlay-params.ts'

export { InvalidParamsError } from '../../core/overlay-params.ts'

/** Add policies of SpreadIt §V.A: how a saturated node picks the redirect target for a newcomer. */
export const ADD_POLICIES = [
  'random',
  'round-robin',
  'smart-placement',
  'knock-downs',
  'smart-bandwidth',
] as const
export type AddPolicy = (typeof ADD_POLICIES)[number]
/** Smart-Bandwidth falls back to one of the other four when the saturated node is the stronger one. */
export type BaseAddPolicy = Exclude<AddPolicy, 'smart-bandwidth'>

/** Delete policies of SpreadIt §V.B: which target a leaving node hands out, and to whom. */
export const DELETE_POLICIES = ['grandfather-all', 'root-all', 'grandfather', 'root'] as const
export type DeletePolicy = (typeof DELETE_POLICIES)[number]

/** Hard ceiling on tree depth; it also bounds the ancestor path carried in messages. */
export const MAX_DEPTH_LIMIT = 128

const schema = z
  .object({
    addPolicy: z.enum(ADD_POLICIES).default('random'),
    /** The policy Smart-Bandwidth acts by when the saturated node's capacity is >= the newcomer's. */
    bandwidthBasePolicy: z
      .enum(['random', 'round-robin', 'smart-placement', 'knock-downs'] as const)
      .default('random'),
    /** The paper's prototype ran Random + Root. */
    deletePolicy: z.enum(DELETE_POLICIES).default('root'),
    /** Redirects a joining node follows before it reports "resource unavailable". */
    maxRedirects: z.number().int().min(1).max(1024).default(64),
    heartbeatMs: z.number().min(10).max(60_000).default(1000),
    heartbeatMissLimit: z.number().int().min(1).max(100).default(3),
    /**
     * A chunk proves its sender alive: a parent that forwarded data to its children within the
     * last heartbeatMs skips their bare heartbeat (child -> parent beats and the path refresh every
     * PATH_REFRESH_BEATS beats are always sent). Saves one message per child per second while the
     * stream flows (about a sixth of the messages at 4 chunks/s). Off by default: it changes the
     * message sequence, so results differ from runs without it. Safe with heartbeatMissLimit >= 2
     * (a child then hears data or a beat at least once per liveness window).
     */
    dataAsHeartbeat: z.boolean().default(false),
    /** Cap on children per node, on top of the limit derived from upload capacity. */
    maxChildren: z.number().int().min(1).max(1024).default(8),
    /**
     * Share of upload capacity a node budgets for children (children * streamKbps <= upload * headroom).
     * Below 1 by default: chunk headers and control traffic ride on top of the stream rate, and a
     * relay filled to exactly its capacity builds a queue that only tail drops end.
     */
    uploadHeadroom: z.number().gt(0).max(1).default(0.9),
    /** First back-off after "resource unavailable"; doubles per consecutive failure up to 8x, jittered. */
    retryBackoffMs: z.number().min(0).max(600_000).default(1000),
    /** A subscribe with no accept/redirect after this long is treated as a redirect to the source. */
    subscribeTimeoutMs: z.number().min(1).max(600_000).default(2000),
    /**
     * Fast start (our extension, not in the paper): a node that accepts a child sends it at once
     * the last `burstChunks` chunks it holds, so the child's playout buffer fills without waiting
     * for live chunks; the child then plays about burstChunks - 1 periods behind a child without
     * the burst. Children drop seqs they already have (no repeat reaches the player or the
     * subtree). 0 (the default) turns it off and keeps the paper's behaviour byte for byte; the
     * app turns it on for real streams. Memory: burstChunks chunk references per node.
     */
    burstChunks: z.number().int().min(0).max(64).default(0),
    /** A node this deep refuses children; a node pushed deeper re-joins from the source. */
    maxDepth: z.number().int().min(1).max(MAX_DEPTH_LIMIT).default(64),
  })
  .strict()

export type SpreadItParams = z.infer<typeof schema>

/** Validate and default SpreadIt parameters (from a scenario file or a stream URI). */
export function parseParams(raw: Record<string, unknown>): SpreadItParams {
  return parseOverlayParams('spreadit', schema, raw)
}

/**
 * Children a node can feed: its upload budget in stream units (§III "Managing Load"), capped by
 * the maxChildren parameter. Infinity upload (unknown/unlimited) gives the cap.
 */
export function childLimit(uploadKbps: number, streamKbps: number, params: SpreadItParams): number {
  if (!(uploadKbps >= 0) || !(streamKbps > 0)) return 0
  const byBandwidth = Math.floor((uploadKbps * params.uploadHeadroom) / streamKbps + 1e-9)
  return Math.max(0, Math.min(params.maxChildren, byBandwidth))
}
