// Peer mode's concurrency cases (issue 4 point 6), each staged on purpose: two operations touching
// the same nodes at once. Whatever the interleaving, once things settle the forest the peers hold
// keeps every rule of §3 and every live viewer is in it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import type { Placement } from '../../src/overlays/p2pcast/forest.ts'
import { SPECIAL } from '../../src/overlays/p2pcast/index.ts'
import { PeerRun } from './peer-harness.ts'

const SEEDS = [1, 2, 3, 4, 5]

function grow(run: PeerRun, n: number): void {
  for (let i = 0; i < n; i++) run.sim.at(i * 400, () => run.add())
  run.sim.runUntil(n * 400 + 15_000)
  run.assertWhole(`after ${n} joins`)
}

function placeOf(run: PeerRun, id: NodeId): Placement {
  return run.node(id).placeOf(id)!
}

/** Trees in which `id` has children (1: complete, more: incomplete). */
const busyTrees = (p: Placement) => p.children.filter((list) => list.length > 0).length

function aborts(run: PeerRun): number {
  return (run.sim.protocolMetrics().get('txAborts') ?? []).length
}

test('two joins at the same incomplete node at once: one commits first, the other retries', () => {
  let raced = 0
  for (const seed of SEEDS) {
    const run = new PeerRun(seed)
    grow(run, 9)
    const incomplete = run.members().filter((id) => busyTrees(placeOf(run, id)) > 1)
    assert.ok(incomplete.length > 0, `seed ${seed}: an incomplete node to contact`)
    const a = incomplete[run.rng.int(incomplete.length)]!
    const before = aborts(run)
    const n1 = run.add()
    const n2 = run.add()
    run.giveContact(n1, a)
    run.giveContact(n2, a)
    run.sim.runUntil(run.sim.now + 20_000)
    run.assertWhole(`two joins at ${a}`)
    assert.ok(run.node(n1).isMember && run.node(n2).isMember, `seed ${seed}: both joined`)
    if (aborts(run) > before) raced++
  }
  // The staging works: in most seeds the two operations really collided (one had to retry).
  assert.ok(raced >= 3, `collisions in ${raced} of ${SEEDS.length} seeds`)
})

test('a join walking down a subtree whose node crashes mid-walk still lands; the crash is repaired', () => {
  for (const seed of SEEDS) {
    const run = new PeerRun(seed)
    grow(run, 20)
    // A complete contact A sends the joiner down the subtree of A's sibling (§4.2): crash the
    // sibling just after the joiner has read A.
    const complete = run.members().filter((id) => busyTrees(placeOf(run, id)) === 1)
    const pick = complete.find((a) => {
      const p = placeOf(run, a)
      const t = p.children.findIndex((l) => l.length > 0)
      const parent = p.parent[t]
      if (parent === undefined || parent === run.sim.sourceId) return false
      const siblings = placeOf(run, parent).children[t]!.filter((s) => s !== a && s !== SPECIAL)
      return siblings.length > 0
    })
    assert.ok(pick !== undefined, `seed ${seed}: a complete node with a sibling`)
    const p = placeOf(run, pick)
    const t = p.children.findIndex((l) => l.length > 0)
    const sibling = placeOf(run, p.parent[t]!).children[t]!.find((s) => s !== pick && s !== SPECIAL)!
    const n = run.add()
    run.giveContact(n, pick)
    run.sim.at(run.sim.now + 150, () => run.sim.crash(sibling))
    run.sim.runUntil(run.sim.now + 30_000)
    run.assertWhole(`join via ${pick}, ${sibling} crashed mid-walk`)
    assert.ok(run.node(n).isMember, `seed ${seed}: the joiner got in`)
    assert.equal(run.members().length, 20)
  }
})

