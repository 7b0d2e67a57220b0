// The paper's RPCs (§7) as wire messages: round trips, size bounds, random bytes, and which RPC a
// change is named after.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRemoteProtocolError } from '../../src/core/errors.ts'
import { createRng } from '../../src/core/rng.ts'
import { Writer } from '../../src/core/wire.ts'
import { copyPlacement, Forest, type Placement } from '../../src/overlays/p2pcast/forest.ts'
import { type P2PCastMessage, p2pcastCodec } from '../../src/overlays/p2pcast/index.ts'
import { MAX_WALK_TTL, RPC_TYPES, TX_SPECIAL } from '../../src/overlays/p2pcast/messages.ts'
import { rpcOfChange } from '../../src/overlays/p2pcast/peer/rpc-kind.ts'
import { join, remove } from '../../src/overlays/p2pcast/transitions.ts'

const peer = (i: number) => `12D3KooW${String(i).padStart(44, 'x')}`
/** The longest node id the wire takes (64 bytes). */
const longest = (i: number) => `${String(i).padStart(8, '0')}${'y'.repeat(56)}`

test('SEARCH, HOLD, TAKEON, SUBSTITUTE, REPLACE, DIRECT, WALK, ASK, KNOWN round-trip', () => {
  const place = { version: 7, parents: [0, peer(1)], children: [[peer(2), 3], ['p2pcast:special']] }
  const msgs: P2PCastMessage[] = [
    { type: 'search', tx: 4, flags: 0 },
    { type: 'search', tx: 0, flags: TX_SPECIAL },
    { type: 'hold', tx: 4, flags: TX_SPECIAL, version: 123_456 },
    ...RPC_TYPES.map((type): P2PCastMessage => ({ type, tx: 99, flags: 0, ...place })),
    { type: 'walk', joiner: peer(9), ttl: 0 },
    { type: 'walk', joiner: 17, ttl: MAX_WALK_TTL },
    { type: 'ask', tx: 8, node: peer(3) },
    { type: 'known', tx: 8, node: peer(3), ...place },
  ]
  for (const m of msgs) assert.deepEqual(p2pcastCodec.decode(p2pcastCodec.encode(m)), m)
})

test('every placement RPC at its largest (16 stripes x 16 children, 64-byte ids) fits its bound', () => {
  const f = 16
  const parents = Array.from({ length: f }, (_, t) => longest(t))
  const children = Array.from({ length: f }, (_, t) =>
    Array.from({ length: f }, (_, k) => longest(t * f + k)),
  )
  for (const type of RPC_TYPES) {
    const m: P2PCastMessage = { type, tx: 2 ** 40, flags: TX_SPECIAL, version: 2 ** 50, parents, children }
    assert.deepEqual(p2pcastCodec.decode(p2pcastCodec.encode(m)), m)
  }
  // One child list too many is refused when decoding.
  const w = new Writer().u8(1).u8(19).varint(1).u8(0).varint(1).varint(0).varint(17)
  for (let i = 0; i < 17; i++) w.varint(0)
  assert.throws(() => p2pcastCodec.decode(w.finish()), isRemoteProtocolError)
})

test('a walk with a TTL above the bound, or bad flags on an RPC, is a RemoteProtocolError', () => {
  const walk = new Writer()
    .u8(1)
    .u8(21)
    .nodeId(peer(1))
    .u8(MAX_WALK_TTL + 1)
  assert.throws(() => p2pcastCodec.decode(walk.finish()), isRemoteProtocolError)
  const flags = new Writer().u8(1).u8(17).varint(1).u8(2).varint(0).varint(0).varint(0)
  assert.throws(() => p2pcastCodec.decode(flags.finish()), isRemoteProtocolError)
})

test('random bytes under every message code throw only RemoteProtocolError (fast-check)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 25 }), (body, code) => {
      try {
        p2pcastCodec.decode(new Uint8Array([1, code, ...body]))
      } catch (err) {
        assert.ok(isRemoteProtocolError(err), String(err))
      }
    }),
    { seed: 6, numRuns: 4000 },
  )
})

/** Run an operation on a whole forest and name every node's change by the RPC that carries it. */
function rpcsOf(
  forest: Forest,
  kind: 'join' | 'delete',
  op: () => void,
  joiner: number,
): Map<string, string[]> {
  const before = new Map<number | string, Placement>()
  for (const id of [...forest.peers(), forest.source]) before.set(id, copyPlacement(forest.placement(id)))
  forest.takeTouched()
  op()
  const out = new Map<string, string[]>()
  for (const id of forest.takeTouched()) {
    const old = before.get(id)
    if (id === joiner || !old || !forest.has(id)) continue
    const type = rpcOfChange(kind, joiner, old, forest.placement(id))
    out.set(type, [...(out.get(type) ?? []), String(id)].sort())
  }
  return out
}

test('RPC names follow §7: the special node case and Fig. 2a are SUBSTITUTE/TAKEON, §5 is REPLACE/DIRECT', () => {
  const S = -1
  const forest = new Forest(2, 0, S)
  // Special node case: N = 1 adopts S in both trees; the source (S's parent) gets N in S's place.
  assert.deepEqual(
    rpcsOf(forest, 'join', () => join(forest, 1, S, createRng(1)), 1),
    new Map([
      ['substitute', ['0']],
      ['takeon', ['-1']],
    ]),
  )
  // Fig. 2a: incomplete A = 1 adopts N = 2 (SUBSTITUTE: N in place of A's child C = S); N takes
  // A's place in the other tree and takes on C.
  const fig2a = rpcsOf(forest, 'join', () => join(forest, 2, 1, createRng(2)), 2)
  assert.deepEqual(fig2a.get('substitute'), ['0', '1'])
  assert.deepEqual(fig2a.get('takeon'), ['-1'])
  for (let n = 3; n <= 12; n++) join(forest, n, n - 1, createRng(n))
  // A deletion only ever says REPLACE (a node that adopts and sheds) or DIRECT (a moved node).
  for (const victim of [3, 7, 10]) {
    const names = rpcsOf(forest, 'delete', () => remove(forest, victim, createRng(victim)), -99)
    assert.ok(names.has('replace'), `deleting ${victim}: ${JSON.stringify([...names])}`)
    for (const name of names.keys()) assert.ok(name === 'replace' || name === 'direct', name)
  }
})
