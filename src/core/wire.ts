import { RemoteProtocolError } from './errors.ts'
import { MAX_NODE_ID_BYTES, type NodeId } from './ids.ts'

const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

/** Growable byte writer used by every message codec. */
export class Writer {
  private buf: Uint8Array
  private view: DataView
  length = 0

  constructor(initial = 64) {
    this.buf = new Uint8Array(initial)
    this.view = new DataView(this.buf.buffer)
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8(v: number): this {
    this.reserve(1)
    this.buf[this.length++] = v & 0xff
    return this
  }

  u32(v: number): this {
    this.reserve(4)
    this.view.setUint32(this.length, v >>> 0)
    this.length += 4
    return this
  }

  f64(v: number): this {
    this.reserve(8)
    this.view.setFloat64(this.length, v)
    this.length += 8
    return this
  }

  /** Unsigned LEB128 for integers up to 2^53. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`)
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80)
      v = Math.floor(v / 0x80)
    }
    return this.u8(v)
  }

  bytes(b: Uint8Array): this {
    this.varint(b.length)
    this.reserve(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
    return this
  }

  string(s: string): this {
    return this.bytes(utf8Encoder.encode(s))
  }

  /** Numbers (simulator ids) and strings (PeerIds) are both legal node ids. */
  nodeId(id: NodeId): this {
    if (typeof id === 'number') return this.u8(0).varint(id)
    return this.u8(1).string(id)
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}

/** Bounds-checked reader over untrusted bytes: every failure is a RemoteProtocolError. */
export class Reader {
  private pos = 0
  private readonly view: DataView

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get remaining(): number {
    return this.buf.length - this.pos
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new RemoteProtocolError(`truncated message: ${what} needs ${n} bytes, ${this.remaining} left`)
    }
  }

  u8(): number {
    this.need(1, 'u8')
    return this.buf[this.pos++]!
  }

  u32(): number {
    this.need(4, 'u32')
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    return v
  }

  f64(): number {
    this.need(8, 'f64')
    const v = this.view.getFloat64(this.pos)
    this.pos += 8
    return v
  }

  varint(): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const b = this.u8()
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new RemoteProtocolError('varint exceeds 2^53')
        return result
      }
      scale *= 0x80
    }
    throw new RemoteProtocolError('varint longer than 8 bytes')
  }

  /** Bytes with a declared length; `max` bounds what a peer may make us allocate. */
  bytes(max: number): Uint8Array {
    const n = this.varint()
    if (n > max) throw new RemoteProtocolError(`byte field of ${n} bytes exceeds limit ${max}`)
    this.need(n, 'bytes')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  string(max: number): string {
    try {
      return utf8.decode(this.bytes(max))
    } catch (err) {
      if (err instanceof TypeError) throw new RemoteProtocolError('string field is not valid UTF-8')
      throw err
    }
  }

  nodeId(): NodeId {
    const tag = this.u8()
    if (tag === 0) return this.varint()
    if (tag === 1) return this.string(MAX_NODE_ID_BYTES)
    throw new RemoteProtocolError(`bad node id tag ${tag}`)
  }

  /** A collection received from a peer: the count is checked against `max` before any allocation. */
  array<T>(max: number, item: (r: Reader) => T): T[] {
    const n = this.varint()
    if (n > max) throw new RemoteProtocolError(`collection of ${n} items exceeds limit ${max}`)
    const out: T[] = []
    for (let i = 0; i < n; i++) out.push(item(this))
    return out
  }

  end(): void {
    if (this.remaining !== 0) throw new RemoteProtocolError(`${this.remaining} trailing bytes after message`)
  }
}
