import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

/**
 * What a viewer needs to join a stream, in one copy-pasteable string:
 *
 *   peercaster://<streamId>?overlay=spreadit&kbps=800&rate=4&bootstrap=/ip4/1.2.3.4/tcp/9000/p2p/12D3…&fanout=4
 *
 * The stream id is the source's PeerId (base58btc of the identity multihash of its Ed25519 public
 * key): self-certifying (the verifier key is inside it), already the source's node id on the
 * overlay, and parseable by every libp2p tool. Reserved keys are overlay, kbps, rate, keyframe,
 * bootstrap and rendezvous (both repeatable; each a multiaddr ending in /p2p/<PeerId>); any other
 * key is an overlay parameter, passed to `overlay.parseParams` (numbers and booleans are converted).
 *
 * rendezvous (i3): the infrastructure servers the stream runs through. An i3 viewer talks only to
 * them, never to the source, so an i3 URI carries them instead of bootstrap addresses (the source's
 * address stays private). The first one is the stream clock's reference (see NetHost.clockReference).
 */

export const KNOWN_OVERLAYS = ['spreadit', 'p2pcast', 'i3', 'mesh', 'doat'] as const
const SCHEME = 'peercaster://'
const RESERVED = new Set(['overlay', 'kbps', 'rate', 'keyframe', 'bootstrap', 'rendezvous'])
/** Overlays that run through infrastructure servers: their URIs must list them. */
export const OVERLAYS_WITH_SERVERS: readonly string[] = ['i3']
export const MAX_BOOTSTRAP_ADDRS = 16
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/

export interface StreamUri {
  /** The source's PeerId string. */
  readonly streamId: string
  readonly overlay: string
  readonly kbps: number
  /** Chunks per second. */
  readonly chunkRateHz: number
  readonly keyframeEveryChunks: number
  /** Multiaddr strings, each ending in /p2p/<PeerId>. */
  readonly bootstrap: readonly string[]
  /** Rendezvous servers (i3), multiaddrs ending in /p2p/<PeerId>; absent when none. */
  readonly rendezvous?: readonly string[]
  readonly params: Readonly<Record<string, string | number | boolean>>
}

export class StreamUriError extends Error {
  override readonly name = 'StreamUriError'
}

/** Percent-encode but keep `/` and `:` readable (multiaddrs are full of them). */
function encodeValue(v: string): string {
  return encodeURIComponent(v).replace(/%2F/g, '/').replace(/%3A/g, ':')
}

export function formatStreamUri(uri: StreamUri): string {
  for (const key of Object.keys(uri.params)) {
    if (RESERVED.has(key) || !PARAM_NAME.test(key)) {
      throw new StreamUriError(`overlay parameter name "${key}" is reserved or not ${PARAM_NAME}`)
    }
  }
  const parts = [
    `overlay=${encodeValue(uri.overlay)}`,
    `kbps=${uri.kbps}`,
    `rate=${uri.chunkRateHz}`,
    `keyframe=${uri.keyframeEveryChunks}`,
    ...uri.bootstrap.map((b) => `bootstrap=${encodeValue(b)}`),
    ...(uri.rendezvous ?? []).map((r) => `rendezvous=${encodeValue(r)}`),
    ...Object.entries(uri.params).map(([k, v]) => `${encodeValue(k)}=${encodeValue(String(v))}`),
  ]
  return `${SCHEME}${uri.streamId}?${parts.join('&')}`
}

function paramValue(raw: string): string | number | boolean {
  if (raw === 'true') return true
  if (raw === 'false') return false
  if (raw.trim() !== '' && Number.isFinite(Number(raw)) && String(Number(raw)) === raw) return Number(raw)
  return raw
}

