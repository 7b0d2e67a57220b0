// The lock on a peer's place while operations prepare (peer/place-lock.ts): shared HOLDs, exclusive
// changes, wait-die by operation age, and the dead-place helpers and registry directory peer mode
// uses when a deletion meets nodes that died together.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import type { Placement } from '../../src/overlays/p2pcast/forest.ts'
import { Forest } from '../../src/overlays/p2pcast/forest.ts'
import { DeadDirectory } from '../../src/overlays/p2pcast/peer/dead-directory.ts'
import {
  assembleDeadPlace,
  deadPlaceWitnesses,
  linkedByLive,
  withoutGone,
} from '../../src/overlays/p2pcast/peer/dead-places.ts'
import { type LockRequest, PlaceLock, txNumber } from '../../src/overlays/p2pcast/peer/place-lock.ts'
import type { Versioned } from '../../src/overlays/p2pcast/peer/placement.ts'

const place = (parent: number[], children: number[][]): Placement => ({ parent, children })
const change = place([1, 2], [[3], [4]])
const req = (coord: number, tx: number, next: Placement | null, version = 5): LockRequest => ({
  coord,
  tx,
  flags: 0,
  version,
  next,
})

test('txNumber orders operations by start time and stays unique per coordinator', () => {
  assert.ok(txNumber(1000, 1) < txNumber(1001, 1))
  assert.notEqual(txNumber(1000, 1), txNumber(1000, 2))
  assert.ok(txNumber(0, 0) > 0, 'never 0: that number asks a parent for its place')
  assert.ok(Number.isSafeInteger(txNumber(Date.UTC(2030, 0, 1), 9999)), 'fits a varint at wall-clock times')
})

test('HOLDs share a place; a change excludes them and they exclude it', () => {
  const lock = new PlaceLock(8, 8)
  assert.equal(lock.request(req(1, 100, null), 5, 1000), 'yes')
  assert.equal(lock.request(req(2, 200, null), 5, 1000), 'yes', 'two readers at once')
  // A younger change against held reads dies; an older one waits.
  assert.equal(lock.request(req(3, 300, change), 5, 1000), 'no')
  assert.equal(lock.request(req(4, 50, change), 5, 1000), 'wait')
  assert.equal(lock.pendingChanges().length, 0, 'a waiting change is not held')
})

test('a stale version is refused whatever the lock holds', () => {
  const lock = new PlaceLock(8, 8)
  assert.equal(lock.request(req(1, 100, change, 4), 5, 1000), 'no')
  assert.equal(lock.isHeld, false)
})

test('wait-die: the older operation waits and gets the place when the younger one aborts', () => {
  const lock = new PlaceLock(8, 8)
  assert.equal(lock.request(req(2, 200, change), 5, 1000), 'yes')
  assert.equal(lock.request(req(1, 100, change), 5, 1000), 'wait')
  assert.equal(lock.request(req(3, 300, change), 5, 1000), 'no', 'younger than the holder: dies')
  assert.deepEqual(lock.serve(5, 1000), [], 'still held: nobody decided')
  assert.ok(lock.release(2, 200))
  const decided = lock.serve(5, 2000)
  assert.deepEqual(
    decided.map((d) => [d.req.coord, d.ok]),
    [[1, true]],
  )
  assert.equal(lock.pendingChanges().length, 1)
})

test('wait-die: a commit by the holder changes the version, so the waiter is refused', () => {
  const lock = new PlaceLock(8, 8)
  lock.request(req(2, 200, change), 5, 1000)
  lock.request(req(1, 100, null), 5, 1000)
  const held = lock.release(2, 200)
  assert.deepEqual(held?.next, change)
  assert.deepEqual(
    lock.serve(6, 2000).map((d) => [d.req.coord, d.ok]),
    [[1, false]],
  )
})

test('leases end: expired holders are dropped; bounds refuse beyond them', () => {
  const lock = new PlaceLock(2, 1)
  lock.request(req(1, 100, null), 5, 1000)
  lock.request(req(2, 200, null), 5, 1500)
  assert.equal(lock.request(req(3, 300, null), 5, 1000), 'no', 'holders bounded (and younger: dies)')
  assert.equal(lock.nextExpiry, 1000)
  assert.equal(lock.expire(1200), true)
  assert.equal(lock.nextExpiry, 1500)
  assert.equal(lock.request(req(9, 50, change), 5, 3000), 'wait')
  assert.equal(lock.request(req(8, 40, change), 5, 3000), 'no', 'queue bounded')
  assert.deepEqual(
    lock.clear().map((r) => r.coord),
    [9],
  )
  assert.equal(lock.isHeld, false)
})

