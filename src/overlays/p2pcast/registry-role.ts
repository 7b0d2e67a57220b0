import type { NodeId } from '../../core/ids.ts'
import type { Env, NodeContext, TimerId } from '../../core/protocol.ts'
import { type P2PCastMessage, p2pcastCodec } from './messages.ts'
import type { P2PCastParams } from './params.ts'
import { type Registry, type RegistryResult, SPECIAL } from './registry.ts'
import { RegistryOutbox } from './registry-outbox.ts'

export const TIMER_DRAIN = 3
export const TIMER_PROBE = 4

export const REGISTRY_METRIC = {
  joinMessages: 'joinMessages',
  deleteMessages: 'deleteMessages',
  repairFallbacks: 'repairFallbacks',
  /** A DELETE whose suspect answered the registry's probe: nobody was removed. */
  falseSuspicions: 'falseSuspicions',
  /** A JOIN not admitted because the outbox was full (the joiner asks again). */
  joinsDeferred: 'joinsDeferred',
} as const

/** How often a non-empty outbox is drained (the pacing granularity). */
const DRAIN_EVERY_MS = 20
/** The root feeds' share of the source uplink is kept with this margin (headers, parity headers). */
const DATA_MARGIN = 1.25

export interface RegistryHooks {
  /** The special node's parents changed (the source re-reads them). */
  specialMoved(now: number): void
  /** Tree t's root changed from `old` (still a member): the source keeps feeding it for a grace window. */
  rootReplaced(now: number, old: NodeId, t: number): void
  rootTaken(root: NodeId, t: number): void
}

/**
 * The source's registry role in registry mode: runs JOIN and DELETE on the Registry and sends the
 * UPDATEs through a paced, coalescing outbox (registry-outbox.ts). A DELETE naming someone else
 * is verified first: the registry sends the suspect `probe` and removes it only if no `alive` comes
 * back within deleteProbeMs. A refuted suspicion re-sends both sides their places, which also
 * repairs the stale view (a lost or late UPDATE) that usually causes it.
 */
export class RegistryRole {
  private readonly outbox: RegistryOutbox
  private drainTimer: TimerId | null = null
  /** Suspects being probed: who reported them (bounded by f per suspect) and the probe's timer. */
  private readonly suspects = new Map<NodeId, { reporters: NodeId[]; timer: TimerId }>()
  /** When each member's latest UPDATE left (one entry per member). */
  private readonly sentAt = new Map<NodeId, number>()
  /** A view older than this has been heard by everyone concerned: a report against it is trusted. */
  private readonly settledMs: number

  constructor(
    private readonly env: Env<P2PCastMessage>,
    ctx: NodeContext,
    private readonly params: P2PCastParams,
    readonly registry: Registry,
    private readonly hooks: RegistryHooks,
  ) {
    const f = params.stripes
    const spareKbps = ctx.uploadKbps - DATA_MARGIN * (f / (f - 1)) * ctx.streamKbps
    const kbps =
      params.registryControlKbps > 0
        ? params.registryControlKbps
        : Number.isFinite(ctx.uploadKbps)
          ? Math.max(0.1 * ctx.uploadKbps, spareKbps)
          : Number.POSITIVE_INFINITY
    this.settledMs = params.heartbeatMs * (params.heartbeatMissLimit + 1)
    this.outbox = new RegistryOutbox((kbps * 1000) / 8, 100, params.registryMaxQueuedUpdates)
  }

  get queuedUpdates(): number {
    return this.outbox.size
  }

  get suspectCount(): number {
    return this.suspects.size
  }

  /**
   * A suspect answered the probe: alive. Both sides get their places again. An answer after the
   * probe timed out (the node was removed meanwhile) joins it again at once, as its own JOIN would
   * after the `member = false` reaches it.
   */
  onAlive(now: number, from: NodeId): void {
    const probe = this.suspects.get(from)
    if (!probe) {
      if (!this.registry.has(from)) this.onJoin(now, from)
      return
    }
    this.suspects.delete(from)
    this.env.cancelTimer(probe.timer)
    this.env.metric(REGISTRY_METRIC.falseSuspicions, 1)
    this.outbox.add(from, true)
    for (const r of probe.reporters) if (r !== this.env.self) this.outbox.add(r, true)
    this.drain(now)
  }

