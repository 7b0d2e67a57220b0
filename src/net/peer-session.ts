import type { Stream } from '@libp2p/interface'
import type { LinkShaper } from './link-emulation.ts'
import { Outbox, type OutboxLimits } from './outbox.ts'

/**
 * Our sending half toward one peer: a bounded outbox drained into one lazily opened libp2p
 * stream, honouring the stream's backpressure (send() false -> wait for drain) and, when link
 * emulation is on, the shaper's pacing and delay. Incoming frames arrive on the stream the peer
 * opens to us; keeping the two directions apart avoids a race when both sides dial at once.
 */
export interface SessionHooks {
  now(): number
  openStream(peer: string): Promise<Stream>
  /** A frame left the outbox for the wire (or was lost by emulation when `lost`). */
  sent(frameBytes: number, data: boolean, lost: boolean): void
  dropped(frames: number, bytes: number): void
  failed(peer: string, reason: string, err?: unknown): void
}

interface DelayedFrame {
  readonly at: number
  readonly bytes: Uint8Array
}

const MAX_DELAY_LINE_BYTES = 8 << 20
/** A stream still blocked after this long with no progress is nudged (see waitForDrain). */
const DRAIN_KICK_MS = 250

/**
 * Waits for a blocked stream to accept data again. Listens for 'drain' itself instead of using
 * stream.onDrain(): libp2p 3.3 keeps the settled promise after the first drain, so later calls
 * resolve at once and a loop around them spins without ever yielding to I/O. And on a loaded
 * connection we saw a drain go missing (writableNeedsDrain stuck with bytes queued), so after
 * DRAIN_KICK_MS without progress we dispatch a 'drain' ourselves: the stream retries its send
 * queue, and if the muxer is still full it simply blocks again.
 */
function waitForDrain(stream: Stream): Promise<void> {
  const queuedBefore = stream.writeBufferLength
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer)
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = () => done()
    const onClose = () => done(new Error('stream closed while waiting for drain'))
    const timer = setTimeout(() => {
      if (
        stream.writableNeedsDrain &&
        stream.writeBufferLength === queuedBefore &&
        stream.status === 'open'
      ) {
        stream.dispatchEvent(new Event('drain'))
      }
      done()
    }, DRAIN_KICK_MS)
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
  })
}

export class PeerSession {
  readonly outbox: Outbox
  private stream: Stream | undefined
  private pumping = false
  private closed = false
  /** Set by finish(): no new frames; close once everything queued has left. */
  private finishing = false
  private finishTimer: NodeJS.Timeout | undefined
  private onFinished: (() => void) | undefined
  private wake: { timer: NodeJS.Timeout; resolve: () => void } | undefined
  private delayLine: DelayedFrame[] = []
  private delayLineBytes = 0
  private delayTimer: NodeJS.Timeout | undefined

  constructor(
    readonly peer: string,
    limits: OutboxLimits,
    private readonly hooks: SessionHooks,
    private readonly shaper: LinkShaper | undefined,
  ) {
    this.outbox = new Outbox(limits)
  }

  /** Bytes held for this peer (queue and emulated delay line). */
  get queuedBytes(): number {
    return this.outbox.bytes + this.delayLineBytes
  }

  /** Closed, or finishing: either way it takes no new frames. */
  get isClosed(): boolean {
    return this.closed || this.finishing
  }

