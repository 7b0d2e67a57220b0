import { emptyMessageSpec, FRAME_HEADER_BYTES, MessageCodec, type MessageSpec } from '../../core/codec.ts'
import { LocalProtocolError, RemoteProtocolError } from '../../core/errors.ts'
import { MAX_NODE_ID_BYTES, NODE_ID_WIRE_BYTES, type NodeId } from '../../core/ids.ts'
import type { Reader, Writer } from '../../core/wire.ts'
import { type ChunkMessage, chunkMessageSpec } from '../../stream/chunk.ts'
import { MAX_STRIPES } from '../../stream/stripes.ts'

/** Registry RPC (§7): "JOIN returns a random node"; in coordinated mode the registry runs the join. */
export interface Join {
  readonly type: 'join'
}

/**
 * Registry RPC (§7): "a DELETE can be sent by the child of a dead parent ... so that it may be
 * deleted". A node leaving gracefully sends DELETE naming itself.
 */
export interface Delete {
  readonly type: 'delete'
  readonly node: NodeId
}

/**
 * UPDATE (§7): "a node sends its updated state to its children" so each node knows its parents.
 * Here the registry sends every node whose place changed its new parents (one per tree; the
 * source for a root) and children (per tree). `member = false`: you are not in the forest (a
 * DELETE named you), join again. `version` orders updates: older ones are ignored.
 */
export interface Update {
  readonly type: 'update'
  readonly version: number
  readonly member: boolean
  readonly parents: readonly NodeId[]
  readonly children: readonly (readonly NodeId[])[]
}

/** Parent -> children liveness beat (§7: children reconnect, then start the deletion). */
export interface Heartbeat {
  readonly type: 'heartbeat'
}

/** Peer mode: the registry's answer to JOIN, "a random node" (possibly the special node). */
export interface Contact {
  readonly type: 'contact'
  readonly node: NodeId
}

/** Flags on transaction messages: the message is about the special node (kept by the source). */
export const TX_SPECIAL = 1
/** Largest walk TTL on the wire (params bound it lower). */
export const MAX_WALK_TTL = 64

/**
 * SEARCH (§7: "to obtain the child of a node in a particular stripe"): a walk step of a join (the
 * §4.2 random walk) or any read of a neighbour's place by the peer running an operation. Answered
 * with `state` (the whole place: children in every stripe, parents, version). `tx = 0` asks a parent
 * for its place outside any operation (its UPDATE was lost).
 */
export interface Search {
  readonly type: 'search'
  readonly tx: number
  readonly flags: number
}

/** A node's place in every tree: parents (empty for the source) and children per tree. */
export interface PlacementFields {
  readonly version: number
  readonly parents: readonly NodeId[]
  readonly children: readonly (readonly NodeId[])[]
}

export interface State extends PlacementFields {
  readonly type: 'state'
  readonly tx: number
  readonly flags: number
}

/**
 * The paper's state-changing RPCs (§7). In peer mode the peer running an operation sends each node
 * it changes one of these, named after the role the change plays in the paper, carrying the node's
 * new place and the version it was computed from; the node votes (`vote`), then `commit` (answered
 * with `ack`) or `abort` applies or drops it, so an operation lands on all its nodes or on none.
 * - TAKEON "to take another peer as a child": the joiner takes the receiver on as its child
 *   (§4.2 incomplete case: N adopts A and C; complete case: N takes A's place, adopting it).
 * - SUBSTITUTE "to take the place of a child of some peer": the receiver gets the joiner as a child
 *   in place of one it had (its old child C moves under N; Fig. 2a, 4a, 4b; the special node).
 * - REPLACE "the node which makes us its child sheds off a random child" (§5): the receiver takes
 *   a child of the deleted node or a directed node and sheds one (the bubble filler, each ripple
 *   step, the final adoption by the deleted node's parent in the other stripe).
 * - DIRECT "to direct a node to its would-be parent" (§5): the receiver only changes parent (a shed
 *   child, directed one level down, or X's other child directed to the bubble filler).
 */
