import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeContext, Overlay } from '../../src/core/protocol.ts'
import { createRng } from '../../src/core/rng.ts'
import { createTransitStub } from '../../src/sim/underlay/transit-stub.ts'
import { type Probe, ProbeNode, probeCodec } from './fixtures/probe-overlay.ts'
import { makeSim, UNLIMITED } from './helpers.ts'

/** The probe overlay, remembering each node's context. */
function recordingOverlay(): { overlay: Overlay<Probe, Record<string, never>>; contexts: NodeContext[] } {
  const contexts: NodeContext[] = []
  return {
    contexts,
    overlay: {
      name: 'probe',
      codec: probeCodec,
      parseParams: () => ({}),
      createNode: (env, ctx) => {
        contexts.push(ctx)
        return new ProbeNode(env)
      },
    },
  }
}

test('servers are nodes 1..count, know each other, and every end host sits on one server LAN', () => {
  const { overlay, contexts } = recordingOverlay()
  const underlay = createTransitStub(
    {
      transitDomains: 2,
      routersPerTransitDomain: 3,
      stubDomainsPerTransitRouter: 2,
      routersPerStubDomain: 4,
    },
    createRng(3),
  )
  const sim = makeSim(overlay, {}, { underlay, servers: { count: 5 } })
  for (let i = 0; i < 20; i++) sim.addViewer(UNLIMITED)
  assert.deepEqual(sim.servers, [1, 2, 3, 4, 5])
  assert.deepEqual(
    contexts.slice(0, 6).map((c) => c.role),
    ['source', 'server', 'server', 'server', 'server', 'server'],
  )
  for (const ctx of contexts.slice(1, 6)) assert.deepEqual(ctx.servers, [1, 2, 3, 4, 5])
  const endHosts = [0, ...sim.liveViewers()]
  assert.equal(sim.liveViewers().length, 20)
  assert.equal(sim.liveViewerCount, 20)
  for (const id of endHosts) {
    const servers = contexts[id as number]!.servers
    assert.equal(servers?.length, 1, `node ${id} knows its nearest server`)
    const server = servers[0]!
    assert.ok(sim.isServer(server))
    assert.equal(underlay.routerOf(sim.hostOf(id)), underlay.routerOf(sim.hostOf(server)), 'same stub LAN')
    assert.equal(underlay.latency(sim.hostOf(id), sim.hostOf(server)), 0)
  }
  // Hosts spread over several servers, not all on one.
  assert.ok(new Set(endHosts.map((id) => contexts[id as number]!.servers![0])).size >= 3)
})

test('without servers nothing changes: no server role, no server list', () => {
  const { overlay, contexts } = recordingOverlay()
  const sim = makeSim(overlay, {})
  sim.addViewer(UNLIMITED)
  assert.deepEqual(sim.servers, [])
  assert.deepEqual(
    contexts.map((c) => [c.role, c.servers]),
    [
      ['source', undefined],
      ['viewer', undefined],
    ],
  )
  assert.deepEqual(sim.liveViewers(), [1])
})

test('lossOf drops messages per (sender, receiver) pair', () => {
  const sim = makeSim(
    {
      name: 'probe',
      codec: probeCodec,
      parseParams: () => ({}),
      createNode: (env) => new ProbeNode(env),
    },
    {},
    { lossOf: (_from, to) => (to === 2 ? 1 : 0) },
  )
  const a = sim.addViewer(UNLIMITED)
  const b = sim.addViewer(UNLIMITED)
  const sender = sim.protocol(0) as ProbeNode
  for (let tag = 0; tag < 10; tag++) {
    sender.send(a, tag, 10)
    sender.send(b, tag, 10)
  }
  sim.runUntil(1000)
  assert.equal((sim.protocol(a) as ProbeNode).received.length, 10)
  assert.equal((sim.protocol(b) as ProbeNode).received.length, 0)
  assert.equal(sim.nodeStats(0).lostMessages, 10)
})
