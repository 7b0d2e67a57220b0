import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng, type Rng } from '../../src/core/rng.ts'
import { hashId, type I3Id, matchBits, withSuffix } from '../../src/overlays/i3/ids.ts'
import type { InsertResult, Target } from '../../src/overlays/i3/messages.ts'
import {
  type StoredTrigger,
  type TriggerLimits,
  TriggerTable,
} from '../../src/overlays/i3/server/trigger-table.ts'

const LIMITS: TriggerLimits = { maxPerId: 3, maxPerClient: 5, maxPerServer: 12, lifetimeMs: 1000 }
const host = (node: NodeId): Target => ({ kind: 'host', node })
const toId = (id: I3Id): Target => ({ kind: 'id', id })
const plain = { refresh: false, probe: false }

test('insert, refresh and match: replication to every trigger of one id, D per id', () => {
  const table = new TriggerTable(LIMITS)
  const g = hashId('g')
  assert.deepEqual(table.insert(0, g, host(1), 1, plain), { result: 'ok', count: 1 })
  assert.deepEqual(table.insert(0, g, host(2), 2, plain), { result: 'ok', count: 2 })
  assert.deepEqual(table.insert(0, g, host(3), 3, plain), { result: 'ok', count: 3 })
  assert.deepEqual(table.insert(0, g, host(4), 4, plain), { result: 'full', count: 3 })
  assert.deepEqual(table.insert(0, g, host(1), 1, { refresh: true, probe: false }), {
    result: 'ok',
    count: 3,
  })
  assert.deepEqual(table.insert(0, g, host(9), 9, { refresh: false, probe: true }), {
    result: 'full',
    count: 3,
  })
  assert.deepEqual(
    table.match(10, g).map((t) => t.target),
    [host(1), host(2), host(3)],
  )
  assert.equal(table.match(10, hashId('nothing')).length, 0)
  assert.equal(table.size, 3)
})

test('expiry: alive while now < last insert + T; lazy on lookup, and by the bounded sweep', () => {
  const table = new TriggerTable(LIMITS)
  const a = hashId('a')
  const b = hashId('b')
  table.insert(0, a, host(1), 1, plain)
  table.insert(0, b, host(1), 1, plain)
  table.insert(600, a, host(1), 1, { refresh: true, probe: false })
  assert.equal(table.match(999, b).length, 1)
  assert.equal(table.match(1000, b).length, 0, 'b expired at exactly T')
  assert.equal(table.size, 1, 'the lookup dropped it')
  assert.equal(table.clientCount(1), 1)
  assert.equal(table.match(1599, a).length, 1)
  // The sweep visits at most its budget; stale entries (a's first expiry) cost one visit each.
  assert.equal(table.expireDue(1600, 1), 0, 'the stale entry for a at 1000')
  assert.equal(table.size, 1)
  assert.equal(table.expireDue(1600, 10), 1)
  assert.equal(table.size, 0)
  assert.equal(table.clientCount(1), 0)
  assert.equal(table.expireDue(5000, 10), 0)
})

test('limits: per client and per server count live triggers only', () => {
  const table = new TriggerTable({ ...LIMITS, maxPerClient: 2, maxPerServer: 3 })
  const ids = [0, 1, 2, 3].map((i) => hashId('lim', String(i)))
  assert.equal(table.insert(0, ids[0]!, host(1), 1, plain).result, 'ok')
  assert.equal(table.insert(0, ids[1]!, host(1), 1, plain).result, 'ok')
  assert.equal(table.insert(0, ids[2]!, host(1), 1, plain).result, 'limit')
  assert.equal(table.insert(0, ids[2]!, host(2), 2, plain).result, 'ok')
  assert.equal(table.insert(0, ids[3]!, host(3), 3, plain).result, 'limit', 'server full')
  // A refresh by someone else keeps the trigger charged to its inserter.
  assert.equal(table.insert(10, ids[0]!, host(1), 2, { refresh: true, probe: false }).result, 'ok')
  assert.equal(table.clientCount(1), 2)
  assert.equal(table.clientCount(2), 1)
  // Once they expire, the limits free up.
  table.expireDue(2000, 100)
  assert.equal(table.insert(2000, ids[3]!, host(3), 3, plain).result, 'ok')
  assert.equal(table.insert(2000, ids[2]!, host(1), 1, plain).result, 'ok')
})

test('delete removes one trigger and its charges', () => {
  const table = new TriggerTable(LIMITS)
  const g = hashId('del')
  table.insert(0, g, host(1), 1, plain)
  table.insert(0, g, host(2), 1, plain)
  const t = table.find(0, g, host(1))!
  table.delete(t)
  table.delete(t)
  assert.equal(table.find(0, g, host(1)), undefined)
  assert.equal(table.countAt(0, g), 1)
  assert.equal(table.clientCount(1), 1)
  assert.equal(table.size, 1)
  assert.equal(table.expireDue(1000, 10), 1, 'the deleted trigger leaves only a stale entry')
})

// --- property test against a naive reference ------------------------------------------------

interface NaiveTrigger {
  id: I3Id
  target: Target
  client: NodeId
  expiresAt: number
}

const key = (t: Target) => (t.kind === 'host' ? `h${t.node}` : `i${t.id}`)

/** Everything by brute force over one flat list. */
class NaiveTable {
  triggers: NaiveTrigger[] = []
  constructor(readonly limits: TriggerLimits) {}

  live(now: number): NaiveTrigger[] {
    return this.triggers.filter((t) => t.expiresAt > now)
  }

