import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { isRemoteProtocolError, RemoteProtocolError } from '../core/errors.ts'
import { MAX_NODE_ID_BYTES } from '../core/ids.ts'
import { Reader, Writer } from '../core/wire.ts'
import { encodeFrame, FrameDecoder } from './framing.ts'

/**
 * The host's own small protocol, beside the overlay's: RTT pings (for locators) and address
 * look-ups. Overlay messages carry only PeerIds, so when a protocol tells us to talk to a peer we
 * have never met, we ask the peers we are connected to for its addresses (they learned them from
 * identify). A lying answer only costs a failed dial: Noise checks the PeerId on connect.
 */
export const CONTROL_PROTOCOL = '/peercaster/host/1'
const PING = 1
const PONG = 2
const ADDRS_QUERY = 3
const ADDRS_REPLY = 4
const MAX_CONTROL_FRAME = 4096
const MAX_ADDRS = 16
const MAX_ADDR_CHARS = 200

/** `clock` is the host's protocol clock (the source's timeline on viewers), reported in pongs. */
export function serveControl(
  libp2p: Libp2p,
  clock: () => number,
  onError: (err: unknown) => void,
): Promise<void> {
  return libp2p.handle(
    CONTROL_PROTOCOL,
    (stream) => {
      const decoder = new FrameDecoder(MAX_CONTROL_FRAME)
      // The client half-closes after its last request; close ours so the slot is freed (a
      // half-closed stream counts against maxInboundStreams: the 5th ping would be refused).
      stream.addEventListener('remoteCloseWrite', () => {
        stream.close().catch((err: Error) => stream.abort(err))
      })
      stream.addEventListener('message', (e) => {
        try {
          for (const frame of decoder.push(e.data.subarray())) void answer(libp2p, clock, stream, frame)
        } catch (err) {
          onError(err)
          stream.abort(err as Error)
        }
      })
    },
    { maxInboundStreams: 4 },
  )
}

async function answer(libp2p: Libp2p, clock: () => number, stream: Stream, frame: Uint8Array) {
  try {
    const r = new Reader(frame)
    const kind = r.u8()
    if (kind === PING) {
      const nonce = r.u32()
      r.end()
      stream.send(encodeFrame(new Writer(16).u8(PONG).u32(nonce).f64(clock()).finish()))
    } else if (kind === ADDRS_QUERY) {
      const id = r.string(MAX_NODE_ID_BYTES)
      r.end()
      const addrs = await knownAddrs(libp2p, id)
      const w = new Writer().u8(ADDRS_REPLY)
      const fitting = addrs.filter((a) => a.length <= MAX_ADDR_CHARS).slice(0, MAX_ADDRS)
      w.varint(fitting.length)
      for (const a of fitting) w.string(a)
      stream.send(encodeFrame(w.finish()))
    } else throw new RemoteProtocolError(`unknown control message ${kind}`)
  } catch (err) {
    stream.abort(err as Error)
  }
}

async function knownAddrs(libp2p: Libp2p, id: string): Promise<string[]> {
  let peer: PeerId
  try {
    peer = peerIdFromString(id)
  } catch {
    throw new RemoteProtocolError(`addrs query for a malformed PeerId`)
  }
  if (peer.equals(libp2p.peerId)) return libp2p.getMultiaddrs().map((a) => a.decapsulateCode(421).toString())
  if (!(await libp2p.peerStore.has(peer))) return []
  const data = await libp2p.peerStore.get(peer)
  return data.addresses.map((a) => a.multiaddr.toString())
}

/** Sends one frame per call on a dedicated stream and resolves with each reply frame in turn. */
class ControlClient {
  private readonly decoder = new FrameDecoder(MAX_CONTROL_FRAME)
  private waiting: ((frame: Uint8Array | Error) => void) | undefined

  constructor(private readonly stream: Stream) {
    stream.addEventListener('message', (e) => {
      try {
        for (const f of this.decoder.push(e.data.subarray())) this.settle(f)
      } catch (err) {
        this.settle(err as Error)
        stream.abort(err as Error)
      }
    })
    stream.addEventListener('close', () => this.settle(new Error('control stream closed')))
  }

  private settle(v: Uint8Array | Error): void {
    const w = this.waiting
    this.waiting = undefined
    w?.(v)
  }

  request(body: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(new Error(`no control reply in ${timeoutMs} ms`)), timeoutMs)
      this.waiting = (v) => {
        clearTimeout(timer)
        if (v instanceof Error) reject(v)
        else resolve(v)
      }
      this.stream.send(encodeFrame(body))
    })
  }

  close(): void {
    this.stream.close().catch(() => this.stream.abort(new Error('close failed')))
  }
}

async function openControl(libp2p: Libp2p, peer: PeerId, timeoutMs: number): Promise<ControlClient> {
  const stream = await libp2p.dialProtocol(peer, CONTROL_PROTOCOL, { signal: AbortSignal.timeout(timeoutMs) })
  return new ControlClient(stream)
}

export interface RttSample {
  readonly rttMs: number
  /** The peer's clock minus ours, NTP-style from the fastest exchange (error <= rtt / 2). */
  readonly clockOffsetMs: number
}

/**
 * RTT to `peer`: best of `samples` pings on one stream (the first, which pays stream setup, is
 * discarded when there are more). `localClock` is the clock the offset is measured against.
 */
export async function measureRtt(
  libp2p: Libp2p,
  peer: PeerId,
  timeoutMs: number,
  localClock: () => number,
  samples = 3,
): Promise<RttSample> {
  const client = await openControl(libp2p, peer, timeoutMs)
  try {
    let best: RttSample = { rttMs: Number.POSITIVE_INFINITY, clockOffsetMs: 0 }
    for (let i = 0; i < samples; i++) {
      const nonce = (Math.random() * 0x100000000) >>> 0
      const sentAt = localClock()
      const started = performance.now()
      const reply = new Reader(await client.request(new Writer(8).u8(PING).u32(nonce).finish(), timeoutMs))
      const rttMs = performance.now() - started
      if (reply.u8() !== PONG || reply.u32() !== nonce) throw new RemoteProtocolError('bad pong')
      const remoteNow = reply.f64()
      reply.end()
      if ((i > 0 || samples === 1) && rttMs < best.rttMs) {
        best = { rttMs, clockOffsetMs: remoteNow - (sentAt + rttMs / 2) }
      }
    }
    return best
  } finally {
    client.close()
  }
}

/** Asks `via` for the addresses of `target`; returns them (possibly none). Never throws. */
export async function lookupAddrs(libp2p: Libp2p, via: PeerId, target: string, timeoutMs: number) {
  let client: ControlClient | undefined
  try {
    client = await openControl(libp2p, via, timeoutMs)
    const r = new Reader(
      await client.request(new Writer().u8(ADDRS_QUERY).string(target).finish(), timeoutMs),
    )
    if (r.u8() !== ADDRS_REPLY) throw new RemoteProtocolError('bad addrs reply')
    const addrs = r.array(MAX_ADDRS, (rr) => rr.string(MAX_ADDR_CHARS))
    r.end()
    return addrs.flatMap((a) => {
      try {
        return [multiaddr(a)]
      } catch {
        return []
      }
    })
  } catch (err) {
    if (!isRemoteProtocolError(err) && !(err instanceof Error)) throw err
    return []
  } finally {
    client?.close()
  }
}
