import type { Message } from '../core/codec.ts'
import type { NodeId } from '../core/ids.ts'
import type { Env, Locator, TimerId } from '../core/protocol.ts'
import type { Rng } from '../core/rng.ts'
import type { Chunk } from '../stream/chunk.ts'

/** What a node's Env asks of the simulator (implemented by Simulation). */
export interface EnvHost<M extends Message> {
  sendFrom(from: number, to: NodeId, msg: M): void
  setTimerFor(node: number, delayMs: number, kind: number, arg: NodeId | undefined): TimerId
  cancelTimerFor(node: number, id: TimerId): void
  deliverTo(node: number, chunk: Chunk, hops: number): void
  locatorOf(node: number): Locator
  locatorDistance(a: Locator, b: Locator): number
  recordMetric(name: string, value: number): void
}

/** One node's window on the simulator: a thin forwarder, two fields and an rng per node. */
export class SimEnv<M extends Message> implements Env<M> {
  constructor(
    private readonly host: EnvHost<M>,
    readonly self: number,
    readonly rng: Rng,
  ) {}

  send(to: NodeId, msg: M): void {
    this.host.sendFrom(this.self, to, msg)
  }

  setTimer(delayMs: number, kind: number, arg?: NodeId): TimerId {
    return this.host.setTimerFor(this.self, delayMs, kind, arg)
  }

  cancelTimer(id: TimerId): void {
    this.host.cancelTimerFor(this.self, id)
  }

  deliver(chunk: Chunk, hops: number): void {
    this.host.deliverTo(this.self, chunk, hops)
  }

  locate(): Locator {
    return this.host.locatorOf(this.self)
  }

  distance(a: Locator, b: Locator): number {
    return this.host.locatorDistance(a, b)
  }

  metric(name: string, value: number): void {
    this.host.recordMetric(name, value)
  }

  /** The simulator keeps no per-peer sessions, so there is nothing to free. */
  disconnect(_peer: NodeId): void {}
}
