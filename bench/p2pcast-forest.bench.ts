// P2PCast forest at scale: tree heights vs N, control work per join and per deletion, and how fast
// the registry runs the transitions. Uses the registry exactly as the overlay does (random contact,
// the paper's cases, UPDATE fan-out), without the network.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-forest.bench.ts [stripes] [N...]
// (stripes defaults to 2, N to 1,000 10,000 100,000). With f > 2, "rebuilds" counts operations
// done by building the whole forest anew after every local try dead-ended (bootstrap.ts).
import { createRng } from '../src/core/rng.ts'
import { Registry, treeHeights } from '../src/overlays/p2pcast/index.ts'

const f = Number(process.argv[2] ?? 2)
const SIZES = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1_000, 10_000, 100_000]
const CHURN_OPS = 2_000

const heightsOf = (h: number[]) => (f === 2 ? h.join(',') : `${Math.max(...h)} (${Math.min(...h)})`)

console.log(`machine: ${process.arch}, Node ${process.version}; f = ${f}; one run per size, seed 1`)
if (f === 2) {
  console.log(
    'N        height(t0,t1)  2*log2N  join: rpcs+hops  UPDATEs  | delete: rpcs+hops  UPDATEs  fallbacks | joins/s',
  )
} else {
  console.log(
    'N        height max(min): joins  churn     log_f N  2*log_f N  join: work  UPDATEs  | delete: work  UPDATEs  fallbacks  rebuilds (join+churn) | joins/s',
  )
}
for (const n of SIZES) {
  // f = 2 keeps the exact draws the figures in docs/BENCHMARKS.md were measured with.
  const rng = f === 2 ? createRng(1, n) : createRng(1, n * 32 + f)
  const registry = new Registry(f, 0, rng)
  const ids: number[] = []
  let joinWork = 0
  let joinUpdates = 0
  let rebuilds = 0
  const t0 = performance.now()
  for (let i = 1; i <= n; i++) {
    const r = registry.join(i)
    joinWork += r.cost!.rpcs + r.cost!.walkHops
    joinUpdates += r.updates.length
    rebuilds += r.cost!.rebuilds
    ids.push(i)
  }
  const joinsPerS = n / ((performance.now() - t0) / 1000)
  const joinHeights = treeHeights(registry.forest)
  const joinRebuilds = rebuilds
  let delWork = 0
  let delUpdates = 0
  let fallbacks = 0
  let next = n + 1
  // Steady churn: one deletion of a random member, then one join.
  for (let k = 0; k < CHURN_OPS; k++) {
    const at = rng.int(ids.length)
    const victim = ids[at]!
    ids[at] = ids[ids.length - 1]!
    ids.pop()
    const r = registry.delete(victim, victim)
    delWork += r.cost!.rpcs + r.cost!.walkHops
    delUpdates += r.updates.length
    fallbacks += r.cost!.fallbacks
    rebuilds += r.cost!.rebuilds
    rebuilds += registry.join(next).cost!.rebuilds
    ids.push(next++)
  }
  const h = treeHeights(registry.forest)
  if (f === 2) {
    console.log(
      `${String(n).padEnd(8)} ${`${h[0]},${h[1]}`.padEnd(14)} ${(2 * Math.log2(n)).toFixed(1).padEnd(8)} ${(joinWork / n).toFixed(2).padEnd(16)} ${(joinUpdates / n).toFixed(2).padEnd(8)} | ${(delWork / CHURN_OPS).toFixed(2).padEnd(17)} ${(delUpdates / CHURN_OPS).toFixed(2).padEnd(8)} ${String(fallbacks).padEnd(9)} | ${Math.round(joinsPerS)}`,
    )
    continue
  }
  const logF = Math.log(n) / Math.log(f)
  console.log(
    `${String(n).padEnd(8)} ${heightsOf(joinHeights).padEnd(22)} ${heightsOf(h).padEnd(9)} ${logF.toFixed(1).padEnd(8)} ${(2 * logF).toFixed(1).padEnd(10)} ${(joinWork / n).toFixed(2).padEnd(11)} ${(joinUpdates / n).toFixed(2).padEnd(8)} | ${(delWork / CHURN_OPS).toFixed(2).padEnd(13)} ${(delUpdates / CHURN_OPS).toFixed(2).padEnd(8)} ${String(fallbacks).padEnd(10)} ${`${joinRebuilds}+${rebuilds - joinRebuilds}`.padEnd(21)} | ${Math.round(joinsPerS)}`,
  )
}