export type RpcType = 'takeon' | 'substitute' | 'replace' | 'direct'
export const RPC_TYPES: readonly RpcType[] = ['takeon', 'substitute', 'replace', 'direct']

export type PlacementRpc<T extends RpcType = RpcType> = TxEndOf<T> & PlacementFields
export type TakeOn = PlacementRpc<'takeon'>
export type Substitute = PlacementRpc<'substitute'>
export type Replace = PlacementRpc<'replace'>
export type Direct = PlacementRpc<'direct'>

/**
 * Ours, not the paper's: a node an operation read but does not change (a walk step, a neighbour
 * whose version the result depends on) is asked to hold `version` until commit or abort, so a
 * concurrent operation cannot change it underneath (the paper leaves concurrency open).
 */
export interface Hold {
  readonly type: 'hold'
  readonly tx: number
  readonly flags: number
  readonly version: number
}

/**
 * Peer mode: the peer deleting a node found one of its neighbours `node` silent too, and asks a
 * child of `node` (children hold their parents' places, §7 UPDATE) for `node`'s place, answered
 * with KNOWN. Both are then deleted in the same operation.
 */
export interface Ask {
  readonly type: 'ask'
  readonly tx: number
  readonly node: NodeId
}

export interface Known extends PlacementFields {
  readonly type: 'known'
  readonly tx: number
  readonly node: NodeId
}

/**
 * Joining without the registry (`join: 'walk'`): a bounded random walk over parent/child links.
 * Each holder forwards it to a random neighbour with `ttl - 1`; at 0 it answers `joiner` with
 * `contact` naming itself (or the special node, when the walk reaches the source).
 */
export interface Walk {
  readonly type: 'walk'
  readonly joiner: NodeId
  readonly ttl: number
}

export interface Vote {
  readonly type: 'vote'
  readonly tx: number
  readonly flags: number
  readonly ok: boolean
}

interface TxEndOf<T extends string> {
  readonly type: T
  readonly tx: number
  readonly flags: number
}
export type Commit = TxEndOf<'commit'>
export type Ack = TxEndOf<'ack'>
export type Abort = TxEndOf<'abort'>
export type TxEnd = Commit | Ack | Abort

/** Peer mode: a parent leaving gracefully tells its children, who start its deletion at once. */
export interface Leaving {
  readonly type: 'leaving'
}

/** Peer mode: the joiner tells the registry it is in (it becomes a possible contact). */
export interface Joined {
  readonly type: 'joined'
}

/**
 * Peer mode: "here is the place of my parent `node`", so a node also knows its grandparents' places
 * and can delete a parent and a grandparent that died together.
 */
export interface Relay extends PlacementFields {
  readonly type: 'relay'
  readonly node: NodeId
}

/**
 * Registry mode, make-before-break (ours, handover.ts): a child tells the parent a move took from
 * it "my new feed works, stop feeding me"; a leaving node tells its parents the same. Never needed
 * by the source, whose grace copies to a replaced root end with the window.
 */
export interface HandoverDone {
  readonly type: 'handover-done'
}

/** Largest backfill request on the wire (params.backfillChunks is bounded by it too). */
export const MAX_BACKFILL_SEQS = 256

/**
 * Registry mode, backfill after a repair (ours, backfill.ts): a child whose new parent arrives while
 * recent data seqs are missing asks that parent for exactly those (ascending, at most
 * MAX_BACKFILL_SEQS); the parent resends the ones it still holds, nothing the child already has.
 */
export interface Backfill {
  readonly type: 'backfill'
  readonly seqs: readonly number[]
}

/**
 * Registry mode, verified DELETE (registry-role.ts): the registry asks a node someone reported dead
 * whether it is alive; the node answers `alive`. Only the source sends `probe`.
 */
export interface Probe {
  readonly type: 'probe'
}