  bestId(now: number, p: I3Id, extra?: NaiveTrigger): I3Id | undefined {
    let best: I3Id | undefined
    let bestBits = -1
    for (const t of [...this.live(now), ...(extra ? [extra] : [])]) {
      const bits = matchBits(t.id, p)
      if (bits < 0) continue
      if (bits > bestBits || (bits === bestBits && t.id < best!)) {
        best = t.id
        bestBits = bits
      }
    }
    return best
  }

  match(now: number, p: I3Id): NaiveTrigger[] {
    const id = this.bestId(now, p)
    return this.live(now).filter((t) => t.id === id)
  }

  cycles(now: number, x: I3Id, y: I3Id, tentative: NaiveTrigger): boolean {
    const seen = new Set([y])
    const queue = [y]
    while (queue.length > 0) {
      const z = queue.shift()!
      const chosen = this.bestId(now, z, tentative)
      if (chosen === x) return true
      for (const t of this.live(now)) {
        if (t.id === chosen && t.target.kind === 'id' && !seen.has(t.target.id)) {
          seen.add(t.target.id)
          queue.push(t.target.id)
        }
      }
    }
    return false
  }

  insert(now: number, id: I3Id, target: Target, client: NodeId, probe: boolean): [InsertResult, number] {
    const live = this.live(now)
    const count = live.filter((t) => t.id === id).length
    if (probe) return [count < this.limits.maxPerId ? 'ok' : 'full', count]
    const existing = live.find((t) => t.id === id && key(t.target) === key(target))
    if (existing) {
      existing.expiresAt = now + this.limits.lifetimeMs
      return ['ok', count]
    }
    const fresh = { id, target, client, expiresAt: now + this.limits.lifetimeMs }
    if (target.kind === 'id' && this.cycles(now, id, target.id, fresh)) return ['cycle', count]
    if (count >= this.limits.maxPerId) return ['full', count]
    if (live.filter((t) => t.client === client).length >= this.limits.maxPerClient) return ['limit', count]
    if (live.length >= this.limits.maxPerServer) return ['limit', count]
    this.triggers = [...live, fresh]
    return ['ok', count + 1]
  }

  remove(now: number, id: I3Id, target: Target): void {
    this.triggers = this.live(now).filter((t) => !(t.id === id && key(t.target) === key(target)))
  }
}

/** A small universe of ids: two prefixes, suffixes that share leading bits in varied ways. */
function universe(): I3Id[] {
  const suffixes = [
    '0000000000000000',
    '8000000000000000',
    'c000000000000000',
    '0100000000000000',
    'c100000000000000',
  ]
  return [hashId('p1'), hashId('p2')].flatMap((base) => suffixes.map((s) => withSuffix(base, s)))
}

function view(list: readonly (StoredTrigger | NaiveTrigger)[]): string[] {
  return list.map((t) => `${t.id.slice(-16)}>${key(t.target).slice(-16)}`).sort()
}

function runRandomOps(seed: number, steps: number, seen: Map<string, number>): void {
  const rng: Rng = createRng(seed)
  const ids = universe()
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!
  const table = new TriggerTable(LIMITS)
  const naive = new NaiveTable(LIMITS)
  let now = 0
  for (let step = 0; step < steps; step++) {
    const where = `seed ${seed} step ${step} (t = ${now})`
    const op = rng.int(10)
    if (op <= 3) {
      const id = pick(ids)
      const target = rng.next() < 0.5 ? host(rng.int(4)) : toId(pick(ids))
      const client = rng.int(4)
      const probe = rng.next() < 0.1
      const got = table.insert(now, id, target, client, { refresh: rng.next() < 0.5, probe })
      const want = naive.insert(now, id, target, client, probe)
      assert.deepEqual([got.result, got.count], want, `insert ${where}`)
      seen.set(got.result, (seen.get(got.result) ?? 0) + 1)
    } else if (op === 4) {
      const id = pick(ids)
      const target = rng.next() < 0.5 ? host(rng.int(4)) : toId(pick(ids))
      const stored = table.find(now, id, target)
      if (stored) table.delete(stored)
      naive.remove(now, id, target)
    } else if (op <= 7) {
      const p = rng.next() < 0.7 ? pick(ids) : withSuffix(pick(ids), hashId(String(rng.next())).slice(0, 16))
      const matched = view(table.match(now, p))
      assert.deepEqual(matched, view(naive.match(now, p)), `match ${where}`)
      if (matched.length > 1) seen.set('replicated', (seen.get('replicated') ?? 0) + 1)
    } else if (op === 8) {
      now += rng.int(LIMITS.lifetimeMs / 2)
    } else {
      table.expireDue(now, rng.int(5))
    }
    const id = pick(ids)
    assert.equal(table.countAt(now, id), naive.live(now).filter((t) => t.id === id).length, `count ${where}`)
  }
  table.expireDue(now, Number.POSITIVE_INFINITY)
  assert.equal(table.size, naive.live(now).length, `size at the end, seed ${seed}`)
  for (let c = 0; c < 4; c++) {
    assert.equal(table.clientCount(c), naive.live(now).filter((t) => t.client === c).length, `client ${c}`)
  }
}

test('random operations agree with a brute-force reference (seeded)', () => {
  const seen = new Map<string, number>()
  for (let seed = 1; seed <= 60; seed++) runRandomOps(seed, 400, seen)
  // The runs reach every outcome, so the comparison covers every branch.
  for (const outcome of ['ok', 'full', 'limit', 'cycle', 'replicated']) {
    assert.ok((seen.get(outcome) ?? 0) >= 20, `${outcome}: ${seen.get(outcome) ?? 0} times`)
  }
})
