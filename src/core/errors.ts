/**
 * Two error kinds, after h11: the remote peer misbehaved (bad bytes, oversized collections,
 * protocol violations) versus our own code misused an API. Hosts catch RemoteProtocolError,
 * count it, and drop the message or the peer; a LocalProtocolError is a bug and propagates.
 * Match by `name`, not instanceof, so errors survive module duplication.
 */
export class RemoteProtocolError extends Error {
  override readonly name = 'RemoteProtocolError'
}

export class LocalProtocolError extends Error {
  override readonly name = 'LocalProtocolError'
}

export function isRemoteProtocolError(err: unknown): err is RemoteProtocolError {
  return err instanceof Error && err.name === 'RemoteProtocolError'
}
