import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRng } from '../../src/core/rng.ts'
import { DijkstraRoutes } from '../../src/sim/underlay/dijkstra-routes.ts'
import { HierarchicalRoutes } from '../../src/sim/underlay/hierarchical-routes.ts'
import type { RouteOracle } from '../../src/sim/underlay/route-oracle.ts'
import type { RouterGraph } from '../../src/sim/underlay/router-graph.ts'
import {
  resolveTransitStubOptions,
  type TransitStubOptions,
} from '../../src/sim/underlay/transit-stub-options.ts'
import { generateTransitStub } from '../../src/sim/underlay/transit-stub-topology.ts'
import { referenceDistances } from './reference-shortest-paths.ts'

const SMALL: Partial<TransitStubOptions> = {
  transitDomains: 3,
  routersPerTransitDomain: 4,
  stubDomainsPerTransitRouter: 2,
  routersPerStubDomain: 5,
}

/** Small topologies of several shapes: default density, trees only, dense domains, one-router domains. */
const smallTopologies = [
  {
    seed: 4,
    extra: {
      transitDomains: 1,
      routersPerTransitDomain: 1,
      stubDomainsPerTransitRouter: 3,
      routersPerStubDomain: 1,
    },
  },
  { seed: 5, extra: { transitDomains: 2, routersPerTransitDomain: 1, routersPerStubDomain: 2 } },
  { seed: 1, extra: {} },
  {
    seed: 2,
    extra: { intraTransitEdgeProbability: 0, intraStubEdgeProbability: 0, interTransitEdgeProbability: 0 },
  },
  {
    seed: 3,
    extra: { intraTransitEdgeProbability: 1, intraStubEdgeProbability: 0.8, interTransitEdgeProbability: 1 },
  },
].map(({ seed, extra }) =>
  generateTransitStub(resolveTransitStubOptions({ ...SMALL, ...extra }), createRng(seed)),
)

function assertPathConsistent(graph: RouterGraph, routes: RouteOracle, a: number, b: number): void {
  const links = routes.path(a, b)
  let at = a
  let sum = 0
  for (const link of links) {
    const ends = [graph.linkEnds[2 * link], graph.linkEnds[2 * link + 1]]
    assert.ok(ends.includes(at), `path ${a}->${b}: link ${link} does not touch router ${at}`)
    at = graph.otherEnd(link, at)
    sum += graph.linkLatencyMs[link]!
  }
  assert.equal(at, b, `path ${a}->${b} ends at ${at}`)
  assert.equal(new Set(links).size, links.length, `path ${a}->${b} repeats a link`)
  assert.equal(sum, routes.latency(a, b), `path ${a}->${b}: link latencies sum to ${sum}`)
}

test('hierarchical and Dijkstra routes equal a reference Dijkstra on every router pair', () => {
  for (const topo of smallTopologies) {
    const oracles = [new HierarchicalRoutes(topo), new DijkstraRoutes(topo.graph, 1000)]
    for (let a = 0; a < topo.graph.routerCount; a++) {
      const expected = referenceDistances(topo.graph, a)
      for (let b = 0; b < topo.graph.routerCount; b++) {
        for (const routes of oracles) assert.equal(routes.latency(a, b), expected[b], `latency ${a}->${b}`)
      }
    }
  }
})

test('latency is symmetric, zero on the diagonal, and obeys the triangle inequality', () => {
  for (const topo of smallTopologies) {
    const routes = new HierarchicalRoutes(topo)
    const n = topo.graph.routerCount
    for (let a = 0; a < n; a++) {
      assert.equal(routes.latency(a, a), 0)
      for (let b = 0; b < n; b++) {
        const ab = routes.latency(a, b)
        assert.equal(ab, routes.latency(b, a))
        if (a !== b) assert.ok(ab > 0)
        for (let c = 0; c < n; c++) assert.ok(ab <= routes.latency(a, c) + routes.latency(c, b))
      }
    }
  }
})

test('every path is a walk from a to b whose link latencies sum to the latency', () => {
  for (const topo of smallTopologies) {
    const oracles = [new HierarchicalRoutes(topo), new DijkstraRoutes(topo.graph, 1000)]
    for (let a = 0; a < topo.graph.routerCount; a++) {
      for (let b = 0; b < topo.graph.routerCount; b++) {
        for (const routes of oracles) assertPathConsistent(topo.graph, routes, a, b)
      }
    }
  }
})

test('on the 10,000-router i3 topology the hierarchical decomposition matches full Dijkstra rows', () => {
  const topo = generateTransitStub(resolveTransitStubOptions(), createRng(11))
  const hierarchical = new HierarchicalRoutes(topo)
  const dijkstra = new DijkstraRoutes(topo.graph, 40)
  const rng = createRng(12)
  const n = topo.graph.routerCount
  for (let i = 0; i < 40; i++) {
    const a = rng.int(n)
    for (let j = 0; j < 200; j++) {
      const b = rng.int(n)
      assert.equal(hierarchical.latency(a, b), dijkstra.latency(a, b), `latency ${a}->${b}`)
    }
    assertPathConsistent(topo.graph, hierarchical, a, rng.int(n))
  }
  assert.ok(dijkstra.cache.rowsComputed >= 40)
})

test('the row cache never holds more than its bound and stays correct while evicting', () => {
  const topo = smallTopologies[2]!
  const n = topo.graph.routerCount
  const reference = Array.from({ length: n }, (_, a) => referenceDistances(topo.graph, a))
  const routes = new DijkstraRoutes(topo.graph, 4)
  const rng = createRng(5)
  for (let i = 0; i < 3000; i++) {
    const a = rng.int(n)
    const b = rng.int(n)
    assert.equal(routes.latency(a, b), reference[a]![b])
    if (i % 7 === 0) assertPathConsistent(topo.graph, routes, a, b)
    assert.ok(routes.cache.cachedRows <= 4, `${routes.cache.cachedRows} rows cached`)
  }
  assert.equal(routes.cache.cachedRows, 4)
  assert.ok(
    routes.cache.rowsComputed > 100,
    `only ${routes.cache.rowsComputed} rows computed: no eviction happened`,
  )
})

test('the row cache evicts the least recently used row', () => {
  const topo = smallTopologies[2]!
  const routes = new DijkstraRoutes(topo.graph, 3)
  const cache = routes.cache
  for (const source of [10, 20, 30]) cache.row(source)
  cache.row(10) // 20 is now the oldest
  cache.row(40)
  assert.equal(cache.cached(20), undefined)
  for (const source of [10, 30, 40]) assert.equal(cache.cached(source)?.source, source)
  assert.equal(cache.rowsComputed, 4)
  // A query served from the cached row of either endpoint computes nothing new.
  routes.latency(99, 30)
  assert.equal(cache.rowsComputed, 4)
})
