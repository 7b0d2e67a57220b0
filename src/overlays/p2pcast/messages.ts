import { MessageCodec, type MessageSpec } from '../../core/codec.ts'
import { RemoteProtocolError } from '../../core/errors.ts'
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

export type P2PCastControl = Join | Delete | Update | Heartbeat
export type P2PCastMessage = P2PCastControl | ChunkMessage

const HEADER_BYTES = 2
const NODE_ID_MAX_WIRE = 2 + MAX_NODE_ID_BYTES

function emptySpec<M extends Join | Heartbeat>(code: number, type: M['type']): MessageSpec<M> {
  return {
    code,
    maxBytes: HEADER_BYTES,
    encode() {},
    decode: () => ({ type }) as M,
    sizeOf: () => HEADER_BYTES,
  }
}

function writeIds(w: Writer, ids: readonly NodeId[]): void {
  w.varint(ids.length)
  for (const id of ids) w.nodeId(id)
}

const readIds = (r: Reader) => r.array(MAX_STRIPES, (rr) => rr.nodeId())

export const p2pcastCodec = new MessageCodec<P2PCastMessage>('p2pcast', 1, {
  chunk: chunkMessageSpec(1),
  join: emptySpec<Join>(2, 'join'),
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
  heartbeat: emptySpec<Heartbeat>(5, 'heartbeat'),
})
