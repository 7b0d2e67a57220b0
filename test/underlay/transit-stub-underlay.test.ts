import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { latencyStretch, linkStress } from '../../src/sim/underlay/link-stress.ts'
import { createTransitStub } from '../../src/sim/underlay/transit-stub.ts'

const SMALL = {
  transitDomains: 3,
  routersPerTransitDomain: 4,
  stubDomainsPerTransitRouter: 2,
  routersPerStubDomain: 5,
}

test('hosts attach to stub routers chosen uniformly, deterministically by seed', () => {
  const net = createTransitStub(SMALL, createRng(1))
  const again = createTransitStub(SMALL, createRng(1))
  const rng = createRng(2)
  const rngAgain = createRng(2)
  const stubRouters = net.topology.stubDomainCount * net.topology.routersPerStubDomain
  const perRouter = new Array<number>(stubRouters).fill(0)
  const hosts = 12_000
  for (let i = 0; i < hosts; i++) {
    assert.equal(net.addHost(rng, i === 0 ? 'source' : 'viewer'), i)
    assert.equal(again.addHost(rngAgain, 'viewer'), i)
    const router = net.routerOf(i)
    assert.equal(router, again.routerOf(i))
    assert.ok(router >= net.topology.stubBase, `host ${i} on transit router ${router}`)
    perRouter[router - net.topology.stubBase]!++
  }
  assert.equal(net.hostCount, hosts)
  // 120 stub routers, 100 hosts expected each: every router used, none far off.
  assert.ok(
    Math.min(...perRouter) > 60 && Math.max(...perRouter) < 140,
    `spread ${Math.min(...perRouter)}..${Math.max(...perRouter)}`,
  )
})

test('host latency is the router latency; hosts on one LAN are 0 ms apart over no links', () => {
  const net = createTransitStub(SMALL, createRng(3))
  const router = net.topology.stubBase + 7
  const a = net.attachHost(router)
  const b = net.attachHost(router)
  const far = net.attachHost(net.graph.routerCount - 1)
  assert.equal(net.latency(a, b), 0)
  assert.deepEqual(net.path(a, b), [])
  assert.equal(net.latency(a, far), net.routes.latency(router, net.graph.routerCount - 1))
  assert.ok(net.latency(a, far) > 0)
  assert.deepEqual(net.path(a, far), net.routes.path(router, net.graph.routerCount - 1))
  assert.equal(net.latency(far, a), net.latency(a, far))
})

test('locators are host indices and their distance is the exact latency; garbage gives Infinity', () => {
  const net = createTransitStub(SMALL, createRng(4))
  const rng = createRng(5)
  const hosts = Array.from({ length: 20 }, () => net.addHost(rng, 'viewer'))
  for (const a of hosts) {
    for (const b of hosts)
      assert.equal(net.locatorDistance(net.locator(a), net.locator(b)), net.latency(a, b))
  }
  assert.deepEqual(net.locator(3), [3])
  assert.equal(net.locatorDistance([0], [99]), Number.POSITIVE_INFINITY)
  assert.equal(net.locatorDistance([], [0]), Number.POSITIVE_INFINITY)
  assert.equal(net.locatorDistance([0.5], [0]), Number.POSITIVE_INFINITY)
})

test('unknown hosts and routers are refused with a RangeError', () => {
  const net = createTransitStub(SMALL, createRng(6))
  net.attachHost(net.topology.stubBase)
  assert.throws(() => net.latency(0, 1), RangeError)
  assert.throws(() => net.path(-1, 0), RangeError)
  assert.throws(() => net.attachHost(net.graph.routerCount), RangeError)
})

test('hierarchical and dijkstra routing give the same host latencies', () => {
  const hier = createTransitStub(SMALL, createRng(8))
  const dijk = createTransitStub({ ...SMALL, routing: 'dijkstra', maxCachedRows: 8 }, createRng(8))
  const rng = createRng(9)
  for (let i = 0; i < 200; i++) {
    const h = hier.addHost(rng, 'viewer')
    dijk.attachHost(hier.routerOf(h))
  }
  for (let a = 0; a < 200; a++)
    for (let b = 0; b < 200; b += 7) assert.equal(hier.latency(a, b), dijk.latency(a, b))
})

test('link stress counts copies per physical link; stretch divides by unicast latency', () => {
  const net = createTransitStub(SMALL, createRng(10))
  const source = net.attachHost(net.topology.stubBase)
  const far = net.attachHost(net.graph.routerCount - 1)
  const nearFar = net.attachHost(net.graph.routerCount - 1)
  const direct = net.path(source, far)
  assert.ok(direct.length > 0)
  // The source unicasts twice to the same LAN: every link on the way carries two copies.
  const twice = linkStress(net, [
    [source, far],
    [source, nearFar],
  ])
  assert.deepEqual([...twice.keys()].sort(), [...direct].sort())
  assert.deepEqual([...new Set(twice.values())], [2])
  // Relaying through the LAN neighbour adds no link crossings.
  const relayed = linkStress(net, [
    [source, far],
    [far, nearFar],
  ])
  assert.deepEqual([...new Set(relayed.values())], [1])
  assert.equal(latencyStretch(net, source, far, 2 * net.latency(source, far)), 2)
  assert.equal(latencyStretch(net, far, nearFar, 5), 1)
})
