// Public surface of the net host, for the CLI (broadcast / watch) and testbeds.

export { NetHost, type NetHostOptions } from './host.ts'
export type { HostStats } from './host-stats.ts'
export {
  defaultKeyPath,
  type Identity,
  loadOrCreateIdentity,
  nodeSigningKey,
  publicKeyOfPeerId,
} from './identity.ts'
export { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, DEFAULT_LISTEN } from './libp2p-node.ts'
export { type LinkProfile, LinkShaper, PERFECT_LINK, validateLinkProfile } from './link-emulation.ts'
export { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from './outbox.ts'
export {
  formatStreamUri,
  KNOWN_OVERLAYS,
  OVERLAYS_WITH_SERVERS,
  parseStreamUri,
  requiredServers,
  type StreamUri,
  StreamUriError,
} from './stream-uri.ts'
