// Registry mode's own control messages, driven on one viewer node with a recording Env:
// probe/alive (verified DELETE), handover-done (make-before-break), backfill (after a repair).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { NodeId } from '../../src/core/ids.ts'
import { type P2PCastMessage, type P2PCastNode, p2pcast, SPECIAL } from '../../src/overlays/p2pcast/index.ts'
import { TIMER_HEARTBEAT } from '../../src/overlays/p2pcast/node.ts'
import { TIMER_PROBE } from '../../src/overlays/p2pcast/registry-role.ts'
import type { Chunk } from '../../src/stream/chunk.ts'
import { buildParity } from '../../src/stream/stripes.ts'
import { recordingEnv, type Sent, type SetTimer } from './recording-env.ts'

const SOURCE = 0
const SELF = 1

function viewer(raw: Record<string, unknown> = {}) {
  const sent: Sent[] = []
  const node = p2pcast.createNode(
    recordingEnv(SELF, sent),
    { source: SOURCE, streamKbps: 400, uploadKbps: 1000, role: 'viewer' },
    p2pcast.parseParams(raw),
  )
  node.start(0)
  sent.length = 0
  return { node, sent }
}

const data = (seq: number): Chunk => ({
  stream: 's',
  seq,
  sourceTime: seq * 100,
  stripe: -1,
  keyframe: false,
  size: 100,
  payload: null,
  auth: null,
})
const chunk = (c: Chunk): P2PCastMessage => ({ type: 'chunk', chunk: c, hops: 1 })
const place = (version: number, parents: NodeId[], children: NodeId[][]): P2PCastMessage => ({
  type: 'update',
  version,
  member: true,
  parents,
  children,
})
const to = (sent: Sent[], id: NodeId) => sent.filter((s) => s.to === id).map((s) => s.msg)
const seqsTo = (sent: Sent[], id: NodeId) =>
  to(sent, id).flatMap((m) => (m.type === 'chunk' ? [m.chunk.seq] : []))

test('probe from the source is answered alive; a heartbeat is not answered, a probe from a peer neither', () => {
  const { node, sent } = viewer()
  node.onMessage(10, SOURCE, { type: 'heartbeat' })
  node.onMessage(20, 7, { type: 'probe' })
  assert.deepEqual(sent, [])
  node.onMessage(30, SOURCE, { type: 'probe' })
  assert.deepEqual(sent, [{ to: SOURCE, msg: { type: 'alive' } }])
})

test('handover-done from a moved child ends the grace copies to it; a leaving node sends it to its parents', () => {
  // Grace copies are paid from the credit: here each regular copy earns a whole one.
  const { node, sent } = viewer({ extraUploadShare: 1 })
  // Parents 2 (tree 0) and 3 (tree 1); child 5 in tree 0, fed seqs 0 and 1, then moved away.
  node.onMessage(0, SOURCE, place(1, [2, 3], [[5], []]))
  node.onMessage(5, 2, chunk(data(0)))
  node.onMessage(6, 2, chunk(data(1)))
  node.onMessage(10, SOURCE, place(2, [2, 3], [[], []]))
  node.onMessage(20, 2, chunk(data(2)))
  assert.deepEqual(seqsTo(sent, 5), [0, 1, 2], 'moved child still fed during the grace window')
  node.onMessage(30, 5, { type: 'handover-done' })
  node.onMessage(40, 2, chunk(data(3)))
  assert.deepEqual(seqsTo(sent, 5), [0, 1, 2], 'no copy after handover-done')
  sent.length = 0
  node.leave(50)
  assert.deepEqual(
    sent.map((s) => [s.to, s.msg.type]),
    [
      [SOURCE, 'delete'],
      [2, 'handover-done'],
      [3, 'handover-done'],
    ],
  )
})

test('the new parent’s first chunk makes the child send handover-done to the old parent', () => {
  const { node, sent } = viewer()
  node.onMessage(0, SOURCE, place(1, [2, 3], [[], []]))
  node.onMessage(10, SOURCE, place(2, [4, 3], [[], []]))
  node.onMessage(20, 2, chunk(data(0)))
  assert.deepEqual(to(sent, 2), [], 'a grace copy from the old parent is no confirmation')
  node.onMessage(30, 4, chunk(data(1)))
  assert.deepEqual(to(sent, 2), [{ type: 'handover-done' }])
})

