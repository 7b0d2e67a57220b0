// Randomized operations on peer mode in the simulator: bursts of concurrent joins, leaves and
// crashes, then quiet time, then every rule of §3 on the forest the peers hold. A violation names
// the seed, the round and the burst's operations, so it can be replayed.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkForest } from '../../src/overlays/p2pcast/index.ts'
import { PeerRun } from './peer-harness.ts'

const SEEDS = Array.from({ length: Number(process.env.P2PCAST_PEER_SEEDS ?? 8) }, (_, i) => 100 + i)
const ROUNDS = 25
const BURST = 4
/** Quiet time after a burst: failure detection (1.5 s), probe, deletion retries and joins settle. */
const QUIET_MS = 15_000
const MAX_DEPARTURES = Number(process.env.P2PCAST_PEER_DEPARTURES ?? 1)

for (const join of ['registry', 'walk'] as const) {
  test(`peer mode (join ${join}): ${SEEDS.length * ROUNDS * BURST} random operations in bursts; the forest is whole after each`, () => {
    for (const seed of SEEDS) {
      const run = new PeerRun(seed, { join })
      for (let i = 0; i < 12; i++) run.sim.at(i * 400, () => run.add())
      run.sim.runUntil(20_000)
      run.assertWhole('after the first 12 joins')
      for (let round = 0; round < ROUNDS; round++) {
        const ops: string[] = []
        let departures = 0
        for (let k = 0; k < BURST; k++) {
          const live = run.sim.liveViewers()
          const r = run.rng.next()
          if (live.length < 8 || r < 0.5 || departures >= MAX_DEPARTURES) ops.push(`join ${run.add()}`)
          else {
            const victim = live[run.rng.int(live.length)]!
            departures++
            if (r < 0.75) run.sim.leave(victim)
            else run.sim.crash(victim)
            ops.push(`${r < 0.75 ? 'leave' : 'crash'} ${victim}`)
          }
          run.sim.runUntil(run.sim.now + 100 + run.rng.int(300))
        }
        run.sim.runUntil(run.sim.now + QUIET_MS)
        const where = `join ${join}, seed ${seed}, round ${round}: ${ops.join(', ')}`
        assert.deepEqual(checkForest(run.view()), [], `forest rules (${where})`)
        assert.deepEqual(
          run.sim.liveViewers().filter((id) => !run.node(id).isMember),
          [],
          `every live viewer is in the forest (${where})`,
        )
      }
    }
  })
}