  /** Queue a frame; false when the session hit its hard cap and was reset (the caller forgets it). */
  send(bytes: Uint8Array, data: boolean): boolean {
    if (this.closed || this.finishing) return false
    const r = this.outbox.enqueue({ bytes, data })
    if (!r.ok) {
      this.fail('outbox hard cap reached: peer is not reading')
      return false
    }
    if (r.droppedData > 0) this.hooks.dropped(r.droppedData, r.droppedBytes)
    void this.pump()
    return true
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (!this.closed && this.outbox.length > 0) {
        if (!this.stream) {
          const opened = await this.hooks.openStream(this.peer)
          if (this.closed) {
            opened.abort(new Error('session closed while its stream was opening'))
            return
          }
          this.stream = opened
        }
        const stream = this.stream
        if (stream.status !== 'open' || stream.writeStatus !== 'writable') {
          throw new Error(`stream is ${stream.status}/${stream.writeStatus}`)
        }
        if (stream.writableNeedsDrain) {
          await waitForDrain(stream)
          continue
        }
        const head = this.outbox.peek()!
        if (this.shaper) {
          const now = this.hooks.now()
          const departure = this.shaper.departureTime(now, head.bytes.length)
          if (departure > now) {
            await this.sleep(departure - now)
            continue
          }
          this.outbox.shift()
          const arrival = this.shaper.transmit(now, head.bytes.length)
          this.hooks.sent(head.bytes.length, head.data, arrival === null)
          if (arrival !== null) this.delay(arrival, head.bytes)
        } else {
          this.outbox.shift()
          stream.send(head.bytes)
          this.hooks.sent(head.bytes.length, head.data, false)
        }
      }
    } catch (err) {
      this.fail('stream failed', err)
    } finally {
      this.pumping = false
      this.finishIfDrained()
    }
  }

  /**
   * Graceful end (Env.disconnect): frames already queued still go out — a protocol often sends a
   * last message and then disconnects — then the stream is half-closed. A peer that does not take
   * them within `timeoutMs` gets its stream reset.
   */
  finish(timeoutMs = 5000, onFinished?: () => void): void {
    if (this.closed || this.finishing) return
    this.finishing = true
    this.onFinished = onFinished
    this.finishTimer = setTimeout(
      () => this.close(new Error('peer did not drain before disconnect')),
      timeoutMs,
    )
    this.finishIfDrained()
  }

  private finishIfDrained(): void {
    if (this.finishing && !this.pumping && this.outbox.length === 0 && this.delayLine.length === 0) {
      this.close()
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = { timer: setTimeout(resolve, Math.max(0, Math.ceil(ms))), resolve }
    })
  }

  /** Emulated propagation delay: frames leave in arrival order (the shaper never reorders). */
  private delay(at: number, bytes: Uint8Array): void {
    if (this.delayLineBytes + bytes.length > MAX_DELAY_LINE_BYTES) {
      this.hooks.sent(0, true, true)
      return
    }
    this.delayLine.push({ at, bytes })
    this.delayLineBytes += bytes.length
    this.scheduleRelease()
  }

  private scheduleRelease(): void {
    if (this.delayTimer !== undefined || this.delayLine.length === 0) return
    const wait = Math.max(0, this.delayLine[0]!.at - this.hooks.now())
    this.delayTimer = setTimeout(() => {
      this.delayTimer = undefined
      this.release()
    }, Math.ceil(wait))
  }

  private release(): void {
    const now = this.hooks.now()
    let due = 0
    while (due < this.delayLine.length && this.delayLine[due]!.at <= now) due++
    const frames = this.delayLine.splice(0, due)
    for (const f of frames) {
      this.delayLineBytes -= f.bytes.length
      try {
        if (!this.closed) this.stream?.send(f.bytes)
      } catch (err) {
        this.fail('stream failed', err)
        return
      }
    }
    this.scheduleRelease()
    this.finishIfDrained()
  }

  private fail(reason: string, err?: unknown): void {
    if (this.closed) return
    this.close(err instanceof Error ? err : new Error(reason))
    this.hooks.failed(this.peer, reason, err)
  }

  /** Stop sending; with `err` the stream is reset, without it half-closed after queued bytes. */
  close(err?: Error): void {
    if (this.closed) return
    this.closed = true
    if (this.finishTimer) clearTimeout(this.finishTimer)
    const onFinished = this.onFinished
    this.onFinished = undefined
    onFinished?.()
    this.outbox.clear()
    this.delayLine = []
    this.delayLineBytes = 0
    if (this.delayTimer) clearTimeout(this.delayTimer)
    if (this.wake) {
      clearTimeout(this.wake.timer)
      this.wake.resolve()
    }
    const stream = this.stream
    if (!stream) return
    if (err) stream.abort(err)
    else stream.close().catch((e: Error) => stream.abort(e))
  }

  /** Resolves when everything queued has been handed to the stream (or after `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (
      !this.closed &&
      (this.outbox.length > 0 || this.delayLine.length > 0 || this.pumping) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 5))
    }
  }
}
