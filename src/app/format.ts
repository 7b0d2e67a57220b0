/** Short, readable renderings for status lines and tables. */

export function formatKbps(kbps: number | null): string {
  if (kbps === null || !Number.isFinite(kbps)) return '-'
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbit/s` : `${kbps.toFixed(0)} kbit/s`
}

/** A PeerId is 52 characters; its tail tells peers apart in a table. */
export function shortPeerId(id: string): string {
  return id.length > 10 ? `…${id.slice(-6)}` : id
}

export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-'
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

export function formatPercent(share: number | null, digits = 1): string {
  return share === null || !Number.isFinite(share) ? '-' : `${(100 * share).toFixed(digits)}%`
}
