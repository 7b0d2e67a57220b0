import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hopLossRates } from '../../src/experiment/i3/loss-rates.ts'
import { ReliabilityLog } from '../../src/experiment/i3/reliability-metrics.ts'

/** Chunks 0..11 reach `receiver` 100 ms apart, except the listed ones. */
function steadyArrivals(log: ReliabilityLog, receiver: number, missing: readonly number[]): void {
  for (let seq = 0; seq <= 11; seq++)
    if (!missing.includes(seq)) log.chunkArrived(receiver, seq, false, seq * 100)
}

test('drops, recoveries, duplicates and repair requests are counted per the Table 1 / Fig. 13 definitions', () => {
  const log = new ReliabilityLog({ fromSeq: 0, toSeq: 9, marginSeqs: 2 })
  steadyArrivals(log, 1, [3])
  log.chunkArrived(1, 3, true, 650) // detected when seq 4 came (400 ms): 250 ms to recover
  log.chunkArrived(1, 5, true, 700) // a subtree repair for someone else: a duplicate here
  steadyArrivals(log, 2, [9])
  log.repairRequestSent(1, 3, true)
  log.repairRequestSent(1, 3, true) // re-sent after the timeout: counts again
  log.repairRequestSent(2, 9, true)
  log.repairRequestSent(1, 9, false) // receiver 1 could not answer 2's request: escalated
  log.repairRequestSent(2, 20, true) // outside the window: ignored
  for (const seq of [3, 5, 9]) log.repairRequestReceived(1, seq)
  log.repairRequestReceived(2, 4)
  const m = log.metrics()
  assert.equal(m.receivers, 2)
  assert.equal(m.windowSeqs, 10)
  assert.equal(m.drops, 2)
  assert.equal(m.dropRate, 0.1)
  assert.equal(m.recovered, 1)
  assert.equal(m.unrecovered, 1)
  assert.equal(m.receiversWithUnrecovered, 1)
  assert.equal(m.duplicates, 1)
  assert.equal(m.duplicatesPerDrop, 0.5)
  assert.equal(m.repairRequestsSent, 4)
  assert.equal(m.repairsPerDrop, 2)
  assert.equal(m.ownRequestsPerDrop, 1.5)
  assert.equal(m.escalationsPerDrop, 0.5)
  assert.equal(m.maxRepairRequestsPerSeq, 0.3)
  assert.equal(m.maxRepairRequestsReceiver, 1)
  assert.equal(m.recoveryMs.count, 1)
  assert.equal(m.recoveryMs.p50, 250)
  assert.equal(m.recoveredWithin600Ms, 1)
})

test('a repair that beats the gap detection recovers in 0 ms; a silent receiver drops the whole window', () => {
  const log = new ReliabilityLog({ fromSeq: 10, toSeq: 14, marginSeqs: 0 })
  log.addReceiver(7)
  log.chunkArrived(3, 10, false, 0)
  log.chunkArrived(3, 11, true, 50) // repair first, the next chunk only later
  for (const seq of [12, 13, 14]) log.chunkArrived(3, seq, false, seq * 100)
  const m = log.metrics()
  assert.equal(m.drops, 1 + 5)
  assert.equal(m.recovered, 1)
  assert.equal(m.recoveryMs.max, 0)
  assert.equal(m.receiversWithUnrecovered, 1)
  assert.equal(m.recoveredWithin600Ms, 1)
  // Nothing recovered at all: no fraction to report.
  assert.equal(
    new ReliabilityLog({ fromSeq: 0, toSeq: 0, marginSeqs: 0 }).metrics().recoveredWithin600Ms,
    null,
  )
})

test('recovery times over 600 ms lower the within-600 fraction', () => {
  const log = new ReliabilityLog({ fromSeq: 0, toSeq: 9, marginSeqs: 2 })
  steadyArrivals(log, 1, [2, 6])
  log.chunkArrived(1, 2, true, 300 + 200)
  log.chunkArrived(1, 6, true, 700 + 900)
  const m = log.metrics()
  assert.equal(m.recovered, 2)
  assert.equal(m.recoveredWithin600Ms, 0.5)
  assert.equal(m.recoveredWithin2400Ms, 1)
  assert.deepEqual(
    m.recoveryCdf.map((p) => p.x),
    [200, 900],
  )
})

test('§6.3 hop loss: i3 hops U[0, 4%) per server pair, last hops U[0, 8%) per end host, nothing upstream', () => {
  const loss = hopLossRates({ serverCount: 50, i3HopMax: 0.04, lastHopMax: 0.08, seed: 9 })
  const i3: number[] = []
  for (let a = 1; a <= 50; a++)
    for (let b = a + 1; b <= 50; b++) {
      const r = loss.lossOf(a, b)
      assert.equal(r, loss.lossOf(b, a), 'one rate per server pair, both directions')
      i3.push(r)
    }
  const last: number[] = []
  for (let host = 51; host < 2051; host++) {
    const r = loss.lossOf(7, host)
    assert.equal(r, loss.lossOf(3, host), 'the same access hop from any server')
    assert.equal(loss.lossOf(host, 7), 0, 'end host -> server has no rate in the paper')
    last.push(r)
  }
  for (const [rates, max] of [
    [i3, 0.04],
    [last, 0.08],
  ] as const) {
    assert.ok(Math.min(...rates) >= 0 && Math.max(...rates) < max)
    const mean = rates.reduce((s, r) => s + r, 0) / rates.length
    assert.ok(Math.abs(mean - max / 2) < max * 0.05, `mean ${mean} vs ${max / 2}`)
    assert.ok(Math.max(...rates) > max * 0.95 && Math.min(...rates) < max * 0.05, 'the whole range is used')
  }
  assert.equal(loss.lossOf(0, 5), 0, 'the source uplink is lossless')
  assert.ok(loss.lossOf(5, 0) > 0, 'servers to the source use its last-hop rate')
  assert.equal(loss.lastHopRate(77), loss.lossOf(1, 77))
  assert.equal(loss.i3HopRate(4, 9), loss.lossOf(9, 4))
  const other = hopLossRates({ serverCount: 50, i3HopMax: 0.04, lastHopMax: 0.08, seed: 10 })
  assert.notEqual(other.lossOf(1, 2), loss.lossOf(1, 2), 'the seed changes the draws')
})
