import type { NodeId } from '../core/ids.ts'
import type { QoeSnapshot } from '../stream/qoe.ts'

/** Access-link capacities of one host, in kbit/s (Infinity: unlimited). */
export interface LinkSpec {
  uploadKbps: number
  downloadKbps: number
}

/**
 * What the simulator measured for one node. Upload counts every byte that entered the uplink
 * (lost messages included: they were sent); download counts bytes delivered to a live node.
 * `droppedQueueMessages` and `lostMessages` are counted at the sender.
 */
export interface NodeStats {
  id: NodeId
  joinedAtMs: number
  leftAtMs: number | null
  crashed: boolean
  /** From the node's PlayoutBuffer, as of the node's leave time (or now while alive). */
  qoe: QoeSnapshot
  uploadBytes: number
  downloadBytes: number
  dataUploadBytes: number
  controlUploadBytes: number
  dataDownloadBytes: number
  controlDownloadBytes: number
  /** Messages tail-dropped at this node's uplink (the FIFO backlog exceeded maxQueueMs). */
  droppedQueueMessages: number
  /** Messages this node sent that were lost in transit (SimConfig.lossRate). */
  lostMessages: number
  /** Chunk messages received by this node that failed verifyChunk (dropped before the protocol). */
  invalidChunks: number
  /** Mean of (delivery time - chunk.sourceTime) over chunks the protocol delivered (SpreadIt Fig. 7). */
  meanChunkDelayMs: number | null
}
