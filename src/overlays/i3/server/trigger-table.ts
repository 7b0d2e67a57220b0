import type { NodeId } from '../../../core/ids.ts'
import { type I3Id, PREFIX_HEX, prefixOf } from '../ids.ts'
import type { InsertResult, Target } from '../messages.ts'

/** A trigger as a server stores it: soft state owned by the node that inserted it. */
export interface StoredTrigger {
  readonly id: I3Id
  readonly target: Target
  /** The inserting node: the per-client limit charges it (refreshes by others do not move it). */
  readonly client: NodeId
  /** Alive while now < expiresAt; every insert or refresh sets it to now + T. */
  expiresAt: number
  /** Refresh-flagged inserts since the last statistics reset (Fig. 12). */
  refreshes: number
  removed: boolean
}

export interface TriggerLimits {
  /** D: triggers with one exact id (§2.1). */
  readonly maxPerId: number
  readonly maxPerClient: number
  readonly maxPerServer: number
  /** T: soft-state lifetime (§4). */
  readonly lifetimeMs: number
}

export interface InsertOutcome {
  readonly result: InsertResult
  /** Triggers stored with exactly this id afterwards. */
  readonly count: number
}

/** Ids the cycle check may visit; a longer chain on one server is left to the packet ttl. */
const MAX_CYCLE_CHECK_IDS = 4096

const NO_TRIGGERS: readonly StoredTrigger[] = []

function sameTarget(a: Target, b: Target): boolean {
  return a.kind === 'host' ? b.kind === 'host' && a.node === b.node : b.kind === 'id' && a.id === b.id
}

function hexValue(code: number): number {
  return code <= 57 ? code - 48 : code - 87
}

/** Leading suffix bits two ids share, for ids already known to have the same prefix (0..64). */
export function suffixMatchBits(a: I3Id, b: I3Id): number {
  for (let i = PREFIX_HEX; i < 64; i++) {
    const x = hexValue(a.charCodeAt(i)) ^ hexValue(b.charCodeAt(i))
    if (x !== 0) return (i - PREFIX_HEX) * 4 + Math.clz32(x) - 28
  }
  return 64
}

/**
 * One server's triggers. `byId` answers the common case, a packet whose id equals a trigger id
 * (tree ids, sets, private ids), with one Map get on the packet's own id string; `idsByPrefix`
 * lists the ids of each 192-bit prefix for the longest-prefix case (an anycast group), so a
 * packet costs O(ids sharing its prefix), usually one. Soft state expires lazily (a dead trigger
 * is dropped the moment a lookup meets it) and through a FIFO of expiry times swept in bounded
 * steps: T is one constant, so the FIFO is sorted by construction, and a refreshed trigger simply
 * leaves a stale entry behind.
 */
export class TriggerTable {
  /** Live-or-not-yet-met triggers per exact id; never holds an empty list. */
  private readonly byId = new Map<I3Id, StoredTrigger[]>()
  private readonly idsByPrefix = new Map<string, Set<I3Id>>()
  private readonly perClient = new Map<NodeId, number>()
  private live = 0
  private readonly expiryTriggers: StoredTrigger[] = []
  private readonly expiryTimes: number[] = []
  private expiryHead = 0

  constructor(readonly limits: TriggerLimits) {}

  /** Triggers stored (expired ones count until a lookup or sweep meets them). */
  get size(): number {
    return this.live
  }

  clientCount(client: NodeId): number {
    return this.perClient.get(client) ?? 0
  }

  /** Live triggers with exactly `id`. */
  countAt(now: number, id: I3Id): number {
    return this.liveList(now, id)?.length ?? 0
  }

  /** The live trigger (id, target), if stored. */
  find(now: number, id: I3Id, target: Target): StoredTrigger | undefined {
    const list = this.liveList(now, id)
    return list?.find((t) => sameTarget(t.target, target))
  }

