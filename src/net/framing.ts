import { RemoteProtocolError } from '../core/errors.ts'

/**
 * Length-prefixed frames on a libp2p stream: [unsigned LEB128 length][bytes]. The decoder checks
 * the declared length against the codec's largest frame as soon as the prefix is read, so an
 * oversized frame is refused before a byte of its body is buffered.
 */

const MAX_PREFIX_BYTES = 5

export function encodeFrame(body: Uint8Array): Uint8Array {
  let n = body.length
  const prefix: number[] = []
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  prefix.push(n)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix, 0)
  out.set(body, prefix.length)
  return out
}

export class FrameDecoder {
  private parts: Uint8Array[] = []
  private buffered = 0
  /** Body length of the frame being read, once its prefix is complete. */
  private expected = -1

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for an incomplete frame (bounded by maxFrameBytes + prefix). */
  get bufferedBytes(): number {
    return this.buffered
  }

  /** Feed received bytes; returns the complete frames. Throws RemoteProtocolError on a bad prefix. */
  push(bytes: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = []
    if (bytes.length > 0) {
      this.parts.push(bytes)
      this.buffered += bytes.length
    }
    for (;;) {
      if (this.expected < 0 && !this.readPrefix()) break
      if (this.buffered < this.expected) break
      frames.push(this.take(this.expected))
      this.expected = -1
    }
    return frames
  }

  private readPrefix(): boolean {
    let value = 0
    let scale = 1
    let i = 0
    for (const part of this.parts) {
      for (const b of part) {
        value += (b & 0x7f) * scale
        i++
        if ((b & 0x80) === 0) {
          if (value > this.maxFrameBytes) {
            throw new RemoteProtocolError(`frame of ${value} bytes exceeds limit ${this.maxFrameBytes}`)
          }
          this.take(i)
          this.expected = value
          return true
        }
        if (i >= MAX_PREFIX_BYTES) throw new RemoteProtocolError('frame length prefix longer than 5 bytes')
        scale *= 0x80
      }
    }
    return false
  }

  private take(n: number): Uint8Array {
    const first = this.parts[0]
    let out: Uint8Array
    if (first !== undefined && first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.parts.shift()
      else this.parts[0] = first.subarray(n)
    } else {
      out = new Uint8Array(n)
      let at = 0
      while (at < n) {
        const part = this.parts[0]!
        const use = Math.min(part.length, n - at)
        out.set(part.subarray(0, use), at)
        at += use
        if (use === part.length) this.parts.shift()
        else this.parts[0] = part.subarray(use)
      }
    }
    this.buffered -= n
    return out
  }
}
