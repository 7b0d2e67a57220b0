import { LocalProtocolError, RemoteProtocolError } from '../core/errors.ts'
import { Reader, Writer } from '../core/wire.ts'
import { type Chunk, MAX_CHUNK_AUTH_BYTES, MAX_CHUNK_PAYLOAD_BYTES } from './chunk.ts'

/**
 * P2PCast striping (§3, §6 "encode"/"decode"): the data stream is split round-robin over f-1 data
 * stripes; every group of f-1 consecutive data chunks gets one XOR parity chunk on stripe f-1, so
 * any f-1 of a group's f chunks rebuild the group.
 *
 * Numbering: data chunk `seq` belongs to group floor(seq / (f-1)) and data stripe seq mod (f-1).
 * Data chunks keep the stripe field the source gave them (normally -1): the source's signature
 * covers that field, so rewriting it would break authentication; `stripeOf` derives the stripe
 * from the seq instead. A parity chunk has stripe = f-1 and seq = its group number.
 *
 * Parity payload (real payloads): a header with each member's payload length, auth length,
 * sourceTime and keyframe flag, then the XOR of the members' records (payload || auth), zero-padded
 * to the longest. The rebuilt chunk is therefore byte-identical to the original, signature
 * included. Virtual chunks (payload null, simulator) have no bytes: their parity keeps the member
 * metadata in a side table keyed by the (shared, immutable) parity chunk object, and the parity's
 * `size` charges the header it would have on the wire.
 */

export const MIN_STRIPES = 2
export const MAX_STRIPES = 16

export function validateStripeCount(f: number): void {
  if (!Number.isInteger(f) || f < MIN_STRIPES || f > MAX_STRIPES) {
    throw new LocalProtocolError(
      `stripe count must be an integer in ${MIN_STRIPES}..${MAX_STRIPES}, got ${f}`,
    )
  }
}

/** Data chunks per group: f-1. */
export const groupSize = (f: number): number => f - 1
/** The parity stripe's index. */
export const parityStripe = (f: number): number => f - 1

export function isParity(chunk: Chunk, f: number): boolean {
  return chunk.stripe === parityStripe(f)
}

/** Stripe a chunk travels on. */
export function stripeOf(chunk: Chunk, f: number): number {
  if (chunk.stripe === parityStripe(f)) return chunk.stripe
  return chunk.seq % groupSize(f)
}

/** Group a chunk belongs to (a parity chunk's seq is its group). */
export function groupOf(chunk: Chunk, f: number): number {
  return isParity(chunk, f) ? chunk.seq : Math.floor(chunk.seq / groupSize(f))
}

/** What a rebuild needs to know about each data member besides its bytes. */
interface MemberMeta {
  readonly seq: number
  readonly sourceTime: number
  readonly keyframe: boolean
  readonly payloadLength: number
  readonly authLength: number
  readonly size: number
  readonly stripe: number
}

const virtualMembers = new WeakMap<Chunk, readonly MemberMeta[]>()
/** Bytes one member's metadata takes in the parity header (upper bound, used for virtual sizes). */
const HEADER_BYTES_PER_MEMBER = 8 + 1 + 4 + 3 + 2

/**
 * Build the parity chunk of one complete group. `members` are the group's f-1 data chunks in seq
 * order, all real or all virtual.
 */
export function buildParity(members: readonly Chunk[], f: number): Chunk {
  validateStripeCount(f)
  const k = groupSize(f)
  if (members.length !== k)
    throw new LocalProtocolError(`a parity group needs ${k} data chunks, got ${members.length}`)
  const group = Math.floor(members[0]!.seq / k)
  members.forEach((c, i) => {
    if (c.seq !== group * k + i)
      throw new LocalProtocolError(`parity group ${group}: member ${i} has seq ${c.seq}`)
  })
  const last = members[k - 1]!
  const base = {
    stream: last.stream,
    seq: group,
    sourceTime: last.sourceTime,
    stripe: parityStripe(f),
    keyframe: false,
    auth: null,
  }
  const metas = members.map(metaOf)
  if (members.every((c) => c.payload === null)) {
    const size = Math.max(...members.map((c) => c.size)) + k * HEADER_BYTES_PER_MEMBER
    const parity: Chunk = { ...base, size, payload: null }
    virtualMembers.set(parity, metas)
    return parity
  }
  if (members.some((c) => c.payload === null)) {
    throw new LocalProtocolError(`parity group ${group} mixes real and virtual payloads`)
  }
  const w = new Writer(32 * k)
  for (const m of metas)
    w.varint(m.payloadLength)
      .varint(m.authLength)
      .f64(m.sourceTime)
      .u8(m.keyframe ? 1 : 0)
  const header = w.finish()
  const bodyLength = Math.max(...metas.map((m) => m.payloadLength + m.authLength))
  const payload = new Uint8Array(header.length + bodyLength)
  payload.set(header)
  for (const c of members) xorRecordInto(payload, header.length, c)
  if (payload.length > MAX_CHUNK_PAYLOAD_BYTES) {
    throw new LocalProtocolError(
      `parity chunk of group ${group} is ${payload.length} bytes, limit ${MAX_CHUNK_PAYLOAD_BYTES}`,
    )
  }
  return { ...base, size: payload.length, payload }
}

