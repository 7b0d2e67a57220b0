import { LocalProtocolError } from '../../../core/errors.ts'
import type { NodeId } from '../../../core/ids.ts'
import type { Env, NodeContext, Protocol, TopologyView } from '../../../core/protocol.ts'
import type { Chunk } from '../../../stream/chunk.ts'
import { type I3Id, ringKey } from '../ids.ts'
import {
  type I3Message,
  type I3Routed,
  type Insert,
  type Remove,
  readdressed,
  withRouting,
} from '../messages.ts'
import type { I3Params } from '../params.ts'
import { type ChordFingers, ChordRing } from './chord-ring.ts'
import { LoopGuard, type MatchedPacket } from './loop-guard.ts'
import { RouteCache } from './route-cache.ts'
import { type StoredTrigger, TriggerTable } from './trigger-table.ts'

const SWEEP_TIMER = 1
/** FIFO entries one periodic sweep may visit (bounded work per timer). */
const SWEEP_BUDGET = 65_536
/** FIFO entries an insert may sweep on the way (amortized expiry under load). */
const INSERT_SWEEP_BUDGET = 8

/** Host-side choices that are not protocol parameters (every server of a deployment may differ). */
export interface I3ServerOptions {
  /**
   * 'chord' (default): an id this server does not own goes to a cached owner or along Chord's
   * fingers, as in i3, and caching makes later packets direct. 'direct': straight to the owner
   * (every server knows the static ring): same delivery, no Chord walks, for large simulations
   * whose question is not the first packet's detour.
   */
  readonly routing?: 'chord' | 'direct'
  /** Ring positions whose owner the server remembers from cache hints (default 4096). */
  readonly routeCacheEntries?: number
}

/** Why a server dropped a packet. */
export interface I3DropCounts {
  /** No trigger with the packet's prefix (or all expired). */
  noMatch: number
  /** The ttl ran out: a chain or Chord walk too long, e.g. a loop across servers. */
  ttl: number
  /** An end host claimed another node as the packet's origin. */
  spoofed: number
  /** The same packet came round a chain id again (a loop across servers, or a redundant copy). */
  loop: number
}

/** What a server did, for the presets and operators. */
export interface I3ServerCounters {
  /** Chord hops: packets handed to another server for an id this server does not own. */
  forwarded: number
  /** Copies sent to end hosts by host triggers. */
  delivered: number
  /** Copies re-addressed by id triggers (trigger chains). */
  chained: number
  /** Most triggers one packet matched (replication fan-out). */
  maxReplication: number
  cacheHints: number
  readonly dropped: I3DropCounts
  /** Insert outcomes other than 'ok' (probes answered 'full' included). */
  refusedInserts: number
}

/** Refresh counts of the live triggers since resetRefreshStats (Fig. 12). */
export interface RefreshStats {
  readonly triggers: number
  /** Refreshes summed over those triggers. */
  readonly total: number
  readonly max: number
  readonly sinceMs: number
}

/**
 * An i3 rendezvous server (§2): stores triggers, matches packets against them and forwards
 * copies, routing ids it does not own along the static Chord ring. It holds no multicast state
 * of its own: end hosts build trees out of its primitives (replication, chains, anycast).
 */
export class I3ServerNode implements Protocol<I3Message> {
  readonly table: TriggerTable
  readonly counters: I3ServerCounters = {
    forwarded: 0,
    delivered: 0,
    chained: 0,
    maxReplication: 0,
    cacheHints: 0,
    dropped: { noMatch: 0, ttl: 0, spoofed: 0, loop: 0 },
    refusedInserts: 0,
  }
  private readonly ring: ChordRing
  private readonly fingers: ChordFingers
  private readonly routes: RouteCache
  private readonly loops = new LoopGuard()
  private readonly direct: boolean
  private readonly self: NodeId
  private readonly sweepEveryMs: number
  private refreshStatsSince = 0

  constructor(
    private readonly env: Env<I3Message>,
    ctx: NodeContext,
    params: I3Params,
    options: I3ServerOptions = {},
  ) {
    if (ctx.role !== 'server')
      throw new LocalProtocolError(`I3ServerNode needs role 'server', got '${ctx.role}'`)
    if (!ctx.servers?.includes(env.self)) {
      throw new LocalProtocolError(
        'an i3 server needs NodeContext.servers listing every server, itself included',
      )
    }
    this.self = env.self
    this.ring = ChordRing.of(ctx.servers)
    this.fingers = this.ring.fingersOf(this.self)
    this.routes = new RouteCache(options.routeCacheEntries ?? 4096)
    this.direct = options.routing === 'direct'
    this.table = new TriggerTable({
      maxPerId: params.maxTriggersPerId,
      maxPerClient: params.maxTriggersPerClient,
      maxPerServer: params.maxTriggersPerServer,
      lifetimeMs: params.triggerLifetimeMs,
    })
    this.sweepEveryMs = Math.max(1, params.triggerLifetimeMs / 4)
  }

  start(now: number): void {
    this.refreshStatsSince = now
    this.env.setTimer(this.sweepEveryMs, SWEEP_TIMER)
  }

  onMessage(now: number, from: NodeId, msg: I3Message): void {
    switch (msg.type) {
      case 'cache':
        // Only servers may teach a server routes, and only to servers.
        if (this.ring.has(from) && this.ring.has(msg.server)) this.routes.remember(msg.id, msg.server)
        return
      case 'inserted':
        return
      default:
        if (msg.origin !== from && !this.ring.has(from)) {
          this.counters.dropped.spoofed++
          return
        }
        this.receive(now, from, msg)
    }
  }

