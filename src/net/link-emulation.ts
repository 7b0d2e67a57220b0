import type { Rng } from '../core/rng.ts'

/**
 * Userspace link emulation for local testbeds (this kernel has no netem): one-way delay with
 * jitter, message loss and an upload cap, applied per destination peer on the host's send path.
 * Pure arithmetic on times the caller passes in, so it is deterministic with a seeded Rng and
 * testable without a clock; the host turns the returned times into timers.
 *
 * Semantics, chosen to look like one TCP connection behind a shaped access link:
 * - upload cap: token bucket of `burstBytes`; a message departs once the bucket covers it, so
 *   departures are FIFO and the long-run rate never exceeds uploadKbps;
 * - delay/jitter: arrival = departure + delay + uniform(-jitter, +jitter), clamped so it is never
 *   earlier than the previous arrival (jitter never reorders a stream);
 * - loss: a departed message is dropped with probability `loss` (it still used the upload). On a
 *   reliable stream this models what a datagram overlay would see; chunk overlays repair or skip.
 */
export interface LinkProfile {
  readonly delayMs: number
  readonly jitterMs: number
  /** Probability in [0, 1) that a message is lost. */
  readonly loss: number
  /** Upload cap toward this peer in kbit/s; Infinity for none. */
  readonly uploadKbps: number
  /** Token bucket depth in bytes (default 16 KiB). */
  readonly burstBytes?: number
}

export const PERFECT_LINK: LinkProfile = { delayMs: 0, jitterMs: 0, loss: 0, uploadKbps: Infinity }

export function validateLinkProfile(p: LinkProfile): LinkProfile {
  const bad = (why: string): never => {
    throw new RangeError(`link profile: ${why}`)
  }
  if (!(p.delayMs >= 0)) bad(`delayMs must be >= 0, got ${p.delayMs}`)
  if (!(p.jitterMs >= 0 && p.jitterMs <= p.delayMs))
    bad(`jitterMs must be in [0, delayMs], got ${p.jitterMs}`)
  if (!(p.loss >= 0 && p.loss < 1)) bad(`loss must be in [0, 1), got ${p.loss}`)
  if (!(p.uploadKbps > 0)) bad(`uploadKbps must be > 0, got ${p.uploadKbps}`)
  if (p.burstBytes !== undefined && !(p.burstBytes > 0)) bad(`burstBytes must be > 0, got ${p.burstBytes}`)
  return p
}

export class LinkShaper {
  private readonly bytesPerMs: number
  private readonly burstBytes: number
  private tokens: number
  private refilledAt = Number.NEGATIVE_INFINITY
  private lastArrival = Number.NEGATIVE_INFINITY
  sentBytes = 0
  lost = 0

  constructor(
    readonly profile: LinkProfile,
    private readonly rng: Rng,
  ) {
    validateLinkProfile(profile)
    this.bytesPerMs = profile.uploadKbps / 8
    this.burstBytes = profile.burstBytes ?? 16 * 1024
    this.tokens = this.burstBytes
  }

  private refill(now: number): void {
    if (now > this.refilledAt) {
      const gained = Number.isFinite(this.refilledAt)
        ? (now - this.refilledAt) * this.bytesPerMs
        : this.burstBytes
      this.tokens = Math.min(this.burstBytes, this.tokens + gained)
      this.refilledAt = now
    }
  }

  /** Earliest time a message of `size` bytes may leave (now, or later when the bucket is short). */
  departureTime(now: number, size: number): number {
    if (!Number.isFinite(this.bytesPerMs)) return now
    this.refill(now)
    // A message larger than the bucket leaves once the bucket is full (and drives it negative).
    const need = Math.min(size, this.burstBytes)
    return this.tokens >= need ? now : now + (need - this.tokens) / this.bytesPerMs
  }

  /**
   * The message leaves at `now` (call when departureTime(now, size) <= now). Returns its arrival
   * time at the peer, or null when it is lost.
   */
  transmit(now: number, size: number): number | null {
    if (Number.isFinite(this.bytesPerMs)) {
      this.refill(now)
      this.tokens -= size
    }
    this.sentBytes += size
    const { delayMs, jitterMs, loss } = this.profile
    const jitter = jitterMs > 0 ? (this.rng.next() * 2 - 1) * jitterMs : 0
    if (loss > 0 && this.rng.next() < loss) {
      this.lost++
      return null
    }
    const arrival = Math.max(now + delayMs + jitter, this.lastArrival)
    this.lastArrival = arrival
    return arrival
  }
}
