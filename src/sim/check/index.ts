export {
  checkAcyclic,
  checkBounded,
  checkCapacity,
  checkReachable,
  unreachableViewers,
  type Violation,
} from './invariants.ts'
export { type SnapshotSource, type TopologySnapshot, takeSnapshot } from './topology-snapshot.ts'
export { assertNoViolations, InvariantViolationError } from './violation.ts'