test("a deletion ripple crossing a join: the crashed node's subtree takes a joiner at the same time", () => {
  for (const seed of SEEDS) {
    const run = new PeerRun(seed)
    grow(run, 24)
    // A complete node with grandchildren in its proper tree: its deletion ripples down (§5).
    const deep = run.members().find((x) => {
      const p = placeOf(run, x)
      if (busyTrees(p) !== 1) return false
      const t = p.children.findIndex((l) => l.length > 0)
      return p.children[t]!.some((c) => c !== SPECIAL && (placeOf(run, c).children[t]?.length ?? 0) > 0)
    })
    assert.ok(deep !== undefined, `seed ${seed}: a complete node with grandchildren`)
    const p = placeOf(run, deep)
    const t = p.children.findIndex((l) => l.length > 0)
    const child = p.children[t]!.find((c) => c !== SPECIAL && (placeOf(run, c).children[t]?.length ?? 0) > 0)!
    const grandchild = placeOf(run, child).children[t]!.find((g) => g !== SPECIAL) ?? child
    const n = run.add()
    run.giveContact(n, grandchild)
    run.sim.crash(deep)
    run.sim.runUntil(run.sim.now + 30_000)
    run.assertWhole(`${deep} crashed while ${n} joined at ${grandchild}`)
    assert.ok(run.node(n).isMember, `seed ${seed}: the joiner got in`)
    assert.equal(run.members().length, 24)
  }
})

test('a join at an incomplete node whose parent crashes at that moment', () => {
  for (const seed of SEEDS) {
    const run = new PeerRun(seed)
    grow(run, 16)
    const peerParent = (id: NodeId) =>
      placeOf(run, id).parent.some((x) => x !== undefined && x !== run.sim.sourceId && x !== SPECIAL)
    const candidate = () => run.members().find((id) => busyTrees(placeOf(run, id)) > 1 && peerParent(id))
    // Not every forest has one: add viewers one by one until one appears.
    while (candidate() === undefined && run.members().length < 24) {
      run.add()
      run.sim.runUntil(run.sim.now + 5000)
    }
    const a = candidate()
    assert.ok(a !== undefined, `seed ${seed}: an incomplete node with a peer parent`)
    const size = run.members().length
    const parent = placeOf(run, a).parent.find(
      (x) => x !== undefined && x !== run.sim.sourceId && x !== SPECIAL,
    )!
    const n = run.add()
    run.giveContact(n, a)
    run.sim.at(run.sim.now + 100, () => run.sim.crash(parent))
    run.sim.runUntil(run.sim.now + 30_000)
    run.assertWhole(`join at ${a} while its parent ${parent} crashed`)
    assert.ok(run.node(n).isMember, `seed ${seed}: the joiner got in`)
    assert.equal(run.members().length, size)
  }
})

test('a member whose every neighbour crashes with their own neighbours joins again (an island)', () => {
  // Seeds where the member ends up an island (1-12 tried): in the others a deletion reaches it first
  // or it lacks a dead parent's place and never starts one (docs: "a place nobody holds").
  for (const seed of [1, 3, 6, 10]) {
    const run = new PeerRun(seed)
    grow(run, 30)
    const peer = (id: NodeId | undefined): id is NodeId =>
      id !== undefined && id !== run.sim.sourceId && id !== SPECIAL
    const neighbours = (id: NodeId) => {
      const p = placeOf(run, id)
      return [...p.parent, ...p.children.flat()].filter(peer)
    }
    // A member with peers all around it: crash its neighbours and theirs (not it), so that nobody
    // alive holds the places its deletions need.
    const x = run.members().find((id) => placeOf(run, id).parent.every(peer) && neighbours(id).length > 2)
    assert.ok(x !== undefined, `seed ${seed}: a member with peer parents and children`)
    const region = new Set<NodeId>()
    for (const n of neighbours(x)) {
      region.add(n)
      for (const m of neighbours(n)) region.add(m)
    }
    region.delete(x)
    for (const d of region) run.sim.crash(d)
    // Its deletions first retry (3 attempts, backing off), then it joins a forest still repairing.
    run.sim.runUntil(run.sim.now + 90_000)
    const alive = new Set(run.sim.liveViewers())
    assert.ok(run.node(x).isMember, `seed ${seed}: ${x} is in the forest again`)
    assert.deepEqual(
      neighbours(x).filter((n) => !alive.has(n)),
      [],
      `seed ${seed}: ${x} links no dead node (crashed ${[...region]})`,
    )
    const islands = (run.sim.protocolMetrics().get('islandRejoins') ?? []).length
    assert.ok(islands > 0, `seed ${seed}: ${x} (or another node) joined again as an island`)
  }
})
