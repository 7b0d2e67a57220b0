/**
 * Per-node state of the simulator indexed by node id (ids are dense small integers): access
 * links, lifecycle and traffic counters, with no object per node, so 10^5 viewers cost ~15 MB
 * here and departed nodes keep their counters for free (NodeStats for every node that ever
 * joined).
 *
 * Layout: one 128-byte record per node in a Float64Array (`rec`, NODE_RECORD doubles, field
 * offsets N_*), ordered so that everything one message touches at its sender and at its
 * receiver (links, FIFO free-at times, data byte counters, chunk delay) shares the record's
 * first 64 bytes. With 10^5 nodes the table is far larger than the caches and each message
 * meets a different node: one cache line per node beats one per column (the former layout,
 * a typed array per field). Liveness flags and host indices stay dense byte/int arrays.
 */
export const NODE_RECORD = 16
// First 64 bytes: the per-message fields.
/** When the uplink FIFO finishes what it has already accepted (ms). */
export const N_UPLINK_FREE_AT = 0
/** Capacity in kbit/s (= bits per ms); Infinity means no serialization delay. */
export const N_UPLOAD_KBPS = 1
export const N_DATA_UP_BYTES = 2
/** When the downlink FIFO finishes what it has already accepted (ms). */
export const N_DOWNLINK_FREE_AT = 3
export const N_DOWNLOAD_KBPS = 4
export const N_DATA_DOWN_BYTES = 5
/** Sum and count of (delivery time - sourceTime) over chunks handed to the playout buffer. */
export const N_CHUNK_DELAY_SUM = 6
export const N_CHUNK_DELAY_COUNT = 7
// Second 64 bytes: control traffic, lifecycle, rare counters.
export const N_CONTROL_UP_BYTES = 8
export const N_CONTROL_DOWN_BYTES = 9
export const N_JOINED_AT = 10
/** NaN while the node is alive. */
export const N_LEFT_AT = 11
export const N_DROPPED_QUEUE = 12
export const N_LOST = 13
export const N_INVALID_CHUNKS = 14

export class NodeTable {
  count = 0
  private capacity: number

  /** NODE_RECORD doubles per node; see the N_* offsets. */
  rec: Float64Array
  alive: Uint8Array
  crashed: Uint8Array
  /** The node's host index in the underlay. */
  host: Int32Array

  constructor(initialCapacity = 1024) {
    const n = Math.max(1, initialCapacity)
    this.capacity = n
    this.rec = new Float64Array(n * NODE_RECORD)
    this.alive = new Uint8Array(n)
    this.crashed = new Uint8Array(n)
    this.host = new Int32Array(n)
  }

  /** Field `field` (an N_* offset) of node `id`. */
  get(id: number, field: number): number {
    return this.rec[id * NODE_RECORD + field]!
  }

  /** Append a live node and return its id. */
  add(joinedAt: number, uploadKbps: number, downloadKbps: number, host: number): number {
    if (this.count === this.capacity) this.grow()
    const id = this.count++
    const r = id * NODE_RECORD
    const rec = this.rec
    rec[r + N_UPLOAD_KBPS] = uploadKbps
    rec[r + N_DOWNLOAD_KBPS] = downloadKbps
    rec[r + N_UPLINK_FREE_AT] = joinedAt
    rec[r + N_DOWNLINK_FREE_AT] = joinedAt
    rec[r + N_JOINED_AT] = joinedAt
    rec[r + N_LEFT_AT] = Number.NaN
    this.alive[id] = 1
    this.host[id] = host
    return id
  }

  private grow(): void {
    const n = this.capacity * 2
    const rec = new Float64Array(n * NODE_RECORD)
    rec.set(this.rec)
    this.rec = rec
    const alive = new Uint8Array(n)
    alive.set(this.alive)
    this.alive = alive
    const crashed = new Uint8Array(n)
    crashed.set(this.crashed)
    this.crashed = crashed
    const host = new Int32Array(n)
    host.set(this.host)
    this.host = host
    this.capacity = n
  }
}
