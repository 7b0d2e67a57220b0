// The overlay-generic conformance suite (joins, leaves, crashes, loss, randomized steps, churn,
// upload and state bounds) with fast start on, as the app runs SpreadIt: a burst on every accept
// must not break delivery, capacity or bounds.
import { parseParams, type SpreadItNode, spreadit } from '../../src/overlays/spreadit/index.ts'
import { runConformance } from '../conformance/conformance.ts'

const params = parseParams({ addPolicy: 'random', deletePolicy: 'root', burstChunks: 4 })
runConformance(() => ({
  label: 'spreadit random/root burstChunks 4',
  overlay: spreadit,
  params,
  stateSize: (p) => (p as SpreadItNode).stateSize,
  maxStateSize: params.maxChildren + 2 * params.maxDepth + 1,
}))
