// The join walk of Fig. 4 / Fig. 6 on a hand-built tree: Fig. 5's example, where R7 joins at R1.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import type { Env, TimerId } from '../../src/core/protocol.ts'
import { createRng } from '../../src/core/rng.ts'
import { type JoinPlace, JoinWalk } from '../../src/overlays/i3/host/join.ts'
import { ServerRouter } from '../../src/overlays/i3/host/router.ts'
import { TimerTable } from '../../src/overlays/i3/host/timers.ts'
import { TriggerClient } from '../../src/overlays/i3/host/trigger-client.ts'
import { fsetId, groupId, hashId, type I3Id, jsetId } from '../../src/overlays/i3/ids.ts'
import type { I3Message, Query } from '../../src/overlays/i3/messages.ts'
import { parseParams } from '../../src/overlays/i3/params.ts'

/** An Env that records what the walk sends and lets the test fire its timers. */
class FakeEnv implements Env<I3Message> {
  readonly self: NodeId = 70
  readonly rng = createRng(1)
  readonly sent: I3Message[] = []
  readonly timers: { id: TimerId; arg: NodeId | undefined }[] = []
  private nextTimer = 1
  send(_to: NodeId, msg: I3Message): void {
    this.sent.push(msg)
  }
  setTimer(_delayMs: number, _kind: number, arg?: NodeId): TimerId {
    const id = this.nextTimer++
    this.timers.push({ id, arg })
    return id
  }
  cancelTimer(id: TimerId): void {
    const at = this.timers.findIndex((t) => t.id === id)
    if (at >= 0) this.timers.splice(at, 1)
  }
  deliver(): void {}
  locate() {
    return []
  }
  distance() {
    return 0
  }
  metric(): void {}
  disconnect(): void {}
}

const idg = groupId(0)
const vroot = hashId('i3-root', idg)
const treeIdOf = (name: string): I3Id => hashId('tree', name)

interface Member {
  name: string
  node: NodeId
  /** dist(S, member, R7) in the paper's units (ms here). */
  dist: number
}

/** Fig. 5 (D = 3): jset(S) = {R1, R2}, fset(S) = {R3}; R3's children R4, R5, R6 are joinable. */
const levels: Record<I3Id, { jset: Member[]; fset: Member[] }> = {
  // The virtual level above the root: the source, full (its D slots are taken by R1..R3).
  [vroot]: { jset: [], fset: [{ name: 'S', node: 0, dist: 0 }] },
  [idg]: {
    jset: [
      { name: 'R1', node: 1, dist: 5 },
      { name: 'R2', node: 2, dist: 6 },
    ],
    fset: [{ name: 'R3', node: 3, dist: 3 }],
  },
  [treeIdOf('R3')]: {
    jset: [
      { name: 'R4', node: 4, dist: 7 },
      { name: 'R5', node: 5, dist: 8 },
      { name: 'R6', node: 6, dist: 8 },
    ],
    fset: [],
  },
}

function memberId(m: Member): I3Id {
  return m.name === 'S' ? idg : treeIdOf(m.name)
}

/** Answer every query the walk sent since `from` as the set's members would, then end the window. */
function answerAndFire(env: FakeEnv, walk: JoinWalk, now: number, from: number, skew = 0): I3Id[] {
  const queried: I3Id[] = []
  for (const msg of env.sent.slice(from)) {
    if (msg.type !== 'query') continue
    const q = msg as Query
    queried.push(q.id)
    for (const [parent, sets] of Object.entries(levels)) {
      const members = q.id === jsetId(parent) ? sets.jset : q.id === fsetId(parent) ? sets.fset : null
      if (!members) continue
      for (const m of members) {
        // Each member's clock is off by its own amount; d = now - timestamp + srcDist = m.dist.
        const memberSkew = Number(m.node) * 1234.5
        walk.onReply(now + skew, {
          type: 'query-reply',
          id: q.replyTo,
          ttl: 9,
          origin: m.node,
          nonce: q.nonce,
          member: memberId(m),
          timestamp: now + memberSkew - 1,
          srcDist: m.dist - 1 + memberSkew,
          joinable: sets.jset.includes(m),
        })
      }
    }
  }
  return queried
}

function runWalk(
  skew: number,
  knownFull: (id: I3Id) => boolean = () => false,
): { place: JoinPlace | null; queried: I3Id[] } {
  const env = new FakeEnv()
  const timers = new TimerTable<I3Message>(env)
  const router = new ServerRouter(env, 100)
  let place: JoinPlace | null | undefined
  let nonce = 1
  const params = parseParams({ maxTriggersPerId: 3 })
  const triggers = new TriggerClient(env, router, timers, params.queryWindowMs)
  const walk = new JoinWalk(
    { env, router, triggers, timers, params },
    hashId('r7-private'),
    vroot,
    null,
    () => nonce++,
    (id) => knownFull(id),
    (_now, p) => {
      place = p
    },
  )
  walk.begin()
  const queried: I3Id[] = []
  let now = 1000
  for (let step = 0; step < 10 && place === undefined; step++) {
    const from = env.sent.length - 2
    queried.push(...answerAndFire(env, walk, now, from, skew))
    now += 500
    const timer = env.timers.shift()!
    timers.fire(now + skew, timer.arg)
  }
  assert.notEqual(place, undefined, 'the walk ends')
  return { place: place ?? null, queried }
}

test('Fig. 5: R7 goes down to R3 (closer than R1), finds nothing better there, joins at R1', () => {
  const { place, queried } = runWalk(0)
  assert.deepEqual(queried, [
    jsetId(vroot),
    fsetId(vroot),
    jsetId(idg),
    fsetId(idg),
    jsetId(treeIdOf('R3')),
    fsetId(treeIdOf('R3')),
  ])
  assert.ok(place)
  assert.equal(place.at, treeIdOf('R1'))
  assert.equal(place.parent, 1)
  assert.deepEqual(place.chain, [idg, treeIdOf('R1')])
  assert.deepEqual(place.chainNodes, [0, 1])
  assert.equal(place.dist, 5)
})

test('the joiner clock offset (and each member offset) does not change the choice', () => {
  for (const skew of [-10_000, -3.25, 7_777.125, 10_000]) {
    const { place } = runWalk(skew)
    assert.equal(place?.at, treeIdOf('R1'), `skew ${skew}`)
  }
})

test('a joinable member a refused join showed full is a way down, not a place', () => {
  // R1 answered from the jset but a join there just came back 'full': the next best place is R2.
  assert.equal(runWalk(0, (id) => id === treeIdOf('R1')).place?.at, treeIdOf('R2'))
})

test('a joinable member below that is closer than every one above wins', () => {
  const saved = levels[treeIdOf('R3')]!.jset[0]!.dist
  levels[treeIdOf('R3')]!.jset[0]!.dist = 4
  try {
    assert.equal(runWalk(0).place?.at, treeIdOf('R4'))
  } finally {
    levels[treeIdOf('R3')]!.jset[0]!.dist = saved
  }
})