export interface Alive {
  readonly type: 'alive'
}

export type P2PCastControl =
  | Join
  | Delete
  | Update
  | Heartbeat
  | Contact
  | Search
  | State
  | TakeOn
  | Substitute
  | Replace
  | Direct
  | Hold
  | Vote
  | Commit
  | Ack
  | Abort
  | Leaving
  | Joined
  | Relay
  | Walk
  | Ask
  | Known
  | HandoverDone
  | Backfill
  | Probe
  | Alive
export type P2PCastMessage = P2PCastControl | ChunkMessage

const HEADER_BYTES = FRAME_HEADER_BYTES
const NODE_ID_MAX_WIRE = 2 + MAX_NODE_ID_BYTES

function writeIds(w: Writer, ids: readonly NodeId[]): void {
  w.varint(ids.length)
  for (const id of ids) w.nodeId(id)
}

const readIds = (r: Reader) => r.array(MAX_STRIPES, (rr) => rr.nodeId())

const PLACEMENT_MAX_BYTES =
  9 + 2 + MAX_STRIPES * NODE_ID_MAX_WIRE + 2 + MAX_STRIPES * (2 + MAX_STRIPES * NODE_ID_MAX_WIRE)

function writePlacement(w: Writer, m: PlacementFields): void {
  w.varint(m.version)
  writeIds(w, m.parents)
  w.varint(m.children.length)
  for (const list of m.children) writeIds(w, list)
}

function readPlacement(r: Reader): PlacementFields {
  const version = r.varint()
  const parents = readIds(r)
  const children = r.array(MAX_STRIPES, readIds)
  if (parents.length !== 0 && parents.length !== children.length) {
    throw new RemoteProtocolError(`placement: ${parents.length} parents but ${children.length} child lists`)
  }
  return { version, parents, children }
}

const placementSize = (m: PlacementFields) =>
  HEADER_BYTES +
  8 +
  (m.parents.length + m.children.reduce((n, l) => n + l.length + 1, 0)) * NODE_ID_WIRE_BYTES

/** Seqs as the first one then the gaps: a run of missing seqs costs a byte each. */
function writeAscendingSeqs(w: Writer, seqs: readonly number[]): void {
  if (seqs.length > MAX_BACKFILL_SEQS)
    throw new LocalProtocolError(`backfill: ${seqs.length} seqs, limit ${MAX_BACKFILL_SEQS}`)
  w.varint(seqs.length)
  let prev = -1
  for (const s of seqs) {
    if (s <= prev) throw new LocalProtocolError(`backfill: seqs must ascend (${s} after ${prev})`)
    w.varint(prev < 0 ? s : s - prev)
    prev = s
  }
}

function readAscendingSeqs(r: Reader): number[] {
  let prev = -1
  return r.array(MAX_BACKFILL_SEQS, (rr) => {
    const step = rr.varint()
    if (prev >= 0 && step === 0) throw new RemoteProtocolError('backfill: repeated seq')
    const seq = prev < 0 ? step : prev + step
    if (!Number.isSafeInteger(seq)) throw new RemoteProtocolError('backfill: seq exceeds 2^53')
    prev = seq
    return seq
  })
}

function varintBytes(v: number): number {
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 0x80)
    n++
  }
  return n
}

const ascendingSeqsSize = (seqs: readonly number[]) => {
  let n = varintBytes(seqs.length)
  let prev = -1
  for (const s of seqs) {
    n += varintBytes(prev < 0 ? s : s - prev)
    prev = s
  }
  return n
}

function readFlags(r: Reader): number {
  const flags = r.u8()
  if (flags > TX_SPECIAL) throw new RemoteProtocolError(`bad transaction flags ${flags}`)
  return flags
}