function metaOf(c: Chunk): MemberMeta {
  return {
    seq: c.seq,
    sourceTime: c.sourceTime,
    keyframe: c.keyframe,
    payloadLength: c.payload?.length ?? c.size,
    authLength: c.auth?.length ?? 0,
    size: c.size,
    stripe: c.stripe,
  }
}

function xorRecordInto(out: Uint8Array, offset: number, c: Chunk): void {
  const payload = c.payload!
  for (let i = 0; i < payload.length; i++) out[offset + i]! ^= payload[i]!
  const auth = c.auth
  if (auth === null) return
  const at = offset + payload.length
  for (let i = 0; i < auth.length; i++) out[at + i]! ^= auth[i]!
}

/** Member metadata of a parity chunk; RemoteProtocolError if its header is malformed. */
function membersOf(parity: Chunk, f: number): { metas: readonly MemberMeta[]; bodyOffset: number } {
  const k = groupSize(f)
  if (parity.payload === null) {
    const metas = virtualMembers.get(parity)
    if (!metas) throw new RemoteProtocolError(`virtual parity chunk ${parity.seq} has no member table`)
    return { metas, bodyOffset: 0 }
  }
  const r = new Reader(parity.payload)
  const metas: MemberMeta[] = []
  for (let i = 0; i < k; i++) {
    const payloadLength = r.varint()
    const authLength = r.varint()
    const sourceTime = r.f64()
    const keyframe = r.u8() === 1
    if (payloadLength > MAX_CHUNK_PAYLOAD_BYTES || authLength > MAX_CHUNK_AUTH_BYTES) {
      throw new RemoteProtocolError(`parity chunk ${parity.seq}: member ${i} lengths out of bounds`)
    }
    metas.push({
      seq: parity.seq * k + i,
      sourceTime,
      keyframe,
      payloadLength,
      authLength,
      size: payloadLength,
      stripe: -1,
    })
  }
  const bodyOffset = parity.payload.length - r.remaining
  const longest = Math.max(...metas.map((m) => m.payloadLength + m.authLength))
  if (r.remaining !== longest) {
    throw new RemoteProtocolError(
      `parity chunk ${parity.seq}: body is ${r.remaining} bytes, expected ${longest}`,
    )
  }
  return { metas, bodyOffset }
}

/**
 * Rebuild the one missing data chunk of a group from the parity chunk and the other f-2 data
 * chunks (`present`, any order). Returns the missing chunk exactly as the source cut it.
 * Throws RemoteProtocolError when the parity does not fit the members (a peer sent garbage).
 */
export function rebuildMissing(parity: Chunk, present: readonly Chunk[], f: number): Chunk {
  const k = groupSize(f)
  if (present.length !== k - 1)
    throw new LocalProtocolError(`rebuild needs ${k - 1} data chunks, got ${present.length}`)
  const { metas, bodyOffset } = membersOf(parity, f)
  const have = new Set(present.map((c) => c.seq - parity.seq * k))
  let missing = -1
  for (let i = 0; i < k; i++) if (!have.has(i)) missing = i
  if (missing < 0 || have.size !== k - 1)
    throw new LocalProtocolError(`rebuild of group ${parity.seq}: members do not leave exactly one gap`)
  const meta = metas[missing]!
  const base = { stream: parity.stream, seq: meta.seq, sourceTime: meta.sourceTime, keyframe: meta.keyframe }
  if (parity.payload === null) {
    return { ...base, stripe: meta.stripe, size: meta.size, payload: null, auth: null }
  }
  // A copy, never a view: the parity chunk is relayed as received, and on the net host its payload
  // is a Node Buffer, whose slice() is a view; XORing into one corrupted every parity chunk a node
  // relayed after a rebuild (f > 2 only: at f = 2 nothing is XORed), and children rejected them.
  const body = new Uint8Array(parity.payload.length - bodyOffset)
  body.set(parity.payload.subarray(bodyOffset))
  for (const c of present) {
    const m = metas[c.seq - parity.seq * k]!
    if (
      c.payload === null ||
      c.payload.length !== m.payloadLength ||
      (c.auth?.length ?? 0) !== m.authLength
    ) {
      throw new RemoteProtocolError(
        `rebuild of group ${parity.seq}: chunk ${c.seq} does not match the parity header`,
      )
    }
    xorRecordInto(body, 0, c)
  }
  const payload = body.slice(0, meta.payloadLength)
  const auth =
    meta.authLength > 0 ? body.slice(meta.payloadLength, meta.payloadLength + meta.authLength) : null
  return { ...base, stripe: -1, size: payload.length, payload, auth }
}

