import { z } from 'zod'
import { parseOverlayParams } from '../../core/overlay-params.ts'

export { InvalidParamsError } from '../../core/overlay-params.ts'

import { MAX_STRIPES, MIN_STRIPES } from '../../stream/stripes.ts'

const schema = z
  .object({
    /**
     * f: stripes (f-1 data + 1 XOR parity) and the arity of every tree, 2..16. f = 2 runs exactly
     * as the paper details it; f > 2 is our generalization, with a bootstrap shape while the forest
     * has fewer than f peers (docs/architecture/p2pcast.md, bootstrap.ts).
     */
    stripes: z.number().int().min(MIN_STRIPES).max(MAX_STRIPES).default(2),
    /**
     * 'registry': the registry kept by the source holds the forest and runs every operation.
     * 'peer': no node holds the forest; joiners and children of dead nodes run the operations as
     * transactions over the peers they touch (see peer-node.ts).
     */
    mode: z.enum(['registry', 'peer']).default('registry'),
    /**
     * Peer mode: how a joiner finds "a random node already in the system" (§1.2). 'registry': ask
     * the registry (§7). 'walk': no registry; a random walk of `walkTtl` steps over parent/child
     * links from a known peer (the source, or a bootstrap peer on the net host) picks the contact.
     */
    join: z.enum(['registry', 'walk']).default('registry'),
    walkTtl: z.number().int().min(1).max(64).default(12),
    /** Peer mode: a node held for an operation lets the hold go after this long (coordinator dead). */
    holdLeaseMs: z.number().min(100).max(600_000).default(6000),
    /**
     * A node beats to its children this often (registry mode: only to a tree's children it sent no
     * chunk during the last beat); a parent silent for heartbeatMs * missLimit is dead. 500 ms: a
     * crash is repaired in ~2 s, which keeps two overlapping crashes (the only way a viewer loses
     * both stripes with f = 2) rare; 1000 ms left 12 of 1,039 viewers lossy at 2 %/min crashes.
     */
    heartbeatMs: z.number().min(10).max(60_000).default(500),
    heartbeatMissLimit: z.number().int().min(1).max(100).default(3),
    /**
     * Registry mode: a parent silent this long (no chunk, no beat) is reported with DELETE; 0 =
     * heartbeatMs x heartbeatMissLimit as in peer mode. Shorter than peer mode's 1.5 s because the
     * registry verifies a report against a view still settling (probe) and a repair here is one
     * registry operation, not a transaction: 1,000 ms (the check runs each beat, so 1.0-1.5 s)
     * takes ~0.5 s off every repair, and overlapping repairs are what cut both stripes
     * (p2pcast-churn 5 %/min, seeds 1-4: see docs/architecture/p2pcast.md).
     */
    reportSilenceMs: z.number().min(0).max(600_000).default(1000),
    /** JOIN is sent again when no UPDATE came back within this time. */
    joinTimeoutMs: z.number().min(1).max(600_000).default(2000),
    /**
     * false: the source sends no parity chunks (the parity tree still stands and carries
     * heartbeats). For experiments that measure what parity buys under churn (p2pcast-churn).
     */
    parity: z.boolean().default(true),
    /** Parity groups a viewer's decoder holds (older ones are forgotten). */
    decoderGroups: z.number().int().min(1).max(4096).default(64),
    /**
     * Registry mode, make-before-break: after an UPDATE moves an edge, the old parent keeps feeding
     * the child for this long and the child keeps accepting it (relaying each chunk once). Covers
     * the spread in UPDATE arrival (source queue + latency) and the chunks in flight; it costs at
     * most one extra stripe on the old parent's uplink for that long. 0 = break-before-make.
     */
    handoverGraceMs: z.number().min(0).max(10_000).default(1000),
    /**
     * Registry mode, backfill: a node missing seqs that every stripe has gone past or is cut (two
     * overlapping repairs cut every stripe, at or above it) asks a parent for them (`backfill`),
     * among its last backfillChunks seqs; the parent resends those among the data chunks it
     * delivered over the last backfillMs (at most backfillChunks of them) and the rest when they
     * reach it. 32 chunks / 8 s: the lost seqs were cut up to a tree's depth of latency (~3 s at
     * 1,000 peers) before the crash and asked ~2 s after it; 10 / 2 s left 36 of 1,011 viewers
     * lossy (p2pcast-churn seed 2, 2 %/min). 0 chunks = off.
     */
    backfillChunks: z.number().int().min(0).max(256).default(32),
    backfillMs: z.number().min(0).max(60_000).default(8000),
    /**
     * Registry mode: make-before-break copies and backfills are paid from a credit earned as this
     * share of the copies a node relays (capped at 2 x backfillChunks + 2f), so over any long
     * window a node uploads at most (1 + share) x what it downloads (the 1.00 +- 0.05).
     */
    extraUploadShare: z.number().min(0).max(1).default(0.05),
    /**
     * Registry mode: the registry's UPDATEs are paced to this (kbit/s); 0 = the source's upload
     * minus 1.25x its root feeds (f/(f-1) x the stream), at least 10% of the upload; unpaced when
     * the source declares no upload limit. Coalesced per node, repairs first (registry-outbox.ts).
     */
    registryControlKbps: z.number().min(0).max(10_000_000).default(0),
    /** Registry mode: new JOINs wait (the joiner retries) while more UPDATEs than this are queued. */
    registryMaxQueuedUpdates: z.number().int().min(1).max(1_000_000).default(500),
    /**
     * Registry mode: a DELETE naming another node is verified: the registry probes the suspect and
     * removes it only when no answer comes within this time. 0 = remove at once (no verification).
     */
    deleteProbeMs: z.number().min(0).max(60_000).default(400),
  })
  .strict()
  .refine((p) => p.join === 'registry' || p.mode === 'peer', {
    message: "join 'walk' needs mode 'peer' (in mode 'registry' the registry holds the forest)",
    path: ['join'],
  })
  .refine((p) => p.mode === 'registry' || p.stripes === 2, {
    message:
      "mode 'peer' runs only f = 2: with f > 2 a small forest is rebuilt whole, which needs the whole forest (use mode 'registry', or stripes 2)",
    path: ['mode'],
  })

export type P2PCastParams = z.infer<typeof schema>

export function parseParams(raw: Record<string, unknown>): P2PCastParams {
  return parseOverlayParams('p2pcast', schema, raw)
}

/** Upload one child edge costs its parent: one stripe, i.e. the stream rate / (f-1). */
export function stripeKbps(streamKbps: number, f: number): number {
  return streamKbps / (f - 1)
}
