// Underlay speed and memory: generating the i3 §6 transit-stub graph (10,000 routers), attaching
// 65,536 hosts, and latency/path queries between random host pairs, for the hierarchical route
// tables and for per-source Dijkstra rows in an LRU (cold and warm); plus the DOAT delay space.
// Run: node --expose-gc --import ./scripts/polyfills.mjs --import tsx bench/underlay.bench.ts
import { performance } from 'node:perf_hooks'
import { createRng } from '../src/core/rng.ts'
import { createDelaySpace } from '../src/sim/underlay/delay-space.ts'
import type { DijkstraRoutes } from '../src/sim/underlay/dijkstra-routes.ts'
import { createTransitStub } from '../src/sim/underlay/transit-stub.ts'
import type { Underlay } from '../src/sim/underlay/underlay.ts'

const HOSTS = 65_536
const gc = (globalThis as { gc?: () => void }).gc

function memoryMb(): number {
  gc?.()
  const m = process.memoryUsage()
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20
}

/** Typed-array backing stores only: steadier than heapUsed for structures made of typed arrays. */
function arrayBuffersMb(): number {
  gc?.()
  return process.memoryUsage().arrayBuffers / 2 ** 20
}

function randomPairs(count: number, hosts: number, seed: number): Int32Array {
  const rng = createRng(seed)
  const pairs = new Int32Array(2 * count)
  for (let i = 0; i < pairs.length; i++) pairs[i] = rng.int(hosts)
  return pairs
}

/** Queries per second over the pairs; the checksum keeps the work from being optimised away. */
function latencyRate(underlay: Underlay, pairs: Int32Array): { perS: number; checksum: number } {
  let checksum = 0
  const start = performance.now()
  for (let i = 0; i < pairs.length; i += 2) checksum += underlay.latency(pairs[i]!, pairs[i + 1]!)
  const s = (performance.now() - start) / 1000
  return { perS: pairs.length / 2 / s, checksum }
}

function pathRate(underlay: Underlay, pairs: Int32Array): { perS: number; meanLinks: number } {
  let links = 0
  const start = performance.now()
  for (let i = 0; i < pairs.length; i += 2) links += underlay.path(pairs[i]!, pairs[i + 1]!).length
  const s = (performance.now() - start) / 1000
  return { perS: pairs.length / 2 / s, meanLinks: (links * 2) / pairs.length }
}

function attachHosts(underlay: Underlay, seed: number): void {
  const rng = createRng(seed)
  underlay.addHost(rng, 'source')
  for (let i = 1; i < HOSTS; i++) underlay.addHost(rng, 'viewer')
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

console.log(`node ${process.version}, ${process.arch}; gc exposed: ${gc !== undefined}`)

// Memory first, before anything else has left garbage behind.
const baseMb = memoryMb()
const net = createTransitStub({}, createRng(1))
const topoMb = memoryMb() - baseMb
const beforeHosts = arrayBuffersMb()
attachHosts(net, 2)
const hostsMb = arrayBuffersMb() - beforeHosts

// Generation (median of 5), hierarchical tables included.
const genMs: number[] = []
for (let i = 0; i < 5; i++) {
  const before = performance.now()
  createTransitStub({}, createRng(1))
  genMs.push(performance.now() - before)
}
const genDijkstraMs: number[] = []
for (let i = 0; i < 5; i++) {
  const before = performance.now()
  createTransitStub({ routing: 'dijkstra' }, createRng(1))
  genDijkstraMs.push(performance.now() - before)
}
console.log(
  `transit-stub generation: ${net.graph.routerCount} routers, ${net.graph.linkCount} links: ` +
    `${fmt(median(genMs))} ms with hierarchical tables, ${fmt(median(genDijkstraMs))} ms graph only (median of 5)`,
)
console.log(`  memory for graph + hierarchical tables: ${fmt(topoMb)} MB`)
console.log(`  ${HOSTS} hosts attached: ${fmt(hostsMb)} MB of typed arrays`)

const pairs = randomPairs(2_000_000, HOSTS, 3)
const coldH = latencyRate(net, pairs)
const warmH = latencyRate(net, pairs)
console.log(
  `hierarchical latency, random host pairs: ${fmt(coldH.perS)} queries/s first pass, ${fmt(warmH.perS)} queries/s second pass`,
)
const pathPairs = randomPairs(200_000, HOSTS, 4)
const paths = pathRate(net, pathPairs)
console.log(`hierarchical path: ${fmt(paths.perS)} paths/s, ${fmt(paths.meanLinks)} links on average`)

// Dijkstra rows in a 512-row LRU, hosts on the same routers as above.
const dijkstraNet = createTransitStub({ routing: 'dijkstra', maxCachedRows: 512 }, createRng(1))
for (let h = 0; h < HOSTS; h++) dijkstraNet.attachHost(net.routerOf(h))
const cache = (dijkstraNet.routes as DijkstraRoutes).cache
const beforeCache = memoryMb()
const coldPairs = randomPairs(5_000, HOSTS, 5)
const coldD = latencyRate(dijkstraNet, coldPairs)
console.log(
  `dijkstra LRU (512 rows), cold, random host pairs: ${fmt(coldD.perS)} queries/s ` +
    `(${cache.rowsComputed} rows computed for ${coldPairs.length / 2} queries; ${fmt(1000 / (coldD.perS * (cache.rowsComputed / (coldPairs.length / 2))))} ms per row)`,
)
console.log(`  memory of the full cache: ${fmt(memoryMb() - beforeCache)} MB`)
// Warm: 256 senders (fits the cache) to random receivers, as in a simulation where a bounded set of
// relays sends most messages.
const senders = randomPairs(128, HOSTS, 6) // 256 host indices
const warmPairs = new Int32Array(2 * 2_000_000)
const rng = createRng(7)
for (let i = 0; i < warmPairs.length; i += 2) {
  warmPairs[i] = senders[rng.int(senders.length)]!
  warmPairs[i + 1] = rng.int(HOSTS)
}
latencyRate(dijkstraNet, warmPairs.subarray(0, 20_000))
const computedBefore = cache.rowsComputed
const warmD = latencyRate(dijkstraNet, warmPairs)
console.log(
  `dijkstra LRU, warm (256 senders, random receivers): ${fmt(warmD.perS)} queries/s (${cache.rowsComputed - computedBefore} misses)`,
)
if (coldH.checksum !== warmH.checksum) throw new Error('hierarchical answers changed between passes')

const space = createDelaySpace()
attachHosts(space, 8)
const ds = latencyRate(space, pairs)
console.log(`delay space latency, random host pairs: ${fmt(ds.perS)} queries/s`)
