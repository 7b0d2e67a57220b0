// The overlay conformance suite (js-libp2p style: one compliance suite, every implementation).
// Overlay-generic: it drives any Overlay through the real Simulation with fixed seeds and checks
// delivery, capacity, loop-freedom and bounded state. An overlay test file calls
// runConformance(() => subject) once per configuration it wants covered.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../../src/core/codec.ts'
import type { NodeId } from '../../src/core/ids.ts'
import type { Overlay, Protocol } from '../../src/core/protocol.ts'
import { createRng, type Rng } from '../../src/core/rng.ts'
import {
  assertNoViolations,
  checkAcyclic,
  checkBounded,
  checkCapacity,
  checkReachable,
  takeSnapshot,
  unreachableViewers,
  type Violation,
} from '../../src/sim/check/index.ts'
import { installChurn } from '../../src/sim/churn.ts'
import type { LinkSpec } from '../../src/sim/node-stats.ts'
import { Simulation } from '../../src/sim/simulation.ts'
import { createDelaySpace } from '../../src/sim/underlay/delay-space.ts'
import { playoutConfig } from '../../src/stream/playout.ts'
import type { StreamSpec } from '../../src/stream/stream-spec.ts'

/** The suite's cases, as named in `knownFailing`. */
export type ConformanceCase = 'joins' | 'leaves' | 'crashes' | 'loss' | 'randomized' | 'churn'
/** Cases a configuration is known to fail, each with the reason. */
export type KnownFailing = Partial<Record<ConformanceCase, string>>

export interface ConformanceSubject<M extends Message, P> {
  /** Label for the test names (e.g. "spreadit random/root"). */
  label: string
  overlay: Overlay<M, P>
  params: P
  /** kbit/s one child edge costs its parent (default: the stream rate, i.e. one tree). */
  childRateKbps?: (streamKbps: number) => number
  /** Parent links form trees rooted at the source (checked for cycles). Default true. */
  trees?: boolean
  /** Probe of one node's protocol state size (ids/entries it holds), for the bounded-state check. */
  stateSize?: (protocol: Protocol<M>) => number
  maxStateSize?: number
  /** Quiet time after the last disruption before delivery is judged (default 15 s). */
  settleMs?: number
  /** Continuity a settled viewer must reach over the judging window (default 0.98). */
  minContinuity?: number
  /**
   * Viewer access links (default: the tiered mix, free riders included). P2PCast needs every peer
   * to upload f/(f-1) x the stream rate (its premise, §1.3), which the default mix cannot give.
   */
  link?: (rng: Rng) => LinkSpec
  /** Infrastructure servers the overlay needs (i3's rendezvous servers; SimConfig.servers). */
  servers?: number
  /**
   * Live viewers the overlay's forwarding state cannot reach, replacing the parent-link walks
   * (checkReachable, unreachableViewers) for overlays whose data path is not end-host parents:
   * in i3 servers replicate along a tree of triggers, and a crashed end host's subtree stays fed
   * through the triggers its descendants refresh.
   */
  unreachable?: (sim: Simulation<M, P>) => NodeId[]
  /**
   * Cases this configuration is known to fail, each with the reason (where it is written down). They
   * are reported as skipped with that reason, never silently dropped; the other cases still guard
   * the configuration. Remove an entry as soon as the case passes.
   */
  knownFailing?: KnownFailing
}

export const CONFORMANCE_STREAM: StreamSpec = {
  streamId: 'conformance',
  kbps: 400,
  chunkRateHz: 10,
  keyframeEveryChunks: 10,
}
/** Stream rate multiples of viewer upload: free riders, one, two and four children. */
const UPLOAD_TIERS = [0.5, 1.5, 2.5, 4.5]
const MAX_PARENTS = 16

function tieredLink(rng: Rng): LinkSpec {
  const tier = UPLOAD_TIERS[rng.int(UPLOAD_TIERS.length)]!
  return { uploadKbps: tier * CONFORMANCE_STREAM.kbps, downloadKbps: 20 * CONFORMANCE_STREAM.kbps }
}

