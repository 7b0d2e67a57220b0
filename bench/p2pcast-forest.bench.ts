// P2PCast forest at scale (f = 2): tree heights vs N, control work per join and per deletion, and
// how fast the registry runs the transitions. Uses the registry exactly as the overlay does
// (random contact, the paper's cases, UPDATE fan-out), without the network.
// Run: node --import ./scripts/polyfills.mjs --import tsx bench/p2pcast-forest.bench.ts
import { createRng } from '../src/core/rng.ts'
import { Registry, treeHeights } from '../src/overlays/p2pcast/index.ts'

const SIZES = [1_000, 10_000, 100_000]
const CHURN_OPS = 2_000

console.log(`machine: ${process.arch}, Node ${process.version}; f = 2; one run per size, seed 1`)
console.log(
  'N        height(t0,t1)  2*log2N  join: rpcs+hops  UPDATEs  | delete: rpcs+hops  UPDATEs  fallbacks | joins/s',
)
for (const n of SIZES) {
  const rng = createRng(1, n)
  const registry = new Registry(2, 0, rng)
  const ids: number[] = []
  let joinWork = 0
  let joinUpdates = 0
  const t0 = performance.now()
  for (let i = 1; i <= n; i++) {
    const r = registry.join(i)
    joinWork += r.cost!.rpcs + r.cost!.walkHops
    joinUpdates += r.updates.length
    ids.push(i)
  }
  const joinsPerS = n / ((performance.now() - t0) / 1000)
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
    registry.join(next)
    ids.push(next++)
  }
  const h = treeHeights(registry.forest)
  console.log(
    `${String(n).padEnd(8)} ${`${h[0]},${h[1]}`.padEnd(14)} ${(2 * Math.log2(n)).toFixed(1).padEnd(8)} ${(joinWork / n).toFixed(2).padEnd(16)} ${(joinUpdates / n).toFixed(2).padEnd(8)} | ${(delWork / CHURN_OPS).toFixed(2).padEnd(17)} ${(delUpdates / CHURN_OPS).toFixed(2).padEnd(8)} ${String(fallbacks).padEnd(9)} | ${Math.round(joinsPerS)}`,
  )
}
