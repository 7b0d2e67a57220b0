/** What the cache needs from a chunk: both MediaChunk and the stream Chunk fit. */
export interface GroupableChunk {
  readonly seq: number
  readonly size: number
  readonly keyframe: boolean
}

/**
 * The latest keyframe group (keyframe chunk plus the chunks after it, in order), so a new viewer
 * or player starts decoding at once instead of waiting up to a group for the next keyframe.
 * Bounded: a group that outgrows `maxBytes`, or has a hole in its sequence numbers, is dropped
 * (a partial group cannot be decoded from its start) until the next keyframe begins a new one.
 */
export class GopCache<C extends GroupableChunk> {
  private group: C[] = []
  private groupBytes = 0
  private valid = false

  constructor(private readonly maxBytes: number) {}

  add(chunk: C): void {
    if (chunk.keyframe) {
      this.group = [chunk]
      this.groupBytes = chunk.size
      this.valid = chunk.size <= this.maxBytes
      if (!this.valid) this.clear()
      return
    }
    if (!this.valid) return
    const last = this.group[this.group.length - 1]
    if (last !== undefined && chunk.seq !== last.seq + 1) {
      this.clear()
      return
    }
    if (this.groupBytes + chunk.size > this.maxBytes) {
      this.clear()
      return
    }
    this.group.push(chunk)
    this.groupBytes += chunk.size
  }

  /** The chunks of the current group from its keyframe on; empty when there is no usable group. */
  snapshot(): readonly C[] {
    return this.valid ? this.group.slice() : []
  }

  get bytes(): number {
    return this.valid ? this.groupBytes : 0
  }

  private clear(): void {
    this.group = []
    this.groupBytes = 0
    this.valid = false
  }
}