class Run<M extends Message, P> {
  readonly sim: Simulation<M, P>
  readonly rng: Rng
  private readonly links = new Map<NodeId, LinkSpec>()
  /** Largest child limit each node ever reported (for the upload-bytes check after it is gone). */
  readonly maxChildrenSeen = new Map<NodeId, number>()
  readonly sourceLink: LinkSpec = {
    uploadKbps: 4.5 * CONFORMANCE_STREAM.kbps,
    downloadKbps: Number.POSITIVE_INFINITY,
  }

  constructor(
    readonly subject: ConformanceSubject<M, P>,
    readonly seed: number,
    lossRate = 0,
    startupChunks = 30,
  ) {
    this.rng = createRng(seed, 77)
    this.sim = new Simulation<M, P>({
      seed,
      overlay: subject.overlay,
      params: subject.params,
      underlay: createDelaySpace({ maxDelayFromSourceMs: 60 }),
      stream: CONFORMANCE_STREAM,
      // A 3 s start-up buffer (the paper's clients buffer up to 30 s) absorbs path changes.
      playout: playoutConfig(CONFORMANCE_STREAM.chunkRateHz, { startupChunks }),
      sourceLink: this.sourceLink,
      lossRate,
      ...(subject.servers ? { servers: { count: subject.servers } } : {}),
    })
    this.links.set(this.sim.sourceId, this.sourceLink)
    // A node living between two snapshots would never show its child limit and get no upload
    // budget: note the limit as it departs as well.
    const leave = this.sim.leave.bind(this.sim)
    const crash = this.sim.crash.bind(this.sim)
    this.sim.leave = (id) => {
      this.noteChildLimit(id)
      leave(id)
    }
    this.sim.crash = (id) => {
      this.noteChildLimit(id)
      crash(id)
    }
  }

  private noteChildLimit(id: NodeId): void {
    if (!this.sim.isAlive(id)) return
    const limit = this.sim.topology(id).maxChildren
    this.maxChildrenSeen.set(id, Math.max(this.maxChildrenSeen.get(id) ?? 0, limit))
  }

  join(link: LinkSpec = (this.subject.link ?? tieredLink)(this.rng)): NodeId {
    const id = this.sim.addViewer(link)
    this.links.set(id, link)
    return id
  }

  /** Record links of viewers the churn generator added. */
  noteLink(id: NodeId, link: LinkSpec): void {
    this.links.set(id, link)
  }

  upload = (id: NodeId): number => this.links.get(id)!.uploadKbps

  snapshot() {
    const s = takeSnapshot(this.sim, this.upload)
    for (const [id, v] of s.views)
      this.maxChildrenSeen.set(id, Math.max(this.maxChildrenSeen.get(id) ?? 0, v.maxChildren))
    return s
  }

  /** Invariants that must hold at every instant: no loops, capacity, bounded state. */
  checkAlways(step: number | string): void {
    const s = this.snapshot()
    const childRate = this.subject.childRateKbps?.(CONFORMANCE_STREAM.kbps) ?? CONFORMANCE_STREAM.kbps
    const found: Violation[] = [...checkCapacity(s, childRate), ...checkBounded(s, MAX_PARENTS, 1024)]
    if (this.subject.trees !== false) found.push(...checkAcyclic(s))
    const probe = this.subject.stateSize
    if (probe) {
      const bound = this.subject.maxStateSize ?? 256
      for (const id of s.nodes) {
        const size = probe(this.sim.protocol(id))
        if (size > bound)
          found.push({ invariant: 'bounded', node: id, detail: `state size ${size} > ${bound}` })
      }
    }
    // Pending events grow with live nodes (timers, chunks in flight), never with elapsed time.
    const pendingBound = 200 * (s.nodes.length + 10)
    if (this.sim.pendingEvents > pendingBound) {
      found.push({
        invariant: 'bounded',
        node: this.sim.sourceId,
        detail: `${this.sim.pendingEvents} pending events > ${pendingBound}`,
      })
    }
    assertNoViolations(found, { seed: this.seed, step, timeMs: this.sim.now })
  }

  /** Run to `untilMs`, checking the always-invariants every `everyMs`. */
  runChecked(untilMs: number, everyMs = 250): void {
    while (this.sim.now < untilMs) {
      this.sim.runUntil(Math.min(untilMs, this.sim.now + everyMs))
      this.checkAlways(`t=${this.sim.now}`)
    }
  }