test('backfill: the parent resends only the asked seqs it holds', () => {
  // Every relayed copy earns a whole copy of credit, so the credit does not limit this test.
  const { node, sent } = viewer({ extraUploadShare: 1 })
  node.onMessage(0, SOURCE, place(1, [2, 3], [[5], []]))
  for (let seq = 0; seq < 6; seq++) node.onMessage(10 + seq, 2, chunk(data(seq)))
  sent.length = 0
  node.onMessage(100, 5, { type: 'backfill', seqs: [1, 4, 40] })
  assert.deepEqual(seqsTo(sent, 5), [1, 4])
  sent.length = 0
  node.onMessage(200, 9, { type: 'backfill', seqs: [2] })
  assert.deepEqual(sent, [], 'a node that is not our child gets nothing')
})

test('backfill: once every feed has gone past or is cut, the child asks a flowing parent for exactly the seqs it lacks', () => {
  const { node, sent } = viewer()
  node.onMessage(0, SOURCE, place(1, [2, 3], [[5], []]))
  for (const seq of [0, 1, 2]) node.onMessage(10 + seq, 2, chunk(data(seq)))
  node.onMessage(20, 3, chunk(buildParity([data(3)], 2)))
  // Seq 3 came only as parity (rebuilt: not asked for); 4 and 5 are lost on both stripes. Tree 0's
  // parent 2 dies, 4 takes its place; tree 1's feed (3) stays silent.
  node.onMessage(600, SOURCE, place(2, [4, 3], [[5], []]))
  node.onMessage(700, 4, chunk(data(6)))
  assert.deepEqual(to(sent, 4), [{ type: 'backfill', seqs: [4, 5] }])
  assert.deepEqual(to(sent, 3), [], 'the silent parent is not asked')
  node.onMessage(710, 4, chunk(data(8)))
  assert.deepEqual(to(sent, 4).slice(1), [{ type: 'backfill', seqs: [7] }], 'a new hole; 4 and 5 not again')
  // After the retry time the seqs still missing are asked again, now of the cut parent too (it
  // gets them through its own ask).
  node.onMessage(1800, 4, chunk(data(9)))
  const again = [...to(sent, 4).slice(2), ...to(sent, 3)].flatMap((m) =>
    m.type === 'backfill' ? m.seqs : [],
  )
  assert.deepEqual(
    again.sort((a, b) => a - b),
    [4, 5, 7],
  )
  assert.equal(to(sent, 3).length, 1)
})

test('backfill: while one feed lags (not cut), a missing seq is not a hole yet', () => {
  const { node, sent } = viewer()
  node.onMessage(0, SOURCE, place(1, [2, 3], [[], []]))
  node.onMessage(10, 3, chunk(buildParity([data(0)], 2)))
  node.onMessage(20, 2, chunk(data(0)))
  node.onMessage(30, 2, chunk(data(2)))
  node.onMessage(40, 2, chunk(data(3)))
  assert.deepEqual(sent, [], 'seq 1 may still come as parity on the feed heard 30 ms ago')
  node.onMessage(50, 3, chunk(buildParity([data(2)], 2)))
  assert.deepEqual(
    [...to(sent, 2), ...to(sent, 3)],
    [{ type: 'backfill', seqs: [1] }],
    'both feeds past seq 1: asked (of one parent)',
  )
})

test('backfill: holes are split between the parents whose feeds flow', () => {
  const { node, sent } = viewer()
  node.onMessage(0, SOURCE, place(1, [2, 3], [[], []]))
  node.onMessage(10, 2, chunk(data(0)))
  node.onMessage(11, 3, chunk(buildParity([data(0)], 2)))
  node.onMessage(20, 3, chunk(buildParity([data(5)], 2)))
  node.onMessage(21, 2, chunk(data(6)))
  const asked = [...to(sent, 2), ...to(sent, 3)].flatMap((m) => (m.type === 'backfill' ? m.seqs : []))
  assert.deepEqual(
    asked.sort((a, b) => a - b),
    [1, 2, 3, 4],
  )
  assert.equal(to(sent, 2).length, 1)
  assert.equal(to(sent, 3).length, 1)
})

test('backfill: a parent that lacks an asked seq sends it to the child when it arrives', () => {
  const { node, sent } = viewer()
  // Child 5 in tree 0. We lack seqs 2 and 3 (cut too), and never relayed them to 5: owed, free.
  node.onMessage(0, SOURCE, place(1, [2, 3], [[5], []]))
  node.onMessage(10, 2, chunk(data(0)))
  node.onMessage(11, 2, chunk(data(1)))
  node.onMessage(12, 2, chunk(data(4)))
  sent.length = 0
  node.onMessage(100, 5, { type: 'backfill', seqs: [1, 2, 3] })
  assert.deepEqual(seqsTo(sent, 5), [], 'seq 1 was relayed to 5 already and the credit is empty')
  // Our own backfill brings 2 and 3 (from the tree-1 parent): they go on to the child that asked.
  node.onMessage(200, 3, chunk(data(3)))
  node.onMessage(210, 3, chunk(data(2)))
  assert.deepEqual(seqsTo(sent, 5), [3, 2])
  node.onMessage(220, 3, chunk(data(2)))
  assert.deepEqual(seqsTo(sent, 5), [3, 2], 'sent once')
})