export function parseStreamUri(text: string, knownOverlays: readonly string[] = KNOWN_OVERLAYS): StreamUri {
  const fail = (why: string): never => {
    throw new StreamUriError(`Cannot parse stream URI "${text}": ${why}`)
  }
  if (!text.startsWith(SCHEME)) fail(`it must start with ${SCHEME}`)
  const rest = text.slice(SCHEME.length)
  const q = rest.indexOf('?')
  const streamId = q < 0 ? rest : rest.slice(0, q)
  if (streamId === '') fail('missing stream id')
  try {
    const id = peerIdFromString(streamId)
    if (id.type !== 'Ed25519') fail(`stream id "${streamId}" is a ${id.type} PeerId; it must be Ed25519`)
  } catch (err) {
    if (err instanceof StreamUriError) throw err
    fail(`stream id "${streamId}" is not a PeerId: ${(err as Error).message}`)
  }
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1))

  const overlays = query.getAll('overlay')
  if (overlays.length === 0) fail(`missing overlay (known: ${knownOverlays.join(', ')})`)
  if (overlays.length > 1) fail('overlay given more than once')
  const overlay = overlays[0]!
  if (!knownOverlays.includes(overlay))
    fail(`unknown overlay "${overlay}" (known: ${knownOverlays.join(', ')})`)

  const positive = (key: string, fallback?: number): number => {
    const raw = query.get(key)
    if (raw === null) {
      if (fallback !== undefined) return fallback
      return fail(`missing ${key}`)
    }
    const n = Number(raw)
    if (!Number.isFinite(n) || n <= 0) fail(`${key} must be a positive number, got "${raw}"`)
    return n
  }
  const kbps = positive('kbps')
  const chunkRateHz = positive('rate')
  const keyframeEveryChunks = positive('keyframe', 1)
  if (!Number.isInteger(keyframeEveryChunks)) fail(`keyframe must be an integer, got ${keyframeEveryChunks}`)

  const peerAddrs = (key: string): string[] => {
    const addrs = query.getAll(key)
    if (addrs.length > MAX_BOOTSTRAP_ADDRS)
      fail(`${addrs.length} ${key} addresses, at most ${MAX_BOOTSTRAP_ADDRS}`)
    addrs.forEach((b, i) => {
      let peer: string | undefined
      try {
        peer = multiaddr(b)
          .getComponents()
          .findLast((c) => c.name === 'p2p')?.value
      } catch (err) {
        fail(`${key}[${i}] is not a multiaddr: ${(err as Error).message}`)
      }
      if (peer === undefined) fail(`${key}[${i}] "${b}" has no /p2p/<PeerId> part`)
    })
    return addrs
  }
  const bootstrap = peerAddrs('bootstrap')
  const rendezvous = peerAddrs('rendezvous')
  if (rendezvous.length > 0 && !OVERLAYS_WITH_SERVERS.includes(overlay))
    fail(`rendezvous servers are for overlay ${OVERLAYS_WITH_SERVERS.join(', ')} only, not ${overlay}`)

  const params: Record<string, string | number | boolean> = {}
  for (const [key, value] of query) {
    if (RESERVED.has(key)) continue
    if (!PARAM_NAME.test(key)) fail(`overlay parameter name "${key}" must match ${PARAM_NAME}`)
    if (Object.hasOwn(params, key)) fail(`overlay parameter ${key} given more than once`)
    params[key] = paramValue(value)
  }
  return {
    streamId,
    overlay,
    kbps,
    chunkRateHz,
    keyframeEveryChunks,
    bootstrap,
    ...(rendezvous.length > 0 ? { rendezvous } : {}),
    params,
  }
}

/**
 * The servers a stream needs before anyone can join it (i3: its rendezvous servers). Separate from
 * parseStreamUri, which reads any well-formed URI; a viewer calls this before joining.
 */
export function requiredServers(uri: StreamUri, text: string): readonly string[] {
  const servers = uri.rendezvous ?? []
  if (OVERLAYS_WITH_SERVERS.includes(uri.overlay) && servers.length === 0) {
    throw new StreamUriError(
      `Cannot parse stream URI "${text}": overlay ${uri.overlay} needs at least one rendezvous=<multiaddr> (its rendezvous servers)`,
    )
  }
  return servers
}