  /** After quiet time: every live viewer is connected, reaches the source and played well. */
  assertSettledDelivery(
    windowStartMs: number,
    windowEndMs: number,
    minContinuity = this.subject.minContinuity ?? 0.98,
  ): void {
    const played = new Map<NodeId, [number, number]>()
    this.runChecked(windowStartMs)
    for (const id of this.sim.liveViewers()) {
      const q = this.sim.nodeStats(id).qoe
      played.set(id, [q.chunksPlayed, q.chunksDue])
    }
    this.runChecked(windowEndMs)
    const s = this.snapshot()
    const where = `seed ${this.seed}, t=${this.sim.now} ms`
    const ownCheck = this.subject.unreachable
    if (ownCheck) {
      assert.deepEqual(ownCheck(this.sim), [], `every viewer is reached by the forwarding state (${where})`)
    } else {
      assert.deepEqual(checkReachable(s), [], `connected viewers reach the source (${where})`)
      assert.deepEqual(unreachableViewers(s), [], `every viewer has a parent path to the source (${where})`)
    }
    const poor: string[] = []
    for (const id of this.sim.liveViewers()) {
      if (!s.views.get(id)!.connected) poor.push(`${id}: not connected`)
      const before = played.get(id)
      if (!before) continue // joined inside the window
      const q = this.sim.nodeStats(id).qoe
      const due = q.chunksDue - before[1]
      const continuity = due > 0 ? (q.chunksPlayed - before[0]) / due : 0
      if (continuity < minContinuity) poor.push(`${id}: continuity ${continuity.toFixed(3)} over the window`)
    }
    assert.deepEqual(poor, [], `settled viewers keep receiving (${where})`)
  }

  /** Nobody sent stream data faster than its uplink or its child budget allows. */
  assertUploadWithinBudget(): void {
    const streamBytesPerS = (CONFORMANCE_STREAM.kbps * 1000) / 8
    const over: string[] = []
    for (const st of this.sim.allNodeStats()) {
      // Infrastructure is not a peer: what a server uploads is its operator's budget.
      if (this.sim.isServer(st.id)) continue
      const end = st.leftAtMs ?? this.sim.now
      const lifetimeS = Math.max(1e-3, (end - st.joinedAtMs) / 1000)
      const link = this.links.get(st.id)!
      const rateKbps = (st.uploadBytes * 8) / 1000 / lifetimeS
      // Bytes accepted into the uplink may exceed the rate by at most one full queue (2 s).
      const linkBound = link.uploadKbps * (1 + 2 / lifetimeS)
      if (rateKbps > linkBound + 1e-6)
        over.push(`${st.id}: ${rateKbps.toFixed(0)} kbit/s > link ${link.uploadKbps}`)
      const budget = (this.maxChildrenSeen.get(st.id) ?? 0) * streamBytesPerS * lifetimeS * 1.1 + 20_000
      if (st.dataUploadBytes > budget)
        over.push(`${st.id}: ${st.dataUploadBytes} data bytes > child budget ${budget.toFixed(0)}`)
    }
    assert.deepEqual(over, [], `upload within capacity (seed ${this.seed})`)
  }

  pickViewer(): NodeId | undefined {
    const live = this.sim.liveViewers()
    return live.length === 0 ? undefined : live[this.rng.int(live.length)]
  }
}

