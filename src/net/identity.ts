import type { KeyObject } from 'node:crypto'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ed25519PrivateKeyFromSeed, ed25519PublicKeyFromRaw } from '../stream/auth.ts'

/**
 * A node's persistent identity: one Ed25519 key, stored as libp2p's protobuf encoding in a file
 * readable only by its owner. The PeerId (and, for a source, the stream id) is derived from it,
 * so losing the file means a new identity — and a new stream URI.
 */
export interface Identity {
  readonly privateKey: Ed25519PrivateKey
  readonly peerId: PeerId
  readonly path: string
  /** True when the key file did not exist and was written now. */
  readonly created: boolean
}

export function defaultKeyPath(): string {
  return join(process.env.PEERCASTER_HOME ?? join(homedir(), '.peercaster'), 'identity.key')
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** Loads the key at `path` (default ~/.peercaster/identity.key), creating it (mode 0600) on first run. */
export async function loadOrCreateIdentity(path = defaultKeyPath()): Promise<Identity> {
  if (await exists(path)) {
    const key = privateKeyFromProtobuf(await readFile(path))
    if (key.type !== 'Ed25519')
      throw new Error(`Key file ${path} holds a ${key.type} key; peercaster needs Ed25519`)
    return { privateKey: key, peerId: peerIdFromPrivateKey(key), path, created: false }
  }
  const key = await generateKeyPair('Ed25519')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // 'wx' refuses to overwrite a key another process created meanwhile.
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
  await chmod(path, 0o600)
  return { privateKey: key, peerId: peerIdFromPrivateKey(key), path, created: true }
}

/** The node:crypto form of a libp2p Ed25519 key (its `raw` is seed || public key), for chunk signing. */
export function nodeSigningKey(key: Ed25519PrivateKey): KeyObject {
  return ed25519PrivateKeyFromSeed(key.raw.subarray(0, 32), key.publicKey.raw)
}

/** The Ed25519 public key inside a PeerId string (the stream id is the source's PeerId). */
export function publicKeyOfPeerId(id: string): KeyObject {
  const peerId = peerIdFromString(id)
  if (peerId.type !== 'Ed25519') throw new Error(`${id} is a ${peerId.type} PeerId, not Ed25519`)
  return ed25519PublicKeyFromRaw(peerId.publicKey.raw)
}
