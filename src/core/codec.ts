import { LocalProtocolError, RemoteProtocolError } from './errors.ts'
import { Reader, Writer } from './wire.ts'

/** Every message is a plain object discriminated by `type`. */
export interface Message {
  readonly type: string
}

/** How one message type is encoded. `maxBytes` bounds the whole encoded frame. */
export interface MessageSpec<M extends Message> {
  readonly code: number
  readonly maxBytes: number
  /** Data messages carry stream payload; everything else counts as control overhead. */
  readonly data?: boolean
  encode(w: Writer, msg: M): void
  decode(r: Reader): M
  /** Wire size without encoding, for the simulator's bandwidth accounting (hot path). */
  sizeOf?(msg: M): number
}

/** Bytes of the frame header every message carries: [version u8][type code u8]. */
export const FRAME_HEADER_BYTES = 2

/** Spec of a message with no body (heartbeats, unsubscribes, ...): the header is the whole frame. */
export function emptyMessageSpec<M extends Message>(code: number, type: M['type']): MessageSpec<M> {
  return {
    code,
    maxBytes: FRAME_HEADER_BYTES,
    encode() {},
    decode: () => ({ type }) as M,
    sizeOf: () => FRAME_HEADER_BYTES,
  }
}

export type SpecTable<M extends Message> = { readonly [K in M['type']]: MessageSpec<Extract<M, { type: K }>> }

/**
 * One codec per overlay: frame = [version u8][type code u8][body]. Decoding untrusted bytes
 * returns RemoteProtocolError; encoding something that breaks our own limits is a LocalProtocolError.
 */
export class MessageCodec<M extends Message> {
  private readonly byCode = new Map<number, MessageSpec<M>>()
  private readonly byType = new Map<string, MessageSpec<M>>()
  readonly maxFrameBytes: number

  constructor(
    readonly name: string,
    readonly version: number,
    specs: SpecTable<M>,
  ) {
    let max = 0
    for (const [type, spec] of Object.entries(specs) as [string, MessageSpec<M>][]) {
      if (this.byCode.has(spec.code))
        throw new LocalProtocolError(`${name}: duplicate message code ${spec.code}`)
      this.byCode.set(spec.code, spec)
      this.byType.set(type, spec)
      max = Math.max(max, spec.maxBytes)
    }
    this.maxFrameBytes = max
  }

  private spec(msg: M): MessageSpec<M> {
    const spec = this.byType.get(msg.type)
    if (!spec) throw new LocalProtocolError(`${this.name}: unknown message type "${msg.type}"`)
    return spec
  }

  encode(msg: M): Uint8Array {
    const spec = this.spec(msg)
    const w = new Writer()
    w.u8(this.version).u8(spec.code)
    spec.encode(w, msg)
    if (w.length > spec.maxBytes) {
      throw new LocalProtocolError(`${this.name}: ${msg.type} is ${w.length} bytes, limit ${spec.maxBytes}`)
    }
    return w.finish()
  }

  decode(bytes: Uint8Array): M {
    if (bytes.length > this.maxFrameBytes) {
      throw new RemoteProtocolError(
        `${this.name}: frame of ${bytes.length} bytes exceeds ${this.maxFrameBytes}`,
      )
    }
    const r = new Reader(bytes)
    const version = r.u8()
    if (version !== this.version) {
      throw new RemoteProtocolError(`${this.name}: protocol version ${version}, expected ${this.version}`)
    }
    const code = r.u8()
    const spec = this.byCode.get(code)
    if (!spec) throw new RemoteProtocolError(`${this.name}: unknown message code ${code}`)
    if (bytes.length > spec.maxBytes) {
      throw new RemoteProtocolError(
        `${this.name}: frame of ${bytes.length} bytes exceeds limit ${spec.maxBytes}`,
      )
    }
    const msg = spec.decode(r)
    r.end()
    return msg
  }

  /** Encoded size in bytes (uses the spec's arithmetic sizeOf when it has one). */
  sizeOf(msg: M): number {
    const spec = this.spec(msg)
    return spec.sizeOf ? spec.sizeOf(msg) : this.encode(msg).length
  }

  isData(msg: M): boolean {
    return this.spec(msg).data === true
  }
}
