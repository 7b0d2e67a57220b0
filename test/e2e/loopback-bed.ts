// The skeleton both loopback testbeds share (testbed.ts: a source and viewers; i3-testbed.ts:
// rendezvous servers too): start or clean up, viewers joining a few at a time, crash, stop.
import type { Broadcaster } from '../../src/app/broadcaster.ts'
import type { Viewer } from '../../src/app/viewer.ts'

export interface BedPeer {
  readonly index: number
  viewer: Viewer | undefined
  alive: boolean
}

export abstract class LoopbackBed<P extends BedPeer> {
  source: Broadcaster | undefined
  readonly peers: P[] = []

  /** Launches `bed`; on any failure stops what started and rethrows. */
  protected static async started<B extends LoopbackBed<BedPeer>>(bed: B): Promise<B> {
    try {
      await bed.launch()
    } catch (err) {
      await bed.stop()
      throw err
    }
    return bed
  }

  /** Starts the source, then the viewers (and whatever else the bed holds). */
  protected abstract launch(): Promise<void>

  /** What the bed holds besides its viewers and source (key files, servers): freed after them. */
  protected abstract release(): Promise<void>

  get uri(): string {
    if (!this.source) throw new Error('testbed source is not running')
    return this.source.uri
  }

  alive(): P[] {
    return this.peers.filter((p) => p.alive && p.viewer !== undefined)
  }

  /** Kills a viewer abruptly: no leave message, connections dropped (a crash, as the overlay sees it). */
  async crash(peer: P): Promise<void> {
    peer.alive = false
    await peer.viewer?.stop({ graceful: false })
  }

  /** Stops every viewer and the source (each at most once), then what else the bed holds. */
  async stop(): Promise<void> {
    const viewers = this.peers.filter((p) => p.viewer !== undefined && p.alive)
    for (const p of viewers) p.alive = false
    await Promise.allSettled(viewers.map((p) => p.viewer!.stop({ graceful: false })))
    const source = this.source
    this.source = undefined
    await source?.stop().catch(() => {})
    await this.release()
  }

  /** Runs `join` for every peer, `concurrency` at a time, in index order. */
  protected async joinAll(concurrency: number, join: (peer: P) => Promise<void>): Promise<void> {
    const queue = [...this.peers]
    const worker = async () => {
      for (let peer = queue.shift(); peer !== undefined; peer = queue.shift()) await join(peer)
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }
}