/** A registry-mode source with `n` viewers joined, recording sends and timers. */
function sourceWithViewers(n: number) {
  const sent: Sent[] = []
  const timers: SetTimer[] = []
  const node = p2pcast.createNode(
    recordingEnv(SOURCE, sent, { timers }),
    { source: SOURCE, streamKbps: 400, uploadKbps: Number.POSITIVE_INFINITY, role: 'source' },
    p2pcast.parseParams({}),
  ) as P2PCastNode
  node.start(0)
  for (let v = 10; v < 10 + n; v++) node.onMessage(v, v, { type: 'join' })
  const registry = node.registry!
  // A member with a (non-special) child in some tree: the child reports it dead.
  for (let x = 10; x < 10 + n; x++)
    for (let t = 0; t < 2; t++) {
      const child = registry.forest.childrenOf(x, t).find((c) => c !== SPECIAL)
      if (child !== undefined) return { node, registry, sent, timers, suspect: x, reporter: child }
    }
  throw new Error('no member with a child')
}

test('verified DELETE: the registry probes the suspect; alive keeps it, silence removes it, a late alive rejoins it', () => {
  const a = sourceWithViewers(8)
  // Views just changed (unsettled): the report is verified with a probe, not acted on at once.
  a.node.onMessage(100, a.reporter, { type: 'delete', node: a.suspect })
  assert.deepEqual(
    a.sent.filter((s) => s.msg.type === 'probe'),
    [{ to: a.suspect, msg: { type: 'probe' } }],
  )
  a.node.onMessage(150, a.suspect, { type: 'alive' })
  const probe = a.timers.find((t) => t.kind === TIMER_PROBE)!
  a.node.onTimer(500, probe.kind, probe.arg)
  assert.equal(a.registry.has(a.suspect), true, 'an alive suspect stays')

  const b = sourceWithViewers(8)
  b.node.onMessage(100, b.reporter, { type: 'delete', node: b.suspect })
  const timer = b.timers.find((t) => t.kind === TIMER_PROBE)!
  b.node.onTimer(500, timer.kind, timer.arg)
  assert.equal(b.registry.has(b.suspect), false, 'a silent suspect is removed')
  b.node.onMessage(520, b.suspect, { type: 'alive' })
  assert.equal(b.registry.has(b.suspect), true, 'a late alive joins it again')
})

test('a parent silent for reportSilenceMs is reported with DELETE (peer mode’s 1.5 s with 0)', () => {
  const silentParent = (raw: Record<string, unknown>) => {
    const { node, sent } = viewer(raw)
    node.onMessage(0, SOURCE, place(1, [2, 3], [[], []]))
    node.onMessage(100, 2, chunk(data(0)))
    for (let t = 100; t <= 1300; t += 200) node.onMessage(t, 3, chunk(buildParity([data(t / 100)], 2)))
    const reportedAt: number[] = []
    for (let now = 500; now <= 2000; now += 500) {
      node.onTimer(now, TIMER_HEARTBEAT, undefined)
      if (to(sent, SOURCE).some((m) => m.type === 'delete' && m.node === 2)) reportedAt.push(now)
      sent.length = 0
    }
    return reportedAt
  }
  assert.deepEqual(silentParent({}), [1500], 'silent since 100 ms: reported at the first beat past 1,100 ms')
  assert.deepEqual(
    silentParent({ reportSilenceMs: 0 }),
    [2000],
    'heartbeatMs x heartbeatMissLimit = 1,500 ms',
  )
})

test('backfill: a parent asked for seqs from before it joined asks its own parents, and passes them on', () => {
  const { node, sent } = viewer({ extraUploadShare: 1 })
  node.onMessage(0, SOURCE, place(1, [2, 3], [[5], []]))
  for (let seq = 10; seq < 13; seq++) node.onMessage(seq, 2, chunk(data(seq)))
  node.onMessage(13, 3, chunk(buildParity([data(12)], 2)))
  sent.length = 0
  node.onMessage(100, 5, { type: 'backfill', seqs: [3, 11] })
  assert.deepEqual(seqsTo(sent, 5), [11], 'held: sent at once')
  const asked = [...to(sent, 2), ...to(sent, 3)]
  assert.deepEqual(
    asked,
    [{ type: 'backfill', seqs: [3] }],
    'seq 3 is older than our first: asked of a parent',
  )
  node.onMessage(150, 3, chunk(data(3)))
  assert.deepEqual(seqsTo(sent, 5), [11, 3])
})
