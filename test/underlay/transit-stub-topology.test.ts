import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { LINK_CLASSES } from '../../src/sim/underlay/router-graph.ts'
import { I3_TRANSIT_STUB, resolveTransitStubOptions } from '../../src/sim/underlay/transit-stub-options.ts'
import {
  generateTransitStub,
  LATENCY_QUANTUM_PER_MS,
  latencyRangeOf,
} from '../../src/sim/underlay/transit-stub-topology.ts'
import { reachable } from './reference-shortest-paths.ts'

const i3 = generateTransitStub(resolveTransitStubOptions(), createRng(7))

test('the i3 defaults give 10,000 routers: 10 transit domains x 10 routers, 9 stubs of 11 per transit router', () => {
  assert.equal(i3.graph.routerCount, 10_000)
  assert.equal(i3.transitRouterCount, 100)
  assert.equal(i3.stubDomainCount, 900)
  assert.equal(i3.routersPerStubDomain, 11)
  assert.equal(i3.stubBase, 100)
})

test('each stub domain has exactly one uplink, from its gateway to its own transit router', () => {
  const o = i3.options
  const uplinksPerStub = new Int32Array(i3.stubDomainCount)
  const { graph } = i3
  for (let l = 0; l < graph.linkCount; l++) {
    const a = graph.linkEnds[2 * l]!
    const b = graph.linkEnds[2 * l + 1]!
    const transitEnds = Number(a < i3.stubBase) + Number(b < i3.stubBase)
    const cls = graph.linkClass(l)
    if (cls === 'transit-stub') {
      assert.equal(transitEnds, 1)
      const stubRouter = Math.max(a, b)
      const s = Math.floor((stubRouter - i3.stubBase) / i3.routersPerStubDomain)
      uplinksPerStub[s]!++
      assert.equal(i3.stubUplink[s], l)
      assert.equal(i3.stubGateway[s], stubRouter)
      assert.equal(i3.stubTransitRouter[s], Math.min(a, b))
      assert.equal(i3.stubTransitRouter[s], Math.floor(s / o.stubDomainsPerTransitRouter))
    } else if (cls === 'intra-stub') {
      assert.equal(transitEnds, 0)
      const sa = Math.floor((a - i3.stubBase) / i3.routersPerStubDomain)
      const sb = Math.floor((b - i3.stubBase) / i3.routersPerStubDomain)
      assert.equal(sa, sb, `intra-stub link ${l} joins two stub domains`)
    } else {
      assert.equal(transitEnds, 2)
      const da = Math.floor(a / o.routersPerTransitDomain)
      const db = Math.floor(b / o.routersPerTransitDomain)
      assert.equal(da === db, cls === 'intra-transit', `link ${l} class ${cls} between domains ${da}, ${db}`)
    }
  }
  assert.deepEqual([...new Set(uplinksPerStub)], [1])
})

test('the whole graph and every domain on its own are connected', () => {
  const { graph } = i3
  assert.equal(reachable(graph, 0), graph.routerCount)
  const R = i3.options.routersPerTransitDomain
  for (let d = 0; d < i3.options.transitDomains; d++)
    assert.equal(reachable(graph, d * R, d * R, d * R + R), R)
  const S = i3.routersPerStubDomain
  for (let s = 0; s < i3.stubDomainCount; s++) {
    const lo = i3.stubBase + s * S
    assert.equal(reachable(graph, lo, lo, lo + S), S, `stub domain ${s} is disconnected`)
  }
  // The domain-level graph is connected too: all transit routers reach each other inside the core.
  assert.equal(reachable(graph, 0, 0, i3.transitRouterCount), i3.transitRouterCount)
})

test('link latencies lie in the configured range of their class, on the 1/1024 ms grid', () => {
  const custom = resolveTransitStubOptions({
    transitDomains: 3,
    routersPerTransitDomain: 4,
    stubDomainsPerTransitRouter: 2,
    routersPerStubDomain: 5,
    intraTransitMs: [2, 2.5],
    interTransitMs: [40, 41],
    transitStubMs: [7, 7],
    intraStubMs: [0.25, 0.5],
  })
  for (const topo of [i3, generateTransitStub(custom, createRng(3))]) {
    const seenClasses = new Set<string>()
    const { graph } = topo
    for (let l = 0; l < graph.linkCount; l++) {
      const cls = graph.linkClass(l)
      seenClasses.add(cls)
      const [min, max] = latencyRangeOf(topo.options, cls)
      const ms = graph.linkLatencyMs[l]!
      assert.ok(ms >= min && ms <= max, `${cls} link ${l}: ${ms} ms outside [${min}, ${max}]`)
      assert.ok(Number.isInteger(ms * LATENCY_QUANTUM_PER_MS), `link ${l}: ${ms} ms off the grid`)
    }
    assert.deepEqual([...seenClasses].sort(), [...LINK_CLASSES].sort())
  }
  // The draws spread over the range rather than sitting at one value.
  const inter = [...i3.graph.linkLatencyMs].filter((_, l) => i3.graph.linkClass(l) === 'inter-transit')
  assert.ok(
    Math.min(...inter) < 30 && Math.max(...inter) > 40,
    `inter-transit spread ${Math.min(...inter)}..${Math.max(...inter)}`,
  )
})

test('generation is deterministic by seed', () => {
  const small = resolveTransitStubOptions({ transitDomains: 4, stubDomainsPerTransitRouter: 3 })
  const a = generateTransitStub(small, createRng(42))
  const b = generateTransitStub(small, createRng(42))
  const c = generateTransitStub(small, createRng(43))
  assert.deepEqual(a.graph.linkEnds, b.graph.linkEnds)
  assert.deepEqual(a.graph.linkLatencyMs, b.graph.linkLatencyMs)
  assert.deepEqual(a.stubGateway, b.stubGateway)
  assert.notDeepEqual(a.graph.linkLatencyMs, c.graph.linkLatencyMs)
})

test('options are validated with messages that name the field', () => {
  assert.throws(() => resolveTransitStubOptions({ routersPerStubDomain: 0 }), /routersPerStubDomain/)
  assert.throws(
    () => resolveTransitStubOptions({ intraStubEdgeProbability: 1.5 }),
    /intraStubEdgeProbability/,
  )
  assert.throws(() => resolveTransitStubOptions({ interTransitMs: [50, 20] }), /interTransitMs/)
  assert.throws(() => resolveTransitStubOptions({ routing: 'floyd' as 'dijkstra' }), /routing/)
  assert.equal(I3_TRANSIT_STUB.routing, 'hierarchical')
})
