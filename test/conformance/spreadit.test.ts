import { parseParams, type SpreadItNode, spreadit } from '../../src/overlays/spreadit/index.ts'
import { runConformance } from './conformance.ts'

// Each add policy once, each delete policy at least once; heartbeats at 1 s, 3 misses.
const configs = [
  { addPolicy: 'random', deletePolicy: 'root' },
  { addPolicy: 'round-robin', deletePolicy: 'grandfather' },
  { addPolicy: 'smart-placement', deletePolicy: 'root-all' },
  { addPolicy: 'knock-downs', deletePolicy: 'grandfather-all' },
  { addPolicy: 'smart-bandwidth', deletePolicy: 'root' },
  // Parent -> child beats suppressed while data flows (a chunk proves liveness).
  { addPolicy: 'random', deletePolicy: 'root', dataAsHeartbeat: true },
] as const

for (const raw of configs) {
  const params = parseParams({ ...raw })
  runConformance(() => ({
    label: `spreadit ${raw.addPolicy}/${raw.deletePolicy}${'dataAsHeartbeat' in raw ? ' dataAsHeartbeat' : ''}`,
    overlay: spreadit,
    params,
    stateSize: (p) => (p as SpreadItNode).stateSize,
    // children (<= maxChildren 8) + ancestors and the path handed to children (<= maxDepth 64 each)
    maxStateSize: params.maxChildren + 2 * params.maxDepth + 1,
  }))
}
