// A rogue peer for the end-to-end tests: a plain libp2p node (same transports, Noise, Yamux as a
// real peer) that finds a viewer the way any peer can — asking the stream's bootstrap peer over
// the host control protocol — opens the overlay's protocol to it and pushes chunk frames it
// forged. Everything the viewer sees is what a malicious member of the swarm could send.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { encodeFrame } from '../../src/net/framing.ts'
import { lookupAddrs } from '../../src/net/host-control.ts'
import { nodeSigningKey } from '../../src/net/identity.ts'
import { createLibp2pNode } from '../../src/net/libp2p-node.ts'
import { spreaditCodec } from '../../src/overlays/spreadit/index.ts'
import { createChunkSigner } from '../../src/stream/auth.ts'
import type { Chunk } from '../../src/stream/chunk.ts'

export const SPREADIT_PROTOCOL = `/peercaster/spreadit/${spreaditCodec.version}`

/** Bytes a forged payload carries, so a test can prove they never reached a player. */
export const FORGED_MARKER = 'PEERCASTER-FORGED-CHUNK'

/**
 * `packets` MPEG-TS null packets (PID 0x1FFF) whose payload spells FORGED_MARKER: well-formed TS a
 * player's splicer would pass through verbatim, so the marker in /live.ts would mean it was played.
 */
export function forgedPayload(packets: number): Uint8Array {
  const out = new Uint8Array(packets * 188).fill(0xff)
  const marker = new TextEncoder().encode(FORGED_MARKER)
  for (let i = 0; i < packets; i++) {
    out.set([0x47, 0x1f, 0xff, 0x10 | (i & 0x0f)], i * 188)
    out.set(marker, i * 188 + 4)
  }
  return out
}

/** True when `haystack` contains FORGED_MARKER. */
export function containsForgedMarker(haystack: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length).includes(FORGED_MARKER)
}

function unsignedChunk(streamId: string, seq: number, payload: Uint8Array): Chunk {
  return {
    stream: streamId,
    seq,
    sourceTime: Date.now(),
    stripe: -1,
    size: payload.length,
    payload,
    keyframe: false,
    auth: null,
  }
}

/** A chunk of `streamId` signed with some other key (a stranger posing as the source). */
export function chunkSignedByStranger(stranger: Ed25519PrivateKey, streamId: string, seq: number): Chunk {
  return createChunkSigner(nodeSigningKey(stranger))(unsignedChunk(streamId, seq, forgedPayload(8)))
}

/**
 * A chunk the real source signed whose payload was then replaced in transit (same length, same
 * signature). Needs the source's key: the testbed holds it.
 */
export function tamperedChunk(sourceKey: Ed25519PrivateKey, streamId: string, seq: number): Chunk {
  const genuine = createChunkSigner(nodeSigningKey(sourceKey))(
    unsignedChunk(streamId, seq, new Uint8Array(8 * 188)),
  )
  const payload = forgedPayload(8)
  return { ...genuine, payload, size: payload.length }
}

export class RoguePeer {
  private constructor(readonly node: Libp2p) {}

  static async start(): Promise<RoguePeer> {
    return new RoguePeer(await createLibp2pNode({ privateKey: await generateKeyPair('Ed25519') }))
  }

  get peerId(): string {
    return this.node.peerId.toString()
  }

  /** Learns `target`'s addresses from `bootstrapAddr`'s peer (any member would answer the same). */
  async locate(bootstrapAddr: string, target: string): Promise<void> {
    const ma = multiaddr(bootstrapAddr)
    await this.node.dial(ma, { signal: AbortSignal.timeout(5000) })
    const via = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (via === undefined) throw new Error(`bootstrap address ${bootstrapAddr} has no /p2p/ part`)
    const addrs = await lookupAddrs(this.node, peerIdFromString(via), target, 5000)
    if (addrs.length === 0) throw new Error(`the bootstrap peer does not know where ${target} listens`)
    await this.node.peerStore.merge(peerIdFromString(target), { multiaddrs: addrs })
  }

  /** A stream of the overlay's protocol to `target` (located first), to write raw frames on. */
  openOverlayStream(target: string): Promise<Stream> {
    return this.node.dialProtocol(peerIdFromString(target), SPREADIT_PROTOCOL, {
      signal: AbortSignal.timeout(5000),
    })
  }

  /** Sends each chunk to `target` as a chunk message, on one overlay stream. */
  async sendChunks(target: string, chunks: readonly Chunk[]): Promise<Stream> {
    const stream = await this.openOverlayStream(target)
    for (const chunk of chunks) {
      stream.send(encodeFrame(spreaditCodec.encode({ type: 'chunk', chunk, hops: 1 })))
    }
    return stream
  }

  async stop(): Promise<void> {
    await this.node.stop()
  }
}