test('dead places: a gone neighbour is replaced by what the live nodes read say', () => {
  // Dead 5 was the child of 8 in tree 0 (8 is gone: another deletion removed it and 23 took its
  // place), and of 2 in tree 1; its children are 35 (tree 1) and 28 (tree 0, placed there after
  // our copy was taken).
  const stale = place([8, 2], [[], [9, 35]])
  const reads = new Map<number, Versioned>([
    [23, { version: 3, placement: place([0, 1], [[5, 28], []]) }],
    [35, { version: 2, placement: place([20, 5], [[4, 1], []]) }],
    [28, { version: 1, placement: place([5, 23], [[], [33, 8]]) }],
  ])
  const fixed = withoutGone(stale, 5, new Set([8, 9]), reads, new Set([5]))
  assert.deepEqual(fixed, place([23, 2], [[28], [35]]))
  assert.equal(linkedByLive(8, reads, new Set([5])), true, '28 still lists 8')
  assert.equal(linkedByLive(9, reads, new Set([5])), false)
  assert.equal(withoutGone(stale, 5, new Set([2]), reads, new Set([5])), null, 'no live parent in tree 1')
})

test('dead places: assembled from what links to the node, or nothing when a tree has no parent', () => {
  const reads = new Map<number, Versioned>([
    [5, { version: 1, placement: place([4, 17], [[21, 7], []]) }],
    [14, { version: 2, placement: place([22, 29], [[], [21, 20]]) }],
  ])
  const deadPlaces = new Map<NodeId, Placement>([[22, place([7, 21], [[29, 14], []])]])
  const assembled = assembleDeadPlace(2, 21, reads, new Set([22]), (d) => deadPlaces.get(d))
  assert.deepEqual(assembled, place([5, 14], [[], [22]]))
  assert.equal(
    assembleDeadPlace(2, 40, reads, new Set([22]), (d) => deadPlaces.get(d)),
    null,
  )
})

test('the registry directory keeps the newest copy and completes it with the children that reported', () => {
  const dir = new DeadDirectory()
  dir.report(8, { version: 3, placement: place([1, 2], [[5], []]) })
  dir.report(8, { version: 2, placement: place([1, 9], [[], []]) })
  // 6 never learned 8's place; its own place says 8 is its parent in tree 0.
  dir.report(6, { version: 4, placement: place([8, 3], [[], [7, 10]]) })
  assert.deepEqual(dir.lookup(8, 2), { version: 3, placement: place([1, 2], [[5, 6], []]) })
  // Without a copy, a place is assembled from the reports that name it, if every tree has a parent.
  assert.equal(dir.lookup(3, 2), undefined)
  dir.forget(8)
  assert.deepEqual(dir.lookup(8, 2), undefined, 'no report lists 8 as a child: no parent in tree 0')
  for (let i = 100; i < 200; i++) dir.report(i, { version: 0, placement: place([1, 2], [[], []]) })
  assert.ok(dir.size <= 64, 'bounded')
})

test('dead places: the nodes that can tell where a dead node went are read first', () => {
  // Our copy says dead 5 sits under 14 in tree 1 and has children 8, 3 in tree 0. Fresh reads: 14
  // no longer lists 5 (a join put itself between them: 15, 14's neighbour, lists 5 now), and 8
  // names 12 as its parent in tree 0 (12 took 5's place above 8).
  const copy = place([2, 14], [[8, 3], []])
  const reads = new Map<NodeId, Versioned>([
    [2, { version: 1, placement: place([0, 11], [[14, 5], []]) }],
    [14, { version: 2, placement: place([2, 15], [[10, 15], []]) }],
    [8, { version: 3, placement: place([12, 9], [[6, 11], []]) }],
    [3, { version: 1, placement: place([5, 6], [[13], [1]]) }],
  ])
  const forest = Forest.partial(2, 0, 'special', (id) => {
    if (id === 5) return copy
    const read = reads.get(id)
    if (!read) throw new Error(`not read: ${id}`)
    return read.placement
  })
  const witnesses = deadPlaceWitnesses(forest, 5, reads, new Set([5]))
  assert.deepEqual([...witnesses].sort(), [10, 12, 15])
  // Once they are read there is nothing more to wait for.
  for (const id of witnesses) reads.set(id, { version: 1, placement: place([0, 0], [[], []]) })
  assert.deepEqual(deadPlaceWitnesses(forest, 5, reads, new Set([5])), [])
})
