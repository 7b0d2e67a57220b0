/**
 * Per-node state of the simulator as columns of typed arrays indexed by node id (ids are dense
 * small integers): access links, liveness and traffic counters. About 150 bytes per node and no
 * object per node, so 10^5 viewers cost ~15 MB here, and departed nodes keep their counters for
 * free (NodeStats for every node that ever joined).
 */
export class NodeTable {
  count = 0
  private capacity: number

  // Access links. Capacities in kbit/s (= bits per ms); Infinity means no serialization delay.
  uploadKbps: Float64Array
  downloadKbps: Float64Array
  /** When the uplink / downlink FIFO finishes what it has already accepted (ms). */
  uplinkFreeAt: Float64Array
  downlinkFreeAt: Float64Array

  // Lifecycle.
  alive: Uint8Array
  crashed: Uint8Array
  joinedAt: Float64Array
  /** NaN while the node is alive. */
  leftAt: Float64Array
  /** The node's host index in the underlay. */
  host: Int32Array

  // Traffic, in bytes and messages.
  dataUpBytes: Float64Array
  controlUpBytes: Float64Array
  dataDownBytes: Float64Array
  controlDownBytes: Float64Array
  droppedQueue: Float64Array
  lost: Float64Array
  invalidChunks: Float64Array
  /** Sum and count of (delivery time - sourceTime) over chunks handed to the playout buffer. */
  chunkDelaySum: Float64Array
  chunkDelayCount: Float64Array

  constructor(initialCapacity = 1024) {
    const n = Math.max(1, initialCapacity)
    this.capacity = n
    this.uploadKbps = new Float64Array(n)
    this.downloadKbps = new Float64Array(n)
    this.uplinkFreeAt = new Float64Array(n)
    this.downlinkFreeAt = new Float64Array(n)
    this.alive = new Uint8Array(n)
    this.crashed = new Uint8Array(n)
    this.joinedAt = new Float64Array(n)
    this.leftAt = new Float64Array(n)
    this.host = new Int32Array(n)
    this.dataUpBytes = new Float64Array(n)
    this.controlUpBytes = new Float64Array(n)
    this.dataDownBytes = new Float64Array(n)
    this.controlDownBytes = new Float64Array(n)
    this.droppedQueue = new Float64Array(n)
    this.lost = new Float64Array(n)
    this.invalidChunks = new Float64Array(n)
    this.chunkDelaySum = new Float64Array(n)
    this.chunkDelayCount = new Float64Array(n)
  }

  /** Append a live node and return its id. */
  add(joinedAt: number, uploadKbps: number, downloadKbps: number, host: number): number {
    if (this.count === this.capacity) this.grow()
    const id = this.count++
    this.uploadKbps[id] = uploadKbps
    this.downloadKbps[id] = downloadKbps
    this.uplinkFreeAt[id] = joinedAt
    this.downlinkFreeAt[id] = joinedAt
    this.alive[id] = 1
    this.joinedAt[id] = joinedAt
    this.leftAt[id] = Number.NaN
    this.host[id] = host
    return id
  }

  private grow(): void {
    const n = this.capacity * 2
    this.uploadKbps = growF64(this.uploadKbps, n)
    this.downloadKbps = growF64(this.downloadKbps, n)
    this.uplinkFreeAt = growF64(this.uplinkFreeAt, n)
    this.downlinkFreeAt = growF64(this.downlinkFreeAt, n)
    this.alive = growU8(this.alive, n)
    this.crashed = growU8(this.crashed, n)
    this.joinedAt = growF64(this.joinedAt, n)
    this.leftAt = growF64(this.leftAt, n)
    const host = new Int32Array(n)
    host.set(this.host)
    this.host = host
    this.dataUpBytes = growF64(this.dataUpBytes, n)
    this.controlUpBytes = growF64(this.controlUpBytes, n)
    this.dataDownBytes = growF64(this.dataDownBytes, n)
    this.controlDownBytes = growF64(this.controlDownBytes, n)
    this.droppedQueue = growF64(this.droppedQueue, n)
    this.lost = growF64(this.lost, n)
    this.invalidChunks = growF64(this.invalidChunks, n)
    this.chunkDelaySum = growF64(this.chunkDelaySum, n)
    this.chunkDelayCount = growF64(this.chunkDelayCount, n)
    this.capacity = n
  }
}

function growF64(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n)
  out.set(a)
  return out
}

function growU8(a: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n)
  out.set(a)
  return out
}
