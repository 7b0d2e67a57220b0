import { emptyMessageSpec, FRAME_HEADER_BYTES, MessageCodec } from '../../core/codec.ts'
import { RemoteProtocolError } from '../../core/errors.ts'
import { MAX_NODE_ID_BYTES, NODE_ID_WIRE_BYTES, type NodeId } from '../../core/ids.ts'
import { type Locator, MAX_LOCATOR_LENGTH } from '../../core/protocol.ts'
import type { Reader, Writer } from '../../core/wire.ts'
import { type ChunkMessage, chunkMessageSpec } from '../../stream/chunk.ts'
import { MAX_DEPTH_LIMIT } from './params.ts'

/**
 * Data-transfer session setup (§II): "open a session with me". Carries the requester's network
 * position (Smart-Placement, Knock-Downs: the paper's "traceroute information") and its upload
 * capacity (Smart-Bandwidth).
 */
export interface Subscribe {
  readonly type: 'subscribe'
  readonly locator: Locator
  readonly uploadKbps: number
  /** Nodes that sent this walk back up as dead ends (full subtrees): not worth a redirect. */
  readonly avoid: readonly NodeId[]
}

/** Session opened. `path` is the acceptor's ancestor chain plus the acceptor: source first. */
export interface Accept {
  readonly type: 'accept'
  readonly path: readonly NodeId[]
}

/**
 * The redirect primitive (§IV.A): close the session with me and open one with `target`.
 * `cascade` (Grandfather-All, Root-All): first hand the same redirect to all your children.
 * `deadEnd`: the sender is saturated and has no child worth trying; the walk should not come back.
 */
export interface Redirect {
  readonly type: 'redirect'
  readonly target: NodeId
  readonly cascade: boolean
  readonly deadEnd: boolean
}

/** Child -> parent: close the data-transfer session. */
export interface Unsubscribe {
  readonly type: 'unsubscribe'
}

/** "Alive" beat (§IV.D), exchanged between parent and children. */
export interface Heartbeat {
  readonly type: 'heartbeat'
}

/** Parent -> children when its ancestor chain changes (cycle guard, depth bound, connectivity). */
export interface PathUpdate {
  readonly type: 'path'
  readonly path: readonly NodeId[]
}

export type SpreadItControl = Subscribe | Accept | Redirect | Unsubscribe | Heartbeat | PathUpdate
export type SpreadItMessage = SpreadItControl | ChunkMessage

/** Frame header: version + type code. */
const HEADER_BYTES = FRAME_HEADER_BYTES
const NODE_ID_MAX_WIRE = 2 + MAX_NODE_ID_BYTES
/** Longest path a message may carry: the source plus maxDepth ancestors at the deepest. */
export const MAX_PATH_IDS = MAX_DEPTH_LIMIT + 1
/** Dead ends a walk remembers (oldest forgotten first). */
export const MAX_AVOID_IDS = 16
const CASCADE_FLAG = 1
const DEAD_END_FLAG = 2

function readPath(r: Reader): NodeId[] {
  return r.array(MAX_PATH_IDS, (rr) => rr.nodeId())
}

function writePath(w: Writer, path: readonly NodeId[]): void {
  w.varint(path.length)
  for (const id of path) w.nodeId(id)
}

const pathBytes = (path: readonly NodeId[]) => HEADER_BYTES + 1 + path.length * NODE_ID_WIRE_BYTES

export const spreaditCodec = new MessageCodec<SpreadItMessage>('spreadit', 1, {
  chunk: chunkMessageSpec(1),
  subscribe: {
    code: 2,
    maxBytes: HEADER_BYTES + 1 + MAX_LOCATOR_LENGTH * 8 + 8 + 1 + MAX_AVOID_IDS * NODE_ID_MAX_WIRE,
    encode(w, m) {
      w.varint(m.locator.length)
      for (const x of m.locator) w.f64(x)
      w.f64(m.uploadKbps)
      writePath(w, m.avoid)
    },
    decode(r) {
      const locator = r.array(MAX_LOCATOR_LENGTH, (rr) => rr.f64())
      if (!locator.every(Number.isFinite)) throw new RemoteProtocolError('subscribe: locator is not finite')
      const uploadKbps = r.f64()
      // Infinity is legal (unlimited), NaN and negatives are not.
      if (!(uploadKbps >= 0)) throw new RemoteProtocolError(`subscribe: bad uploadKbps ${uploadKbps}`)
      const avoid = r.array(MAX_AVOID_IDS, (rr) => rr.nodeId())
      return { type: 'subscribe', locator, uploadKbps, avoid }
    },
    sizeOf: (m) => HEADER_BYTES + 1 + m.locator.length * 8 + 8 + 1 + m.avoid.length * NODE_ID_WIRE_BYTES,
  },
  accept: {
    code: 3,
    maxBytes: HEADER_BYTES + 2 + MAX_PATH_IDS * NODE_ID_MAX_WIRE,
    encode: (w, m) => writePath(w, m.path),
    decode: (r) => ({ type: 'accept', path: readPath(r) }),
    sizeOf: (m) => pathBytes(m.path),
  },
  redirect: {
    code: 4,
    maxBytes: HEADER_BYTES + NODE_ID_MAX_WIRE + 1,
    encode(w, m) {
      w.nodeId(m.target).u8((m.cascade ? CASCADE_FLAG : 0) | (m.deadEnd ? DEAD_END_FLAG : 0))
    },
    decode(r) {
      const target = r.nodeId()
      const flags = r.u8()
      if (flags > (CASCADE_FLAG | DEAD_END_FLAG))
        throw new RemoteProtocolError(`redirect: bad flags ${flags}`)
      return {
        type: 'redirect',
        target,
        cascade: (flags & CASCADE_FLAG) !== 0,
        deadEnd: (flags & DEAD_END_FLAG) !== 0,
      }
    },
    sizeOf: () => HEADER_BYTES + NODE_ID_WIRE_BYTES + 1,
  },
  unsubscribe: emptyMessageSpec<Unsubscribe>(5, 'unsubscribe'),
  heartbeat: emptyMessageSpec<Heartbeat>(6, 'heartbeat'),
  path: {
    code: 7,
    maxBytes: HEADER_BYTES + 2 + MAX_PATH_IDS * NODE_ID_MAX_WIRE,
    encode: (w, m) => writePath(w, m.path),
    decode: (r) => ({ type: 'path', path: readPath(r) }),
    sizeOf: (m) => pathBytes(m.path),
  },
})
