/**
 * Names the end host records through Env.metric (the simulator aggregates them by name:
 * Simulation.protocolMetrics()). Counters record the value 1 per event.
 */
export const I3_METRIC = {
  /** Per receiver, once: ms from start (or a re-join) to the accepted join insert. */
  joinMs: 'i3.joinMs',
  /** Per receiver, at each join: its level (1 = joined at the group root idg). */
  joinLevel: 'i3.joinLevel',
  /** A join walk that found no place, or whose join insert failed ('full' race): walked again. */
  joinRetries: 'i3.joinRetries',
  /** A receiver moved up to its grandparent's id after probing the parent level (§3.2.2). */
  movesUp: 'i3.movesUp',
  /** Query-distance messages answered (Table 2 counts them per level: see I3HostNode.stats). */
  queriesAnswered: 'i3.queriesAnswered',
  /** Path-trigger refreshes sent (inserts with refresh = true). */
  refreshesSent: 'i3.refreshesSent',
  /** Sequence gaps detected: one per missing chunk (a "drop" in Table 1). */
  lossesDetected: 'i3.lossesDetected',
  /** Repair requests a receiver sent for its own losses (first tries and re-sends after timeout). */
  repairRequestsSent: 'i3.repairRequestsSent',
  /** Repair requests a member forwarded to its parent's recovery group (§5 escalation). */
  repairEscalations: 'i3.repairEscalations',
  /** Repair requests received by a recovery-group member (Table 1's "repairs per seq" counts these). */
  repairRequestsReceived: 'i3.repairRequestsReceived',
  /** Chunks sent as repairs (to a requester's private id or to a subtree id). */
  repairsSent: 'i3.repairsSent',
  /** ms from detecting a loss to the missing chunk's arrival (Fig. 13(b)). */
  recoveryMs: 'i3.recoveryMs',
  /** A loss given up after every repair attempt. */
  repairsAbandoned: 'i3.repairsAbandoned',
  /** Chunks received for a seq already held (Fig. 13(a): duplicates per loss). */
  duplicates: 'i3.duplicates',
} as const