/**
 * Source side: collects data chunks and emits each group's parity chunk as soon as the group is
 * complete. A group with a gap (a seq the source skipped) gets no parity.
 */
export class ParityEncoder {
  private pending: Chunk[] = []

  constructor(private readonly f: number) {
    validateStripeCount(f)
  }

  /** Feed the next data chunk; returns the parity chunk when this chunk completes its group. */
  push(chunk: Chunk): Chunk | null {
    const k = groupSize(this.f)
    const first = this.pending[0]
    if (first !== undefined && Math.floor(first.seq / k) !== Math.floor(chunk.seq / k)) this.pending = []
    if (chunk.seq % k !== this.pending.length) {
      this.pending = []
      return null
    }
    this.pending.push(chunk)
    if (this.pending.length < k) return null
    const parity = buildParity(this.pending, this.f)
    this.pending = []
    return parity
  }
}

interface GroupState {
  readonly data: (Chunk | undefined)[]
  parity: Chunk | null
  held: number
  /** All data chunks handed out (received or rebuilt): later copies are dropped. */
  done: boolean
}

/**
 * Viewer side: takes chunks from all f stripes and hands out each data chunk once, rebuilding a
 * group's missing data chunk as soon as f-1 of its f chunks are in. Holds at most `maxGroups`
 * groups (the oldest are forgotten first); chunks of forgotten groups pass through unchanged.
 */
export class StripeDecoder {
  private readonly groups = new Map<number, GroupState>()
  /** Groups below this were forgotten. */
  private floor = 0
  rebuilt = 0

  constructor(
    private readonly f: number,
    private readonly maxGroups = 64,
  ) {
    validateStripeCount(f)
    if (!(maxGroups >= 1)) throw new LocalProtocolError(`maxGroups must be >= 1, got ${maxGroups}`)
  }

  /** Number of groups currently held (bounded by maxGroups). */
  get size(): number {
    return this.groups.size
  }

  /** Feed one chunk; returns the data chunks to deliver now (in seq order). */
  push(chunk: Chunk): Chunk[] {
    const f = this.f
    const k = groupSize(f)
    const g = groupOf(chunk, f)
    const parity = isParity(chunk, f)
    if (g < this.floor) return parity ? [] : [chunk]
    const state = this.group(g)
    if (state.done) return []
    const out: Chunk[] = []
    if (parity) {
      if (state.parity !== null) return []
      state.parity = chunk
    } else {
      const i = chunk.seq % k
      if (state.data[i] !== undefined) return []
      state.data[i] = chunk
      state.held++
      out.push(chunk)
    }
    if (state.held === k) {
      this.finish(state)
    } else if (state.held === k - 1 && state.parity !== null) {
      const present = state.data.filter((c): c is Chunk => c !== undefined)
      const missing = rebuildMissing(state.parity, present, f)
      this.rebuilt++
      out.push(missing)
      out.sort((a, b) => a.seq - b.seq)
      this.finish(state)
    }
    return out
  }

  private finish(state: GroupState): void {
    state.done = true
    state.data.fill(undefined)
    state.parity = null
  }

  private group(g: number): GroupState {
    let state = this.groups.get(g)
    if (state) return state
    state = {
      data: new Array<Chunk | undefined>(groupSize(this.f)).fill(undefined),
      parity: null,
      held: 0,
      done: false,
    }
    this.groups.set(g, state)
    while (this.groups.size > this.maxGroups) {
      let oldest = Number.POSITIVE_INFINITY
      for (const key of this.groups.keys()) if (key < oldest) oldest = key
      this.groups.delete(oldest)
      this.floor = Math.max(this.floor, oldest + 1)
    }
    return state
  }
}
