import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * What the net host counts. A plain object (cheap, for /stats and tests) mirrored into a
 * prom-client Registry per host (several hosts can share one process in tests and testbeds).
 */
export interface HostStats {
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  dataBytesOut: number
  controlBytesOut: number
  /** Frames or streams a peer broke (bad bytes, oversized frames): the stream was reset. */
  remoteErrors: number
  chunksVerified: number
  /** Chunks whose source signature failed: dropped, never relayed or played. */
  chunksRejected: number
  /** Data frames dropped oldest-first because a peer's queue was over its soft cap. */
  outboxDroppedFrames: number
  outboxDroppedBytes: number
  /** Sessions reset because even control frames exceeded the hard cap, or the stream failed. */
  sessionResets: number
  dialFailures: number
  /** Address look-ups answered by a connected peer (for a PeerId heard of only in a message). */
  addrLookups: number
  /** Messages dropped by link emulation. */
  linkLost: number
  delivered: number
  /** Exceptions thrown by the protocol itself (bugs): logged and counted, the host keeps serving. */
  protocolErrors: number
  /** Aggregates of Env.metric(name, value). */
  metrics: Record<string, { count: number; sum: number; min: number; max: number }>
}

export type CounterName = Exclude<keyof HostStats, 'metrics'>

export function emptyStats(): HostStats {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dataBytesOut: 0,
    controlBytesOut: 0,
    remoteErrors: 0,
    chunksVerified: 0,
    chunksRejected: 0,
    outboxDroppedFrames: 0,
    outboxDroppedBytes: 0,
    sessionResets: 0,
    dialFailures: 0,
    addrLookups: 0,
    linkLost: 0,
    delivered: 0,
    protocolErrors: 0,
    metrics: {},
  }
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

export class HostMeters {
  readonly stats: HostStats = emptyStats()
  readonly registry = new Registry()
  private readonly counters = new Map<CounterName, Counter>()
  private readonly protocolMetric: Histogram<'name'>

  constructor(peerQueueBytes: () => number, peers: () => number) {
    for (const key of Object.keys(this.stats) as (keyof HostStats)[]) {
      if (key === 'metrics') continue
      this.counters.set(
        key,
        new Counter({ name: `peercaster_${snakeCase(key)}_total`, help: key, registers: [this.registry] }),
      )
    }
    this.protocolMetric = new Histogram({
      name: 'peercaster_protocol_metric',
      help: 'Env.metric(name, value) from the overlay',
      labelNames: ['name'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000],
      registers: [this.registry],
    })
    new Gauge({
      name: 'peercaster_outbox_bytes',
      help: 'bytes queued toward all peers',
      registers: [this.registry],
      collect() {
        this.set(peerQueueBytes())
      },
    })
    new Gauge({
      name: 'peercaster_peers',
      help: 'peers with an outgoing session',
      registers: [this.registry],
      collect() {
        this.set(peers())
      },
    })
  }

  count(name: CounterName, by = 1): void {
    this.stats[name] += by
    this.counters.get(name)!.inc(by)
  }

  metric(name: string, value: number): void {
    const m = (this.stats.metrics[name] ??= { count: 0, sum: 0, min: value, max: value })
    m.count++
    m.sum += value
    m.min = Math.min(m.min, value)
    m.max = Math.max(m.max, value)
    this.protocolMetric.observe({ name }, value)
  }
}
