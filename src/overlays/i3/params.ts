import { z } from 'zod'
import { parseOverlayParams } from '../../core/overlay-params.ts'

export { InvalidParamsError } from '../../core/overlay-params.ts'

/**
 * i3 parameters, for servers and end hosts alike (one deployment shares them). Defaults are the
 * paper's: D = 8 (§6), T = 30 s (§4), k = 3 (§4), back-off 0-300 ms and timeout 800 ms (§6.3).
 */
const schema = z
  .object({
    /**
     * Most triggers a server keeps with one id (§2.1's limit). A receiver's own trigger (idR -> R)
     * shares its tree id with its children's, so a receiver has at most maxTriggersPerId - 1
     * children: the paper's tree degree D, with "joinable iff fewer than D + 1 triggers at idR"
     * (§3.2). Default 9: D = 8 as in §6. (The source has no own trigger at idg: D + 1 children.)
     */
    maxTriggersPerId: z.number().int().min(2).max(1024).default(9),
    /** T: a trigger not refreshed within this time expires (soft state, §4). */
    triggerLifetimeMs: z.number().min(100).max(3_600_000).default(30_000),
    /** Refresh scheme (§4, §6.2): every trigger each period; [T/2, T); or by level with REFRESH_ACK suppression. */
    refresh: z.enum(['naive', 'unif', 'level']).default('level'),
    /** k: refresh intervals are divided by this to survive lost refreshes (§4). */
    refreshLossFactor: z.number().min(1).max(10).default(3),
    /** Loss recovery (§5): off, rel-loss (lowest loss rate answers), rel-random (hash of seq). */
    recovery: z.enum(['off', 'loss', 'random']).default('random'),
    /** A receiver waits U[0, backoff) after detecting a loss before asking (§5, §6.3). */
    repairBackoffMs: z.number().min(0).max(60_000).default(300),
    /** A repair request is sent again (and escalated) if no repair came within this time (§6.3). */
    repairTimeoutMs: z.number().min(1).max(60_000).default(800),
    /** How long a joiner collects query-distance replies from one jset/fset before deciding. */
    queryWindowMs: z.number().min(1).max(60_000).default(500),
    /** Each receiver probes its parent level this often for a better place (§3.2.2); 0 = never. */
    probeIntervalMs: z.number().min(0).max(3_600_000).default(60_000),
    /** Joinable/full re-checked with the dummy trigger this often (§3.2.2). */
    joinableCheckMs: z.number().min(10).max(3_600_000).default(5_000),
    /** Bound on levels a join walks down (a search never runs forever). */
    maxJoinLevels: z.number().int().min(1).max(256).default(64),
    /** Server limits: triggers one client may hold, triggers one server holds. */
    maxTriggersPerClient: z.number().int().min(1).max(1_000_000).default(64),
    maxTriggersPerServer: z.number().int().min(1).max(100_000_000).default(1_000_000),
    /** Chunks a receiver keeps to answer repair requests. */
    repairBufferChunks: z.number().int().min(1).max(100_000).default(256),
  })
  .strict()

export type I3Params = z.infer<typeof schema>

export function parseParams(raw: Record<string, unknown>): I3Params {
  return parseOverlayParams('i3', schema, raw)
}
