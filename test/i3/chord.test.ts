import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng } from '../../src/core/rng.ts'
import { RING_SIZE, randomId, ringKey, serverRingKey } from '../../src/overlays/i3/ids.ts'
import { ChordRing, ringDistance } from '../../src/overlays/i3/server/chord-ring.ts'

const positions = new Map<NodeId, number>()

/** Reference owner: scan every server for the first position at or after key, else the lowest. */
function bruteSuccessor(servers: readonly NodeId[], key: number): NodeId {
  let best: NodeId | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const s of servers) {
    let position = positions.get(s)
    if (position === undefined) positions.set(s, (position = serverRingKey(s)))
    const d = ringDistance(key, position)
    if (d < bestDistance) {
      bestDistance = d
      best = s
    }
  }
  return best!
}

const servers = Array.from({ length: 1000 }, (_, i) => i + 1)
const ring = new ChordRing(servers)

test('successor agrees with a brute-force scan, including keys that wrap past the last server', () => {
  const rng = createRng(3)
  const keys = [0, RING_SIZE - 1, ...servers.slice(0, 50).map(serverRingKey)]
  for (let i = 0; i < 500; i++) keys.push(ringKey(randomId(rng)))
  for (const s of servers.slice(0, 50)) keys.push((serverRingKey(s) + 1) % RING_SIZE)
  for (const key of keys) assert.equal(ring.successor(key), bruteSuccessor(servers, key), `key ${key}`)
})

test('finger i of a server is successor(position + 2^i)', () => {
  for (const self of [1, 500, 1000]) {
    const fingers = ring.fingersOf(self)
    const position = ring.positionOf(self)
    const expected = new Set<NodeId>()
    for (let i = 0; i < 52; i++) expected.add(bruteSuccessor(servers, (position + 2 ** i) % RING_SIZE))
    expected.delete(self)
    assert.deepEqual(new Set(fingers.nodes), expected)
    // Distinct fingers, ordered by clockwise distance.
    const distances = [...fingers.distances]
    assert.deepEqual(
      distances,
      [...distances].sort((a, b) => a - b),
    )
    assert.ok(fingers.nodes.length <= 20, `${fingers.nodes.length} distinct fingers for 1,000 servers`)
  }
})

test('every id reaches its owner by greedy finger routing within O(log n) hops (1,000 servers)', () => {
  const rng = createRng(4)
  const fingerTables = new Map(servers.map((s) => [s, ring.fingersOf(s)]))
  const hopCounts: number[] = []
  for (let i = 0; i < 3000; i++) {
    const key = ringKey(randomId(rng))
    const owner = bruteSuccessor(servers, key)
    let at: NodeId = servers[rng.int(servers.length)]!
    let hops = 0
    while (at !== owner) {
      const next = fingerTables.get(at as number)!.nextHop(key)
      // Every hop short of the owner strictly closes the clockwise distance to the key.
      if (next !== owner) {
        assert.ok(ringDistance(ring.positionOf(next), key) < ringDistance(ring.positionOf(at), key))
      }
      at = next
      hops++
      assert.ok(hops <= 2 * Math.log2(servers.length), `key ${key}: ${hops} hops and counting`)
    }
    hopCounts.push(hops)
  }
  const mean = hopCounts.reduce((a, b) => a + b, 0) / hopCounts.length
  // Chord's expectation is about (1/2) log2 n = 5 hops.
  assert.ok(mean > 3 && mean < 7, `mean ${mean.toFixed(2)} hops`)
})

test('a ring of one server owns everything; the shared ring is built once per server list', () => {
  const solo = new ChordRing(['only'])
  assert.equal(solo.successor(0), 'only')
  assert.equal(solo.successor(RING_SIZE - 1), 'only')
  assert.equal(solo.fingersOf('only').nextHop(5), 'only')
  const list = [1, 2, 3]
  assert.equal(ChordRing.of(list), ChordRing.of(list))
  assert.notEqual(ChordRing.of(list), ChordRing.of([1, 2, 3]))
  assert.throws(() => new ChordRing([]), /at least one server/)
  assert.throws(() => solo.positionOf('stranger'), /not on the i3 ring/)
})
