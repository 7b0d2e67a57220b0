/**
 * What upload a viewer must have for its overlay to hold it, from the stream URI alone. Most
 * overlays size a node's children by its upload, so any upload works; P2PCast does not: every
 * non-special peer relays f stripes of rate stream/(f-1), i.e. f/(f-1) × the stream rate (paper
 * §1.3, "every peer uploads what it downloads"), so a viewer declaring less cannot hold its place.
 */
export interface UploadNeed {
  readonly kbps: number
  /** One clause for a person: where the figure comes from. */
  readonly why: string
}

/** The upload a viewer of this stream needs (kbit/s), or null when the overlay adapts to any upload. */
export function uploadNeed(
  overlay: string,
  params: Readonly<Record<string, unknown>>,
  streamKbps: number,
): UploadNeed | null {
  if (overlay !== 'p2pcast') return null
  const raw = params.stripes ?? 2
  const f = typeof raw === 'number' && Number.isInteger(raw) && raw >= 2 ? raw : 2
  return {
    kbps: Math.ceil((streamKbps * f) / (f - 1)),
    why: `p2pcast with ${f} stripes: each viewer relays ${f} stripes of ${streamKbps}/${f - 1} kbit/s`,
  }
}

/** The warning for a declared upload below the need, or null when it suffices (or nothing is needed). */
export function uploadShortfall(need: UploadNeed | null, declaredKbps: number): string | null {
  if (need === null || declaredKbps >= need.kbps) return null
  return (
    `declared upload ${declaredKbps} kbit/s (--upload-kbps) is below the ${need.kbps} kbit/s this stream needs (${need.why}); ` +
    'the forest will still place you with that load, so your children may stall'
  )
}