  /**
   * Insert or refresh (id -> target) for `client`. A refresh of a stored trigger always succeeds;
   * a new one must pass, in order: the cycle check, D per id ('full'), the client's and the
   * server's limits ('limit'). `probe` answers whether a new trigger would fit under D and stores
   * nothing (§3.2.2's dummy trigger, without its insert-then-remove race).
   */
  insert(
    now: number,
    id: I3Id,
    target: Target,
    client: NodeId,
    flags: { readonly refresh: boolean; readonly probe: boolean },
  ): InsertOutcome {
    const list = this.liveList(now, id)
    const count = list?.length ?? 0
    if (flags.probe) return { result: count < this.limits.maxPerId ? 'ok' : 'full', count }
    const existing = list?.find((t) => sameTarget(t.target, target))
    if (existing) {
      existing.expiresAt = now + this.limits.lifetimeMs
      if (flags.refresh) existing.refreshes++
      this.scheduleExpiry(existing)
      return { result: 'ok', count }
    }
    if (target.kind === 'id' && this.wouldCycle(now, id, target.id)) return { result: 'cycle', count }
    if (count >= this.limits.maxPerId) return { result: 'full', count }
    if (!this.underLimits(client)) {
      // Expired triggers still charged until the sweep meets them: settle them before refusing
      // (each FIFO entry is visited once in all, so this stays amortized O(1) per trigger).
      this.expireDue(now, Number.POSITIVE_INFINITY)
      if (!this.underLimits(client)) return { result: 'limit', count }
    }
    const trigger: StoredTrigger = {
      id,
      target,
      client,
      expiresAt: now + this.limits.lifetimeMs,
      refreshes: 0,
      removed: false,
    }
    this.store(trigger)
    return { result: 'ok', count: count + 1 }
  }

  private underLimits(client: NodeId): boolean {
    return this.clientCount(client) < this.limits.maxPerClient && this.live < this.limits.maxPerServer
  }

  /** Remove a stored trigger now (an explicit remove). */
  delete(trigger: StoredTrigger): void {
    if (trigger.removed) return
    const list = this.byId.get(trigger.id)
    if (list) {
      const at = list.indexOf(trigger)
      if (at >= 0) list.splice(at, 1)
      if (list.length === 0) this.dropId(trigger.id)
    }
    this.forget(trigger)
  }

  /**
   * The live triggers a packet to `packetId` reaches: those of the stored id with the same prefix
   * and the longest common suffix prefix (ties: the smallest id). Empty when nothing matches. The
   * returned array is the table's own: read it before the next call that may change the table.
   */
  match(now: number, packetId: I3Id): readonly StoredTrigger[] {
    const exact = this.byId.get(packetId)
    if (exact && this.prune(now, packetId, exact) > 0) return exact
    const ids = this.idsByPrefix.get(prefixOf(packetId))
    if (!ids) return NO_TRIGGERS
    let best: readonly StoredTrigger[] = NO_TRIGGERS
    let bestId = ''
    let bestBits = -1
    for (const id of ids) {
      const bits = suffixMatchBits(id, packetId)
      if (bits < bestBits || (bits === bestBits && id > bestId)) continue
      const list = this.byId.get(id)!
      if (this.prune(now, id, list) === 0) continue
      best = list
      bestId = id
      bestBits = bits
    }
    return best
  }

  /**
   * Drop expired triggers whose expiry is due, visiting at most `budget` FIFO entries. Returns
   * how many triggers expired.
   */
  expireDue(now: number, budget: number): number {
    let expired = 0
    let visited = 0
    while (this.expiryHead < this.expiryTimes.length && visited < budget) {
      const at = this.expiryTimes[this.expiryHead]!
      if (at > now) break
      const trigger = this.expiryTriggers[this.expiryHead]!
      this.expiryHead++
      visited++
      // Stale entries (refreshed or removed since) carry an older time than the trigger.
      if (!trigger.removed && trigger.expiresAt === at) {
        this.delete(trigger)
        expired++
      }
    }
    this.compactExpiryQueue()
    return expired
  }

