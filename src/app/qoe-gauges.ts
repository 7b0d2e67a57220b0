import { Gauge, type Registry } from 'prom-client'
import type { ViewerStats } from './viewer.ts'

/**
 * The viewer's QoE next to the host's counters on /metrics. Gauges read a fresh snapshot when
 * scraped (collect), so nothing is updated per chunk. -1 stands for "not yet" (before playback).
 */
export function registerQoeGauges(registry: Registry, stats: () => ViewerStats): void {
  const gauge = (name: string, help: string, read: (s: ViewerStats) => number | null) =>
    new Gauge({
      name: `peercaster_${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()) ?? -1)
      },
    })
  gauge('startup_delay_ms', 'join -> playback start (ms); -1 before playback', (s) => s.startupDelayMs)
  gauge('playout_lag_ms', 'play time - source time of the current chunk (ms)', (s) => s.playoutLagMs)
  gauge('continuity', 'chunks played on time / chunks due since playback started', (s) => s.continuity)
  gauge('chunks_played', 'chunks handed to the player on time', (s) => s.chunksPlayed)
  gauge('chunks_missing', 'chunks due but not held at their play time', (s) => s.chunksMissing)
  gauge('parents', 'peers this viewer receives from', (s) => s.parents.length)
  gauge('children', 'peers this viewer forwards to', (s) => s.children.length)
  gauge('hops', 'overlay hops of the newest chunk', (s) => s.hops)
  gauge('connected', '1 when the overlay has a working feed', (s) => (s.connected ? 1 : 0))
}
