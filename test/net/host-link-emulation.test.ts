import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { type HelloHost, makeChunk, startSource, startViewer } from './fixtures/hosts.ts'
import { waitFor } from './fixtures/wait.ts'

const hosts: HelloHost[] = []
after(async () => {
  await Promise.all(hosts.map((h) => h.stop(false)))
})

test('link emulation on the send path: seeded loss, delay and an upload cap, order kept', async () => {
  const { host: source } = await startSource({
    seed: 11,
    linkProfile: () => ({ delayMs: 20, jitterMs: 10, loss: 0.2, uploadKbps: 8000 }),
  })
  hosts.push(source)
  const viewer = await startViewer(source)
  hosts.push(viewer)
  await waitFor('hello', () => source.topology().children.length === 1)
  const total = 200
  for (let seq = 0; seq < total; seq++) source.publish(makeChunk(source.peerId, seq))
  await waitFor(
    'every chunk to be sent or lost',
    () => source.stats.framesOut + source.stats.linkLost === total,
  )
  await waitFor('the survivors', () => viewer.received.length === total - source.stats.linkLost)
  const lossRate = source.stats.linkLost / total
  assert.ok(lossRate > 0.1 && lossRate < 0.3, `loss ${lossRate}`)
  const seqs = viewer.received.map((r) => r.seq)
  assert.ok(
    seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
    'no reordering',
  )
})
