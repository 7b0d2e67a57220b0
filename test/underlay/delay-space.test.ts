import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { createDelaySpace } from '../../src/sim/underlay/delay-space.ts'

test('the source sits at the centre and no peer is more than 140 ms from it', () => {
  const space = createDelaySpace()
  const rng = createRng(1)
  const source = space.addHost(rng, 'source')
  assert.deepEqual(space.position(source), [0, 0])
  let maxFromSource = 0
  for (let i = 0; i < 20_000; i++) {
    const h = space.addHost(rng, 'viewer')
    maxFromSource = Math.max(maxFromSource, space.latency(source, h))
  }
  assert.ok(maxFromSource <= 140, `max ${maxFromSource}`)
  // Uniform over a square of half-side 99 ms: some peer lands within ~2 ms of a corner.
  assert.ok(maxFromSource > 137, `max ${maxFromSource}`)
  assert.ok(Math.abs(Math.hypot(space.halfWidthMs, space.halfHeightMs) - 140) < 1e-9)
})

test('the rectangle keeps the aspect ratio with its half-diagonal at the max delay', () => {
  const space = createDelaySpace({ aspectRatio: 2, maxDelayFromSourceMs: 100 })
  assert.ok(Math.abs(space.halfWidthMs / space.halfHeightMs - 2) < 1e-12)
  assert.ok(Math.abs(Math.hypot(space.halfWidthMs, space.halfHeightMs) - 100) < 1e-9)
  const rng = createRng(2)
  for (let i = 0; i < 2000; i++) {
    const [x, y] = space.position(space.addHost(rng, 'viewer'))
    assert.ok(Math.abs(x) <= space.halfWidthMs && Math.abs(y) <= space.halfHeightMs)
  }
  assert.throws(() => createDelaySpace({ aspectRatio: 0 }), /aspectRatio/)
  assert.throws(() => createDelaySpace({ maxDelayFromSourceMs: -1 }), /maxDelayFromSourceMs/)
})

test('latency is Euclidean: symmetric, zero on the diagonal, triangle inequality; no links', () => {
  const space = createDelaySpace()
  const rng = createRng(3)
  const hosts = Array.from({ length: 60 }, () => space.addHost(rng, 'viewer'))
  for (const a of hosts) {
    assert.equal(space.latency(a, a), 0)
    assert.deepEqual(space.path(a, a), [])
    for (const b of hosts) {
      const ab = space.latency(a, b)
      assert.equal(ab, space.latency(b, a))
      assert.ok(ab <= 280)
      const [ax, ay] = space.position(a)
      const [bx, by] = space.position(b)
      assert.ok(Math.abs(ab - Math.hypot(ax - bx, ay - by)) < 1e-9)
      assert.equal(space.locatorDistance(space.locator(a), space.locator(b)), ab)
      for (const c of hosts) assert.ok(ab <= space.latency(a, c) + space.latency(c, b) + 1e-9)
    }
  }
  assert.deepEqual(space.path(hosts[0]!, hosts[1]!), [])
})

test('positions are deterministic by seed; garbage locators and unknown hosts are handled', () => {
  const draw = (seed: number) => {
    const space = createDelaySpace()
    const rng = createRng(seed)
    return Array.from({ length: 50 }, () => space.position(space.addHost(rng, 'viewer')))
  }
  assert.deepEqual(draw(4), draw(4))
  assert.notDeepEqual(draw(4), draw(5))
  const space = createDelaySpace()
  space.addHost(createRng(1), 'source')
  assert.equal(space.locatorDistance([0, 0], [3, 4]), 5)
  assert.equal(space.locatorDistance([0], [3, 4]), Number.POSITIVE_INFINITY)
  assert.equal(space.locatorDistance([Number.NaN, 0], [3, 4]), Number.POSITIVE_INFINITY)
  assert.throws(() => space.latency(0, 1), RangeError)
})
