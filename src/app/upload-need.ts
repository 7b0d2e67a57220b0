import { peakSourceStripes } from '../overlays/p2pcast/bootstrap.ts'
import { stripeKbps } from '../overlays/p2pcast/params.ts'

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
  const f = stripesOf(params)
  return {
    kbps: Math.ceil(f * stripeKbps(streamKbps, f)),
    why: `p2pcast with ${f} stripes: each viewer relays ${f} stripes of ${streamKbps}/${f - 1} kbit/s`,
  }
}

/**
 * What upload the source of this stream needs (kbit/s), or null when the overlay adapts. P2PCast's
 * source feeds one root per tree, f stripes of stream/(f-1); with f > 2, while 2 <= N < f peers
 * have joined it also feeds the trees the peers cannot fill yet, N(f-N+1) stripes at most
 * (docs/architecture/p2pcast.md, "What the bootstrap costs the source"), so the need is the peak.
 */
export function sourceUploadNeed(
  overlay: string,
  params: Readonly<Record<string, unknown>>,
  streamKbps: number,
): UploadNeed | null {
  if (overlay !== 'p2pcast') return null
  const f = stripesOf(params)
  const stripes = peakSourceStripes(f)
  const bootstrap = stripes > f ? `, ${stripes} while fewer than ${f} viewers have joined` : ''
  return {
    kbps: Math.ceil(stripes * stripeKbps(streamKbps, f)),
    why: `p2pcast with ${f} stripes: the source feeds ${f} stripes of ${streamKbps}/${f - 1} kbit/s${bootstrap}`,
  }
}

function stripesOf(params: Readonly<Record<string, unknown>>): number {
  const raw = params.stripes ?? 2
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 2 ? raw : 2
}

/** The warning for a declared upload below the need, or null when it suffices (or nothing is needed). */
export function uploadShortfall(
  need: UploadNeed | null,
  declaredKbps: number,
  consequence = 'the forest will still place you with that load, so your children may stall',
): string | null {
  if (need === null || declaredKbps >= need.kbps) return null
  return (
    `declared upload ${declaredKbps} kbit/s (--upload-kbps) is below the ${need.kbps} kbit/s this stream needs (${need.why}); ` +
    consequence
  )
}