  onTimer(now: number, kind: number): void {
    if (kind !== SWEEP_TIMER) return
    this.table.expireDue(now, SWEEP_BUDGET)
    this.env.setTimer(this.sweepEveryMs, SWEEP_TIMER)
  }

  publish(_now: number, _chunk: Chunk): void {
    throw new LocalProtocolError('an i3 server carries no stream of its own: publish on the source')
  }

  /** Servers are static infrastructure: leaving needs no goodbyes (triggers die with the process). */
  leave(_now: number): void {}

  topology(): TopologyView {
    return { parents: [], children: [], connected: true, maxChildren: 0 }
  }

  /** Live triggers stored here (expires everything due first, so the count is exact). */
  triggerCount(now: number): number {
    this.table.expireDue(now, Number.POSITIVE_INFINITY)
    return this.table.size
  }

  /** The server that owns `id` on this deployment's ring. */
  ownerOf(id: I3Id): NodeId {
    return this.ring.successor(ringKey(id))
  }

  resetRefreshStats(now: number): void {
    for (const trigger of this.table.triggers()) trigger.refreshes = 0
    this.refreshStatsSince = now
  }

  refreshStats(now: number): RefreshStats {
    let triggers = 0
    let total = 0
    let max = 0
    for (const trigger of this.table.triggers()) {
      if (trigger.expiresAt <= now) continue
      triggers++
      total += trigger.refreshes
      max = Math.max(max, trigger.refreshes)
    }
    return { triggers, total, max, sinceMs: now - this.refreshStatsSince }
  }

  private receive(now: number, from: NodeId, msg: I3Routed): void {
    const key = ringKey(msg.id)
    if (this.ring.successor(key) !== this.self) {
      if (msg.ttl <= 0) this.counters.dropped.ttl++
      else this.sendToward(readdressed(msg, msg.id, msg.origin), key)
      return
    }
    if (from !== msg.origin && msg.origin !== this.self) {
      // It came the long way round Chord: tell the origin where this id lives.
      this.env.send(msg.origin, { type: 'cache', id: msg.id, server: this.self })
      this.counters.cacheHints++
    }
    if (msg.type === 'insert') this.onInsert(now, msg)
    else if (msg.type === 'remove') this.onRemove(now, msg)
    else this.match(now, msg)
  }

  /** Next hop for an id this server does not own: a cached owner, else Chord's greedy finger. */
  private sendToward(msg: I3Routed, key: number): void {
    const next = this.direct
      ? this.ring.successor(key)
      : (this.routes.lookupKey(key) ?? this.fingers.nextHop(key))
    this.counters.forwarded++
    this.env.send(next, msg)
  }

  private onInsert(now: number, msg: Insert): void {
    this.table.expireDue(now, INSERT_SWEEP_BUDGET)
    // A host may point triggers only at itself (i3's guard against reflecting floods at others).
    const foreignHost = !msg.probe && msg.target.kind === 'host' && msg.target.node !== msg.origin
    const outcome = foreignHost
      ? { result: 'rejected' as const, count: this.table.countAt(now, msg.id) }
      : this.table.insert(now, msg.id, msg.target, msg.origin, msg)
    if (outcome.result !== 'ok') this.counters.refusedInserts++
    this.env.send(msg.origin, {
      type: 'inserted',
      id: msg.id,
      nonce: msg.nonce,
      result: outcome.result,
      count: outcome.count,
      server: this.self,
    })
  }

  /** Only the inserting node or the host a trigger points at may remove it. */
  private onRemove(now: number, msg: Remove): void {
    const trigger = this.table.find(now, msg.id, msg.target)
    if (!trigger) return
    const target = trigger.target
    if (trigger.client === msg.origin || (target.kind === 'host' && target.node === msg.origin)) {
      this.table.delete(trigger)
    }
  }

  /** Deliver a packet this server owns to every trigger of its best-matching id. */
  private match(now: number, msg: MatchedPacket): void {
    const triggers = this.table.match(now, msg.id)
    if (triggers.length === 0) {
      this.counters.dropped.noMatch++
      return
    }
    if (triggers.length > this.counters.maxReplication) this.counters.maxReplication = triggers.length
    if (triggers.some(isChain) && this.loops.repeated(now, triggers[0]!.id, msg)) {
      this.counters.dropped.loop++
      return
    }
    // Within one handler `now` is fixed, so the live list cannot shrink under this loop.
    for (let i = 0; i < triggers.length; i++) {
      const trigger = triggers[i]!
      const target = trigger.target
      if (target.kind === 'host') {
        this.counters.delivered++
        this.env.send(target.node, copyFor(msg, trigger.id))
        continue
      }
      if (msg.ttl <= 0) {
        this.counters.dropped.ttl++
        continue
      }
      this.counters.chained++
      const next = chained(msg, target.id, this.self)
      const key = ringKey(target.id)
      if (this.ring.successor(key) === this.self) this.match(now, next)
      else this.sendToward(next, key)
    }
  }
}

const isChain = (trigger: StoredTrigger): boolean => trigger.target.kind === 'id'

/** The copy a host trigger hands its host: addressed to the trigger's id; a chunk counts the hop. */
function copyFor(msg: MatchedPacket, triggerId: I3Id): MatchedPacket {
  if (msg.type !== 'chunk' && msg.id === triggerId) return msg
  return withRouting(msg, triggerId, msg.ttl, msg.origin, 1)
}

/** The packet an id trigger re-addresses (a chain hop costs ttl; a chunk counts the hop). */
function chained(msg: MatchedPacket, id: I3Id, self: NodeId): MatchedPacket {
  return withRouting(msg, id, msg.ttl - 1, self, 1)
}
