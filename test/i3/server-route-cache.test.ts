import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashId, ringKey, withRingKey, withSuffix } from '../../src/overlays/i3/ids.ts'
import { RouteCache } from '../../src/overlays/i3/server/route-cache.ts'

const id = (i: number) => hashId('route', String(i))

test('a remembered id routes every id at its ring position: its anycast group and more', () => {
  const cache = new RouteCache(8)
  cache.remember(id(1), 'server-a')
  assert.equal(cache.lookup(id(1)), 'server-a')
  assert.equal(cache.lookup(withSuffix(id(1), 'ffffffffffffffff')), 'server-a')
  assert.equal(cache.lookup(id(2)), undefined)
  // Another prefix on the same ring position (e.g. two private ids picked on one server).
  assert.equal(cache.lookup(withRingKey(id(3), ringKey(id(1)))), 'server-a')
  assert.equal(cache.lookupKey(ringKey(id(1))), 'server-a')
  cache.remember(withSuffix(id(1), '0000000000000001'), 'server-b')
  assert.equal(cache.lookup(id(1)), 'server-b', 'a newer hint wins')
  assert.equal(cache.size, 1)
})

test('bounded: never more than capacity entries, and recently used ones survive', () => {
  for (const capacity of [1, 2, 5, 64]) {
    const cache = new RouteCache(capacity)
    for (let i = 0; i < 10 * capacity + 3; i++) {
      cache.remember(id(i), i)
      // Keep touching id(0): it must never be evicted while it is used between every insert.
      if (capacity >= 2) assert.equal(cache.lookup(id(0)), 0, `capacity ${capacity}, step ${i}`)
      assert.ok(cache.size <= capacity, `capacity ${capacity}: ${cache.size} entries`)
    }
    // The latest entry is always there; something early and untouched is gone.
    assert.equal(cache.lookup(id(10 * capacity + 2)), 10 * capacity + 2)
    assert.equal(cache.lookup(id(1)), undefined)
  }
  assert.throws(() => new RouteCache(0), RangeError)
})

test('forgetServer drops every prefix a server held', () => {
  const cache = new RouteCache(100)
  for (let i = 0; i < 60; i++) cache.remember(id(i), i % 3)
  cache.forgetServer(1)
  assert.equal(cache.size, 40)
  for (let i = 0; i < 60; i++) assert.equal(cache.lookup(id(i)), i % 3 === 1 ? undefined : i % 3)
})

test('has() answers without counting as a use: an entry only checked still ages out', () => {
  const cache = new RouteCache(4)
  cache.remember(id(1), 'a')
  assert.equal(cache.has(id(1)), true)
  assert.equal(cache.has(id(2)), false)
  for (let i = 10; i < 20; i++) {
    cache.remember(id(i), 's')
    cache.has(id(1))
  }
  assert.equal(cache.has(id(1)), false, 'has() did not keep it young')
})
