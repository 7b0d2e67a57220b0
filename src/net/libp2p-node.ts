import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Ed25519PrivateKey, Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
// @ts-expect-error ws ships no types (and @types/ws is not installed); only its constructor is used
import { WebSocket as WsWebSocket } from 'ws'

/**
 * The libp2p engine under the net host: TCP and WebSockets, Noise, Yamux, and identify (it tells
 * each side the other's listen addresses, which fills the peerStore our PeerId dials rely on).
 */

// @libp2p/websockets dials through the global WebSocket, which Node 20 lacks (Node 22 has it).
// `ws` comes with @libp2p/websockets (it is its listener); it should be a direct dependency.
const g = globalThis as { WebSocket?: unknown }
if (g.WebSocket === undefined) g.WebSocket = WsWebSocket

export const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0']

export interface ConnectionLimits {
  /** Inbound connections per second from one IP before libp2p rejects more (libp2p's default is 5). */
  readonly perHostPerSecond: number
  readonly maxConnections: number
}

/**
 * libp2p's per-IP default (5/s) resets the 6th viewer of a loopback testbed or of a shared NAT
 * joining in the same second; 64/s still stops a single-host flood.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perHostPerSecond: 64, maxConnections: 1000 }

export interface Libp2pNodeOptions {
  readonly privateKey: Ed25519PrivateKey
  readonly listen?: readonly string[]
  readonly limits?: ConnectionLimits
}

export async function createLibp2pNode(opts: Libp2pNodeOptions): Promise<Libp2p<{ identify: unknown }>> {
  return createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: [...(opts.listen ?? DEFAULT_LISTEN)] },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    connectionManager: {
      inboundConnectionThreshold: (opts.limits ?? DEFAULT_CONNECTION_LIMITS).perHostPerSecond,
      maxConnections: (opts.limits ?? DEFAULT_CONNECTION_LIMITS).maxConnections,
      maxIncomingPendingConnections: 64,
    },
  })
}