function txEndSpec<T extends TxEnd['type']>(code: number, type: T): MessageSpec<TxEndOf<T>> {
  return {
    code,
    maxBytes: HEADER_BYTES + 9 + 1,
    encode: (w, m) => w.varint(m.tx).u8(m.flags),
    decode: (r) => ({ type, tx: r.varint(), flags: readFlags(r) }),
    sizeOf: () => HEADER_BYTES + 5,
  }
}

function rpcSpec<T extends RpcType>(code: number, type: T): MessageSpec<PlacementRpc<T>> {
  return {
    code,
    maxBytes: HEADER_BYTES + 10 + PLACEMENT_MAX_BYTES,
    encode(w, m) {
      w.varint(m.tx).u8(m.flags)
      writePlacement(w, m)
    },
    decode: (r) => ({ type, tx: r.varint(), flags: readFlags(r), ...readPlacement(r) }),
    sizeOf: (m) => placementSize(m) + 5,
  }
}

export const p2pcastCodec = new MessageCodec<P2PCastMessage>('p2pcast', 1, {
  chunk: chunkMessageSpec(1),
  join: emptyMessageSpec<Join>(2, 'join'),
  delete: {
    code: 3,
    maxBytes: HEADER_BYTES + NODE_ID_MAX_WIRE,
    encode: (w, m) => w.nodeId(m.node),
    decode: (r) => ({ type: 'delete', node: r.nodeId() }),
    sizeOf: () => HEADER_BYTES + NODE_ID_WIRE_BYTES,
  },
  update: {
    code: 4,
    maxBytes:
      HEADER_BYTES +
      9 +
      1 +
      2 +
      MAX_STRIPES * NODE_ID_MAX_WIRE +
      2 +
      MAX_STRIPES * (2 + MAX_STRIPES * NODE_ID_MAX_WIRE),
    encode(w, m) {
      w.varint(m.version).u8(m.member ? 1 : 0)
      writeIds(w, m.parents)
      w.varint(m.children.length)
      for (const list of m.children) writeIds(w, list)
    },
    decode(r) {
      const version = r.varint()
      const flag = r.u8()
      if (flag > 1) throw new RemoteProtocolError(`update: bad member flag ${flag}`)
      const parents = readIds(r)
      const children = r.array(MAX_STRIPES, readIds)
      if (children.length !== parents.length) {
        throw new RemoteProtocolError(`update: ${parents.length} parents but ${children.length} child lists`)
      }
      return { type: 'update', version, member: flag === 1, parents, children }
    },
    sizeOf: (m) =>
      HEADER_BYTES +
      6 +
      (m.parents.length + m.children.reduce((n, l) => n + l.length + 1, 0)) * NODE_ID_WIRE_BYTES,
  },
  heartbeat: emptyMessageSpec<Heartbeat>(5, 'heartbeat'),
  contact: {
    code: 6,
    maxBytes: HEADER_BYTES + NODE_ID_MAX_WIRE,
    encode: (w, m) => w.nodeId(m.node),
    decode: (r) => ({ type: 'contact', node: r.nodeId() }),
    sizeOf: () => HEADER_BYTES + NODE_ID_WIRE_BYTES,
  },
  search: {
    code: 7,
    maxBytes: HEADER_BYTES + 10,
    encode: (w, m) => w.varint(m.tx).u8(m.flags),
    decode: (r) => ({ type: 'search', tx: r.varint(), flags: readFlags(r) }),
    sizeOf: () => HEADER_BYTES + 5,
  },
  state: {
    code: 8,
    maxBytes: HEADER_BYTES + 10 + PLACEMENT_MAX_BYTES,
    encode(w, m) {
      w.varint(m.tx).u8(m.flags)
      writePlacement(w, m)
    },
    decode: (r) => ({ type: 'state', tx: r.varint(), flags: readFlags(r), ...readPlacement(r) }),
    sizeOf: (m) => placementSize(m) + 5,
  },
  hold: {
    code: 9,
    maxBytes: HEADER_BYTES + 10 + 9,
    encode: (w, m) => w.varint(m.tx).u8(m.flags).varint(m.version),
    decode: (r) => ({ type: 'hold', tx: r.varint(), flags: readFlags(r), version: r.varint() }),
    sizeOf: () => HEADER_BYTES + 9,
  },
  vote: {
    code: 10,
    maxBytes: HEADER_BYTES + 11,
    encode: (w, m) =>
      w
        .varint(m.tx)
        .u8(m.flags)
        .u8(m.ok ? 1 : 0),
    decode: (r) => ({ type: 'vote', tx: r.varint(), flags: readFlags(r), ok: r.u8() === 1 }),
    sizeOf: () => HEADER_BYTES + 6,
  },
  commit: txEndSpec(11, 'commit'),
  ack: txEndSpec(12, 'ack'),
  abort: txEndSpec(13, 'abort'),
  leaving: emptyMessageSpec<Leaving>(14, 'leaving'),
  joined: emptyMessageSpec<Joined>(15, 'joined'),
  relay: {
    code: 16,
    maxBytes: HEADER_BYTES + NODE_ID_MAX_WIRE + PLACEMENT_MAX_BYTES,
    encode(w, m) {
      w.nodeId(m.node)
      writePlacement(w, m)
    },
    decode: (r) => ({ type: 'relay', node: r.nodeId(), ...readPlacement(r) }),
    sizeOf: (m) => placementSize(m) + NODE_ID_WIRE_BYTES,
  },
  takeon: rpcSpec(17, 'takeon'),
  substitute: rpcSpec(18, 'substitute'),
  replace: rpcSpec(19, 'replace'),
  direct: rpcSpec(20, 'direct'),
  walk: {
    code: 21,
    maxBytes: HEADER_BYTES + NODE_ID_MAX_WIRE + 1,
    encode: (w, m) => w.nodeId(m.joiner).u8(m.ttl),
    decode(r) {
      const joiner = r.nodeId()
      const ttl = r.u8()
      if (ttl > MAX_WALK_TTL) throw new RemoteProtocolError(`walk: ttl ${ttl} > ${MAX_WALK_TTL}`)
      return { type: 'walk', joiner, ttl }
    },
    sizeOf: () => HEADER_BYTES + NODE_ID_WIRE_BYTES + 1,
  },
  ask: {
    code: 22,
    maxBytes: HEADER_BYTES + 9 + NODE_ID_MAX_WIRE,
    encode: (w, m) => w.varint(m.tx).nodeId(m.node),
    decode: (r) => ({ type: 'ask', tx: r.varint(), node: r.nodeId() }),
    sizeOf: () => HEADER_BYTES + 5 + NODE_ID_WIRE_BYTES,
  },
  known: {
    code: 23,
    maxBytes: HEADER_BYTES + 9 + NODE_ID_MAX_WIRE + PLACEMENT_MAX_BYTES,
    encode(w, m) {
      w.varint(m.tx).nodeId(m.node)
      writePlacement(w, m)
    },
    decode: (r) => ({ type: 'known', tx: r.varint(), node: r.nodeId(), ...readPlacement(r) }),
    sizeOf: (m) => placementSize(m) + 5 + NODE_ID_WIRE_BYTES,
  },
  'handover-done': emptyMessageSpec<HandoverDone>(24, 'handover-done'),
  backfill: {
    code: 25,
    // A varint is at most 8 bytes for seqs below 2^53; the count fits in 2.
    maxBytes: HEADER_BYTES + 2 + MAX_BACKFILL_SEQS * 8,
    encode: (w, m) => writeAscendingSeqs(w, m.seqs),
    decode: (r) => ({ type: 'backfill', seqs: readAscendingSeqs(r) }),
    sizeOf: (m) => HEADER_BYTES + ascendingSeqsSize(m.seqs),
  },
  probe: emptyMessageSpec<Probe>(26, 'probe'),
  alive: emptyMessageSpec<Alive>(27, 'alive'),
})
