import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { LocalProtocolError } from '../core/errors.ts'

/**
 * Infrastructure servers a node knows (i3 rendezvous servers), given as multiaddrs ending in
 * /p2p/<PeerId>. The host puts their addresses into the peerStore (so a `cache` hint naming any
 * of them can be dialled) and hands their PeerIds to the protocol as NodeContext.servers.
 */
export interface ServerAddr {
  readonly addr: string
  readonly peer: PeerId
  /** The address without its /p2p part, for the peerStore. */
  readonly transport: Multiaddr
}

export function parseServerAddrs(addrs: readonly string[]): ServerAddr[] {
  return addrs.map((addr) => {
    let ma: Multiaddr
    try {
      ma = multiaddr(addr)
    } catch (err) {
      throw new LocalProtocolError(`server address "${addr}" is not a multiaddr: ${(err as Error).message}`)
    }
    const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (id === undefined) throw new LocalProtocolError(`server address ${addr} has no /p2p/<PeerId>`)
    return { addr, peer: peerIdFromString(id), transport: ma.decapsulateCode(421) }
  })
}

/** One server's start-up measurement: undefined rtt when it did not answer. */
export interface ServerProbe {
  readonly server: ServerAddr
  readonly rttMs: number | undefined
  /** The server's clock minus ours (NTP-style, error <= rtt / 2), when it answered. */
  readonly clockOffsetMs: number | undefined
  readonly error?: string
}

/**
 * Nearest first: servers that answered by RTT (ties keep the given order), then the silent ones
 * in the given order (they may come up later; the protocol only falls back to them).
 */
export function rankServers(probes: readonly ServerProbe[]): ServerProbe[] {
  const answered = probes
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.rttMs !== undefined)
    .sort((a, b) => a.p.rttMs! - b.p.rttMs! || a.i - b.i)
    .map(({ p }) => p)
  return [...answered, ...probes.filter((p) => p.rttMs === undefined)]
}
