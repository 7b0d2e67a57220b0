import { test } from 'node:test'
import type { Rng } from '../../src/core/rng.ts'
import { type P2PCastNode, p2pcast, parseParams, stripeKbps } from '../../src/overlays/p2pcast/index.ts'
import type { LinkSpec } from '../../src/sim/node-stats.ts'
import * as suite from './conformance.ts'

// P2PCast's premise (§1.3): every peer uploads as much as it downloads, f/(f-1) x the stream rate.
// The suite's default viewer mix includes peers with half the stream rate of upload, which no
// P2PCast forest can hold, so the suite must let a subject choose its links. Until
// ConformanceSubject has a `link` option (the patch is in docs/architecture/p2pcast.md) this file
// registers a todo instead of failing on capacity; with the option it runs the whole suite.
const params = parseParams({ stripes: 2 })
const link = (_rng: Rng): LinkSpec => ({
  uploadKbps: 2.5 * suite.CONFORMANCE_STREAM.kbps,
  downloadKbps: 20 * suite.CONFORMANCE_STREAM.kbps,
})

if ((suite as Record<string, unknown>).CONFORMANCE_SUPPORTS_LINK === true) {
  const subject = {
    label: 'p2pcast f=2',
    overlay: p2pcast,
    params,
    // One child edge carries one stripe.
    childRateKbps: (streamKbps: number) => stripeKbps(streamKbps, params.stripes),
    stateSize: (p: unknown) => (p as P2PCastNode).stateSize,
    // parents (f) + distinct children (<= f) + parents reported dead (<= f)
    maxStateSize: 3 * params.stripes,
    link,
  }
  suite.runConformance(() => subject)
} else {
  test('p2pcast f=2: conformance suite — needs ConformanceSubject.link (docs/architecture/p2pcast.md)', {
    todo: true,
  }, () => {})
}
