import type { Rng } from '../../src/core/rng.ts'
import { type P2PCastNode, p2pcast, parseParams, stripeKbps } from '../../src/overlays/p2pcast/index.ts'
import type { LinkSpec } from '../../src/sim/node-stats.ts'
import * as suite from './conformance.ts'

// P2PCast's premise (§1.3): every peer uploads as much as it downloads, f/(f-1) x the stream rate.
// The suite's default viewer mix includes peers with half the stream rate of upload, which no
// P2PCast forest can hold, so this subject chooses its links (2.5x the stream rate).
const params = parseParams({ stripes: 2 })
const link = (_rng: Rng): LinkSpec => ({
  uploadKbps: 2.5 * suite.CONFORMANCE_STREAM.kbps,
  downloadKbps: 20 * suite.CONFORMANCE_STREAM.kbps,
})

suite.runConformance(() => ({
  label: 'p2pcast f=2',
  overlay: p2pcast,
  params,
  // One child edge carries one stripe.
  childRateKbps: (streamKbps: number) => stripeKbps(streamKbps, params.stripes),
  stateSize: (p: unknown) => (p as P2PCastNode).stateSize,
  // parents (f) + distinct children (<= f) + parents reported dead (<= f)
  maxStateSize: 3 * params.stripes,
  link,
}))
