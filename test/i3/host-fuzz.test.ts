// Handlers never throw on peer input: an end host fed mutated frames of every kind keeps working.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { createRng } from '../../src/core/rng.ts'
import {
  fsetId,
  type I3Id,
  i3Codec,
  jsetId,
  recoveryGroupId,
  ZERO_SUFFIX,
} from '../../src/overlays/i3/index.ts'
import type { I3Message } from '../../src/overlays/i3/messages.ts'
import { gapsAndRepeats, hostOf, hostSwarm, joinReceivers, recordingI3 } from './host-swarm.ts'

test('mutated frames of every kind, fed to the source and receivers, never throw; delivery goes on', () => {
  const { overlay, delivered } = recordingI3()
  const sim = hostSwarm({ seed: 8, servers: 6, overlay, params: { maxTriggersPerId: 3 } })
  const ids = joinReceivers(sim, 8, 100)
  sim.runUntil(6000)
  const rng = createRng(99)
  const targets: NodeId[] = [sim.sourceId, ...ids]
  const known: I3Id[] = []
  for (const id of ids) {
    const h = hostOf(sim, id)
    known.push(h.treeId, h.privateId, ...h.ancestors)
  }
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!
  const payload = new Uint8Array(4)
  const seeds = (): I3Message[] => {
    const id = pick(known)
    const seq = Math.floor(sim.now / 100) - rng.int(40)
    const chunk = {
      stream: 'x',
      seq,
      sourceTime: sim.now,
      stripe: -1,
      size: 4,
      payload,
      keyframe: true,
      auth: null,
    }
    return [
      {
        type: 'query',
        id: pick([jsetId(id), fsetId(id), id]),
        ttl: 9,
        origin: 3,
        nonce: rng.int(100),
        replyTo: pick(known),
      },
      {
        type: 'query-reply',
        id,
        ttl: 9,
        origin: pick(targets),
        nonce: rng.int(100),
        member: pick(known),
        timestamp: sim.now - rng.int(100),
        srcDist: rng.int(200),
        joinable: rng.next() < 0.5,
      },
      { type: 'refresh-ack', id, ttl: 9, origin: 3, trigger: pick(known) },
      {
        type: 'repair-req',
        id: recoveryGroupId(id, ZERO_SUFFIX),
        ttl: 9,
        origin: pick(targets),
        seq,
        replyTo: pick(known),
      },
      { type: 'chunk', id, ttl: 9, origin: 2, chunk, hops: rng.int(5), repair: rng.next() < 0.5 },
      {
        type: 'inserted',
        id,
        nonce: rng.int(200),
        result: pick(['ok', 'full', 'limit', 'cycle', 'rejected'] as const),
        count: rng.int(9),
        server: pick([1, 2, 3]),
      },
      { type: 'cache', id, server: pick([1, 2, 3, 4, 5, 6]) },
      {
        type: 'insert',
        id,
        ttl: 9,
        origin: 3,
        target: { kind: 'host', node: 3 },
        nonce: 1,
        refresh: false,
        probe: false,
      },
    ]
  }
  let fed = 0
  for (let round = 0; round < 60; round++) {
    for (let i = 0; i < 60; i++) {
      const frame = i3Codec.encode(pick(seeds()))
      for (let f = rng.int(3); f > 0; f--) frame[2 + rng.int(frame.length - 2)] = rng.int(256)
      let msg: I3Message
      try {
        msg = i3Codec.decode(frame)
      } catch {
        continue
      }
      const to = pick(targets)
      sim.protocol(to).onMessage(sim.now, pick([1, 2, 3, 'x']), msg)
      fed++
    }
    sim.runUntil(sim.now + 100)
  }
  assert.ok(fed > 2000, `${fed} decoded messages fed`)
  sim.runUntil(sim.now + 40_000)
  const lastSeq = Math.floor(sim.now / 100) - 5
  for (const id of ids) {
    assert.ok(hostOf(sim, id).joined, `receiver ${id} still in the tree`)
    const seqs = delivered.get(id)!
    assert.deepEqual(
      gapsAndRepeats(seqs, lastSeq - 100, lastSeq).missing,
      [],
      `receiver ${id} still receives`,
    )
  }
})