  onJoin(now: number, from: NodeId): void {
    if (!this.registry.has(from) && !this.outbox.admitsJoins) {
      this.env.metric(REGISTRY_METRIC.joinsDeferred, 1)
      return
    }
    this.run(now, (r) => r.join(from), REGISTRY_METRIC.joinMessages, false)
  }

  /** DELETE from `reporter` (a child of `node`, the source for the special node's parents, or `node` leaving). */
  onDelete(now: number, reporter: NodeId, node: NodeId): void {
    if (
      reporter === node ||
      !this.registry.acceptsReport(reporter, node) ||
      this.params.deleteProbeMs === 0 ||
      (this.settled(now, node) && this.settled(now, reporter))
    ) {
      this.run(now, (r) => r.delete(reporter, node), REGISTRY_METRIC.deleteMessages, true)
      return
    }
    const probe = this.suspects.get(node)
    if (probe) {
      if (!probe.reporters.includes(reporter) && probe.reporters.length < this.params.stripes)
        probe.reporters.push(reporter)
      return
    }
    this.env.send(node, { type: 'probe' })
    const timer = this.env.setTimer(this.params.deleteProbeMs, TIMER_PROBE, node)
    this.suspects.set(node, { reporters: [reporter], timer })
  }

  /**
   * Whether `id` has surely heard its current place: its last UPDATE left long enough ago and none
   * is waiting. A report between two settled nodes is trusted at once (a crash is repaired without
   * the probe's delay); one that may come from a stale view (a flood of joins) is verified.
   */
  private settled(now: number, id: NodeId): boolean {
    if (id === this.env.self) return true
    const at = this.sentAt.get(id)
    return !this.outbox.has(id) && (at === undefined || now - at > this.settledMs)
  }

  /** Handles the registry's timers; false for timers that are not its own. */
  onTimer(now: number, kind: number, arg: NodeId | undefined): boolean {
    if (kind === TIMER_DRAIN) {
      this.drainTimer = null
      this.drain(now)
      return true
    }
    if (kind === TIMER_PROBE && arg !== undefined) {
      if (!this.suspects.delete(arg)) return true
      // No answer: dead. The source vouches for the report it verified (the reporter may have moved).
      this.run(now, (r) => r.delete(this.env.self, arg), REGISTRY_METRIC.deleteMessages, true)
      return true
    }
    return false
  }

  private run(
    now: number,
    op: (registry: Registry) => RegistryResult,
    metric: string,
    repair: boolean,
  ): void {
    const registry = this.registry
    const f = this.params.stripes
    const roots = Array.from({ length: f }, (_, t) => registry.forest.rootOf(t))
    const result = op(registry)
    for (const { to } of result.updates) this.outbox.add(to, repair)
    if (result.cost) {
      this.env.metric(metric, result.cost.rpcs + result.cost.walkHops + result.updates.length)
      if (result.cost.fallbacks > 0) this.env.metric(REGISTRY_METRIC.repairFallbacks, result.cost.fallbacks)
    }
    if (result.specialMoved) this.hooks.specialMoved(now)
    for (let t = 0; t < f; t++) {
      const old = roots[t]!
      const root = registry.forest.rootOf(t)
      if (old !== root && old !== SPECIAL && registry.has(old)) this.hooks.rootReplaced(now, old, t)
      this.hooks.rootTaken(root, t)
    }
    this.drain(now)
  }

  private drain(now: number): void {
    const left = this.outbox.drain(now, (id) => {
      const msg = this.registry.currentUpdate(id)
      this.env.send(id, msg)
      if (msg.member) this.sentAt.set(id, now)
      else this.sentAt.delete(id)
      return p2pcastCodec.sizeOf(msg)
    })
    if (left && this.drainTimer === null) this.drainTimer = this.env.setTimer(DRAIN_EVERY_MS, TIMER_DRAIN)
  }
}
