import type { Rng } from '../../src/core/rng.ts'
import {
  type P2PCastNode,
  type P2PCastPeerNode,
  p2pcast,
  parseParams,
  stripeKbps,
} from '../../src/overlays/p2pcast/index.ts'
import type { LinkSpec } from '../../src/sim/node-stats.ts'
import * as suite from './conformance.ts'

// P2PCast's premise (§1.3): every peer uploads as much as it downloads, f/(f-1) x the stream rate.
// The suite's default viewer mix includes peers with half the stream rate of upload, which no
// P2PCast forest can hold, so every subject here chooses its links (2.5x the stream rate).
const link = (_rng: Rng): LinkSpec => ({
  uploadKbps: 2.5 * suite.CONFORMANCE_STREAM.kbps,
  downloadKbps: 20 * suite.CONFORMANCE_STREAM.kbps,
})
// One child edge carries one stripe.
const childRateKbps = (f: number) => (streamKbps: number) => stripeKbps(streamKbps, f)

const params = parseParams({ stripes: 2 })
suite.runConformance(() => ({
  label: 'p2pcast f=2',
  overlay: p2pcast,
  params,
  childRateKbps: childRateKbps(params.stripes),
  stateSize: (p: unknown) => (p as P2PCastNode).stateSize,
  // parents (f) + distinct children (<= f) + parents reported dead (<= f)
  maxStateSize: 3 * params.stripes,
  link,
}))

// Mode 'peer' (no node holds the forest): the cases each join mode passes are guarded; the ones it
// is known to fail are skipped with the failure as measured (fixed seeds, so each is reproducible by
// deleting its entry). docs/architecture/p2pcast.md, "Conformance and what still fails", has more.
const DEAD_REGION =
  'deletions fall behind departures and dead regions whose places are partly unknown are never removed (30-47 dead nodes in the forest from t = 70 s; bench/p2pcast-peer-churn.bench.ts; see docs/architecture/p2pcast.md, "Conformance and what still fails")'
const PEER_KNOWN_FAILING: Record<'registry' | 'walk', suite.KnownFailing> = {
  registry: {
    churn: `seed 404: connected viewers do not reach the source at t = 175,000 ms; ${DEAD_REGION}`,
  },
  walk: {
    churn: `seed 404: connected viewers do not reach the source at t = 175,000 ms; ${DEAD_REGION}`,
  },
}
for (const join of ['registry', 'walk'] as const) {
  const peerParams = parseParams({ stripes: 2, mode: 'peer', join })
  suite.runConformance(() => ({
    label: `p2pcast f=2 peer mode, join ${join}`,
    overlay: p2pcast,
    params: peerParams,
    childRateKbps: childRateKbps(peerParams.stripes),
    stateSize: (p: unknown) => (p as P2PCastPeerNode).stateSize,
    // Its own place (f parents, <= f^2 children) plus its parents' places (f x (f + f^2)), the
    // parents it suspects and the places it asked for.
    maxStateSize: 32,
    link,
    // P2PCAST_PEER_ALL_CASES=1 runs the known failures too (to see whether they still fail).
    knownFailing: process.env.P2PCAST_PEER_ALL_CASES ? {} : PEER_KNOWN_FAILING[join],
  }))
}