export function runConformance<M extends Message, P>(factory: () => ConformanceSubject<M, P>): void {
  const { label, knownFailing = {} } = factory()
  // node:test prints a skipped case as "# SKIP <reason>"; `false` runs it.
  const options = (c: ConformanceCase) => ({
    skip: knownFailing[c] ? `known failing: ${knownFailing[c]}` : false,
  })

  test(`${label}: joins — every viewer connects and plays the stream`, options('joins'), () => {
    const run = new Run(factory(), 101)
    for (let i = 0; i < 40; i++) run.sim.at(i * 100, () => run.join())
    const settle = run.subject.settleMs ?? 15_000
    run.assertSettledDelivery(4000 + settle, 4000 + settle + 10_000)
    assert.equal(run.sim.liveViewers().length, 40)
    run.assertUploadWithinBudget()
  })

  for (const kind of ['leave', 'crash'] as const) {
    const name = `${label}: ${kind === 'leave' ? 'graceful leaves' : 'crashes'} — the rest recover`
    test(name, options(kind === 'leave' ? 'leaves' : 'crashes'), () => {
      const run = new Run(factory(), kind === 'leave' ? 202 : 303)
      for (let i = 0; i < 40; i++) run.sim.at(i * 100, () => run.join())
      for (let i = 0; i < 12; i++) {
        run.sim.at(10_000 + i * 400, () => {
          const victim = run.pickViewer()
          if (victim === undefined) return
          if (kind === 'leave') run.sim.leave(victim)
          else run.sim.crash(victim)
        })
      }
      const settle = run.subject.settleMs ?? 15_000
      run.assertSettledDelivery(15_000 + settle, 15_000 + settle + 10_000)
      assert.equal(run.sim.liveViewers().length, 28)
      run.assertUploadWithinBudget()
    })
  }

  test(`${label}: 1% message loss — the control plane still converges`, options('loss'), () => {
    // Playback needs a run of consecutive chunks to start; 30 in a row is rare 8 lossy hops down.
    const run = new Run(factory(), 505, 0.01, 10)
    for (let i = 0; i < 40; i++) run.sim.at(i * 100, () => run.join())
    for (let i = 0; i < 6; i++) run.sim.at(10_000 + i * 700, () => run.sim.crash(run.pickViewer()!))
    const settle = run.subject.settleMs ?? 15_000
    // Data is lost too (no retransmission in a tree): about 1% per hop, so continuity is judged looser.
    run.assertSettledDelivery(15_000 + settle, 15_000 + settle + 10_000, 0.85)
    assert.equal(run.sim.liveViewers().length, 34)
  })

  test(
    `${label}: randomized joins, leaves and crashes — invariants after every step`,
    options('randomized'),
    () => {
      for (const seed of [11, 12, 13]) {
        const run = new Run(factory(), seed)
        for (let step = 0; step < 150; step++) {
          const live = run.sim.liveViewers().length
          const r = run.rng.next()
          if (live < 8 || r < 0.5) run.join()
          else {
            const victim = run.pickViewer()!
            if (r < 0.75) run.sim.leave(victim)
            else run.sim.crash(victim)
          }
          run.sim.runUntil(run.sim.now + 50 + run.rng.int(450))
          run.checkAlways(step)
        }
        const settle = run.subject.settleMs ?? 15_000
        run.assertSettledDelivery(run.sim.now + settle, run.sim.now + settle + 5000)
      }
    },
  )

  test(
    `${label}: sustained churn — bounded state, capacity kept, recovery afterwards`,
    options('churn'),
    () => {
      const run = new Run(factory(), 404)
      const spec = {
        arrivalsPerS: 1.5,
        startS: 0,
        endS: 150,
        session: { dist: 'exponential' as const, meanS: 40 },
        crashFraction: 0.3,
        link: (rng: Rng) => (run.subject.link ?? tieredLink)(rng),
        maxPeers: 120,
      }
      // Record each arriving viewer's link: wrap the generator so the checks know capacities.
      let pending: LinkSpec | null = null
      installChurn(run.sim, { ...spec, link: (rng) => (pending = spec.link(rng)) }, createRng(404, 5))
      const addViewer = run.sim.addViewer.bind(run.sim)
      run.sim.addViewer = (link: LinkSpec) => {
        const id = addViewer(link)
        run.noteLink(id, pending ?? link)
        return id
      }
      // Freeze the churn when arrivals stop (departures already drawn would otherwise go on), so
      // that recovery can be judged on a quiet overlay.
      const leave = run.sim.leave.bind(run.sim)
      const crash = run.sim.crash.bind(run.sim)
      run.sim.leave = (id) => (run.sim.now < 150_000 ? leave(id) : undefined)
      run.sim.crash = (id) => (run.sim.now < 150_000 ? crash(id) : undefined)
      run.runChecked(150_000, 500)
      const settle = run.subject.settleMs ?? 15_000
      run.assertSettledDelivery(150_000 + settle, 150_000 + settle + 10_000)
      run.assertUploadWithinBudget()
    },
  )
}