  /** Every stored trigger (expired ones included until met), for statistics. */
  *triggers(): IterableIterator<StoredTrigger> {
    for (const list of this.byId.values()) yield* list
  }

  private liveList(now: number, id: I3Id): StoredTrigger[] | undefined {
    const list = this.byId.get(id)
    return list && this.prune(now, id, list) > 0 ? list : undefined
  }

  /** Drop expired triggers from one id's list in place; returns the live count. */
  private prune(now: number, id: I3Id, list: StoredTrigger[]): number {
    let kept = 0
    for (let i = 0; i < list.length; i++) {
      const trigger = list[i]!
      if (trigger.expiresAt > now) list[kept++] = trigger
      else this.forget(trigger)
    }
    if (kept === list.length) return kept
    list.length = kept
    if (kept === 0) this.dropId(id)
    return kept
  }

  private store(trigger: StoredTrigger): void {
    const list = this.byId.get(trigger.id)
    if (list) list.push(trigger)
    else {
      this.byId.set(trigger.id, [trigger])
      const prefix = prefixOf(trigger.id)
      const ids = this.idsByPrefix.get(prefix)
      if (ids) ids.add(trigger.id)
      else this.idsByPrefix.set(prefix, new Set([trigger.id]))
    }
    this.live++
    this.perClient.set(trigger.client, this.clientCount(trigger.client) + 1)
    this.scheduleExpiry(trigger)
  }

  private dropId(id: I3Id): void {
    this.byId.delete(id)
    const prefix = prefixOf(id)
    const ids = this.idsByPrefix.get(prefix)
    if (!ids) return
    ids.delete(id)
    if (ids.size === 0) this.idsByPrefix.delete(prefix)
  }

  /** Bookkeeping of a trigger leaving the table (its list entry is handled by the caller). */
  private forget(trigger: StoredTrigger): void {
    trigger.removed = true
    this.live--
    const left = this.clientCount(trigger.client) - 1
    if (left > 0) this.perClient.set(trigger.client, left)
    else this.perClient.delete(trigger.client)
  }

  private scheduleExpiry(trigger: StoredTrigger): void {
    this.expiryTriggers.push(trigger)
    this.expiryTimes.push(trigger.expiresAt)
  }

  private compactExpiryQueue(): void {
    if (this.expiryHead < 4096 || this.expiryHead * 2 < this.expiryTimes.length) return
    this.expiryTriggers.splice(0, this.expiryHead)
    this.expiryTimes.splice(0, this.expiryHead)
    this.expiryHead = 0
  }

  /**
   * Would (x -> y) close a loop on this server? Follow the chain from y as packets would (each
   * id to the triggers it matches, counting the new trigger) and look for x. Ids held by other
   * servers end the walk there: loops across servers die by the packet ttl.
   */
  private wouldCycle(now: number, x: I3Id, y: I3Id): boolean {
    const xPrefix = prefixOf(x)
    const pending: I3Id[] = [y]
    const seen = new Set<I3Id>(pending)
    while (pending.length > 0 && seen.size <= MAX_CYCLE_CHECK_IDS) {
      const z = pending.pop()!
      const reached = this.match(now, z)
      const chosen = reached[0]?.id
      if (prefixOf(z) === xPrefix) {
        if (chosen === undefined || chosen === x) return true
        const xBits = suffixMatchBits(x, z)
        const chosenBits = suffixMatchBits(chosen, z)
        if (xBits > chosenBits || (xBits === chosenBits && x < chosen)) return true
      }
      for (const trigger of reached) {
        if (trigger.target.kind !== 'id' || seen.has(trigger.target.id)) continue
        seen.add(trigger.target.id)
        pending.push(trigger.target.id)
      }
    }
    return false
  }
}
