import type { Chunk } from '../../../stream/chunk.ts'
import { hashSuffix, type I3Id, lossSuffix, recoveryGroupId, ZERO_SUFFIX } from '../ids.ts'
import { MAX_TTL, type RepairRequest } from '../messages.ts'
import { I3_METRIC } from './metrics.ts'
import type { HostTools } from './tools.ts'

/** A gap longer than this (a long outage) is not asked for chunk by chunk: only its last seqs. */
export const MAX_GAP_REQUESTS = 32
/** Open losses and escalations kept at once; the oldest is given up beyond this. */
export const MAX_OPEN_REPAIRS = 128
/** Attempts (first request + re-sends every repairTimeoutMs) before a loss is given up. */
export const REPAIR_ATTEMPTS = 5
/** Ring slots when recovery is off (duplicates still counted within this many seqs). */
export const DEDUP_ONLY_SLOTS = 64
/** Loss rates are published to 1/1000: finer changes do not re-insert the rel-loss trigger. */
const LOSS_RATE_STEP = 1000

interface OpenRepair {
  readonly detectedAt: number
  attempts: number
  timer: number | null
}

/**
 * Reliable delivery (§5, Fig. 10). Every receiver belongs to the recovery anycast group of its
 * parent: trigger (Hr(parent)|suffix -> itself), suffix = its loss rate (rel-loss: a request to
 * Hr(parent)|0 reaches the member with the lowest rate) or Hr(its private id) (rel-random: a
 * request to Hr(parent)|Hr(seq) reaches one member per seq, spreading the load).
 *
 * A receiver detects losses by sequence gaps, waits U[0, repairBackoffMs) (a repair multicast
 * for someone else may come meanwhile), asks its group, and asks again every repairTimeoutMs.
 * A member that holds the chunk sends it to the requester's private id; one that does not
 * forwards the request once (pending per seq) to its own parent's group with replyTo = the id it
 * joined at, so the repair is multicast to the whole subtree that missed it. The paper's request
 * goes to a sibling; anycast may pick the requester itself (its own rate is the lowest, or the
 * seq hashes to it): then it asks its parent's group for itself alone (replyTo unchanged); and
 * a member that gets a request escalated from its own subtree forwards it for that subtree only. Chunks are kept in
 * a ring of repairBufferChunks, which also tells duplicates apart.
 */
export class Recovery {
  private readonly ring: (Chunk | undefined)[]
  private newest = -1
  private first = -1
  private lossCount = 0
  private readonly losses = new Map<number, OpenRepair>()
  private readonly escalations = new Map<number, OpenRepair>()
  private readonly requestsBySeq = new Map<number, number>()
  /** The id whose recovery group this host is in (its parent's tree id; the source: the virtual root). */
  private group: I3Id | null = null
  /** The group one level up, where unanswerable requests go (null: nowhere, the source). */
  private above: I3Id | null = null
  /** Most repair requests this host received for one seq (Table 1). */
  maxRequestsPerSeq = 0
  duplicates = 0
  /** Hr(member): the rel-random suffix, and the tie-break bits of the rel-loss one. */
  private readonly memberSuffix: string

  constructor(
    private readonly tools: HostTools,
    /** Where repairs for this host's own losses go (its private id; null: it never asks). */
    private readonly replyTo: I3Id | null,
    /** Hashed into the rel-random suffix (and the tie-break bits of the rel-loss one). */
    memberKey: string,
    /** This host's tree id: a request naming it asks for our own subtree. */
    private readonly treeId: I3Id,
  ) {
    // Without recovery the ring only tells duplicates apart: a short one will do (65,536 hosts).
    const slots =
      tools.params.recovery === 'off'
        ? Math.min(DEDUP_ONLY_SLOTS, tools.params.repairBufferChunks)
        : tools.params.repairBufferChunks
    this.ring = new Array<Chunk | undefined>(slots)
    this.memberSuffix = hashSuffix('i3-member', memberKey)
  }

  private get enabled(): boolean {
    return this.tools.params.recovery !== 'off'
  }

  setPlace(group: I3Id | null, above: I3Id | null): void {
    this.group = group
    this.above = above
  }

  /** Trigger id of this host's recovery-group membership (null: none). */
  memberTriggerId(): I3Id | null {
    if (!this.enabled || this.group === null) return null
    const tieBreak = this.memberSuffix
    const suffix =
      this.tools.params.recovery === 'loss'
        ? lossSuffix(Math.round(this.lossRate * LOSS_RATE_STEP) / LOSS_RATE_STEP).slice(0, 8) +
          tieBreak.slice(8)
        : tieBreak
    return recoveryGroupId(this.group, suffix)
  }

  /** Measured loss rate: chunks found missing / chunks expected since the first one. */
  get lossRate(): number {
    if (this.newest < 0) return 0
    return this.lossCount / (this.newest - this.first + 1)
  }

  has(seq: number): boolean {
    return this.ring[seq % this.ring.length]?.seq === seq
  }

  /**
   * A chunk arrived: false when it is a duplicate (or too old to tell). Only stream chunks
   * (`live`) move the newest seq and reveal gaps: a repair multicast to a subtree we just joined
   * carries an old seq, and taking it as the start would make the live stream look like a gap.
   */
  onChunk(now: number, chunk: Chunk, live = true): boolean {
    const seq = chunk.seq
    if ((this.newest >= 0 && seq <= this.newest - this.ring.length) || this.has(seq)) {
      this.duplicates++
      this.tools.env.metric(I3_METRIC.duplicates, 1)
      return false
    }
    this.ring[seq % this.ring.length] = chunk
    if (live && seq > this.newest) {
      // Detected even before this host is placed (data can flow while the reply to its join
      // insert is still under way); asked for once it is.
      if (this.newest >= 0 && this.enabled && this.replyTo !== null) {
        for (let s = Math.max(this.newest + 1, seq - MAX_GAP_REQUESTS); s < seq; s++) this.detect(now, s)
      }
      if (this.first < 0) this.first = seq
      this.newest = seq
    }
    this.resolve(now, seq)
    return true
  }

  /** Somebody in this host's recovery group asked for a chunk. */
  onRequest(now: number, q: RepairRequest): void {
    if (!this.enabled) return
    this.tools.env.metric(I3_METRIC.repairRequestsReceived, 1)
    this.countRequest(q.seq)
    const chunk = this.has(q.seq) ? this.ring[q.seq % this.ring.length]! : undefined
    if (chunk) {
      const origin = this.tools.env.self
      this.tools.router.send({
        type: 'chunk',
        id: q.replyTo,
        ttl: MAX_TTL,
        origin,
        chunk,
        hops: 0,
        repair: true,
      })
      this.tools.env.metric(I3_METRIC.repairsSent, 1)
      return
    }
    if (q.origin === this.tools.env.self && q.replyTo === this.replyTo) {
      // Our own request came back to us: we are the best match of our own group (the lowest
      // loss rate, or the hash of the seq fell on us). Nothing says a sibling lost it too, so
      // ask the parent's group for us alone rather than for the whole subtree.
      if (this.above !== null) this.sendRequest(this.above, q.seq, q.replyTo)
      this.tools.env.metric(I3_METRIC.repairEscalations, 1)
      return
    }
    const group = this.group
    if (group === null || this.above === null || this.escalations.has(q.seq)) return
    if (this.newest >= 0 && q.seq <= this.newest - this.ring.length) return
    const open: OpenRepair = { detectedAt: now, attempts: 0, timer: null }
    this.track(this.escalations, q.seq, open)
    // A request from a sibling says our group missed it: the repair should cover the subtree we
    // joined at. One escalated from our own subtree (replyTo = our tree id: anycast picked us in
    // our group) says only our subtree did.
    this.escalate(q.seq, q.replyTo === this.treeId ? this.treeId : group)
  }

  clear(): void {
    for (const open of [...this.losses.values(), ...this.escalations.values()])
      this.tools.timers.cancel(open.timer)
    this.losses.clear()
    this.escalations.clear()
  }

  get openRepairs(): number {
    return this.losses.size + this.escalations.size
  }

  private detect(now: number, seq: number): void {
    if (this.has(seq) || this.losses.has(seq)) return
    this.lossCount++
    this.tools.env.metric(I3_METRIC.lossesDetected, 1)
    const open: OpenRepair = { detectedAt: now, attempts: 0, timer: null }
    this.track(this.losses, seq, open)
    open.timer = this.tools.timers.after(this.tools.env.rng.next() * this.tools.params.repairBackoffMs, () =>
      this.request(seq),
    )
  }

  private request(seq: number): void {
    const open = this.losses.get(seq)
    if (!open) return
    open.timer = null
    if (this.replyTo === null) return
    if (open.attempts >= REPAIR_ATTEMPTS) {
      this.losses.delete(seq)
      this.tools.env.metric(I3_METRIC.repairsAbandoned, 1)
      return
    }
    open.attempts++
    if (this.group !== null) {
      this.sendRequest(this.group, seq, this.replyTo)
      this.tools.env.metric(I3_METRIC.repairRequestsSent, 1)
    }
    open.timer = this.tools.timers.after(this.tools.params.repairTimeoutMs, () => this.request(seq))
  }

  private escalate(seq: number, replyTo: I3Id): void {
    const open = this.escalations.get(seq)
    if (!open) return
    open.timer = null
    if (this.above === null || open.attempts >= REPAIR_ATTEMPTS) {
      this.escalations.delete(seq)
      return
    }
    open.attempts++
    this.sendRequest(this.above, seq, replyTo)
    this.tools.env.metric(I3_METRIC.repairEscalations, 1)
    open.timer = this.tools.timers.after(this.tools.params.repairTimeoutMs, () => this.escalate(seq, replyTo))
  }

  private sendRequest(group: I3Id, seq: number, replyTo: I3Id): void {
    const suffix = this.tools.params.recovery === 'loss' ? ZERO_SUFFIX : hashSuffix(String(seq))
    this.tools.router.send({
      type: 'repair-req',
      id: recoveryGroupId(group, suffix),
      ttl: MAX_TTL,
      origin: this.tools.env.self,
      seq,
      replyTo,
    })
  }

  private resolve(now: number, seq: number): void {
    const loss = this.losses.get(seq)
    if (loss) {
      this.losses.delete(seq)
      this.tools.timers.cancel(loss.timer)
      // From detection to arrival, whoever asked: a repair multicast for a sibling counts too.
      this.tools.env.metric(I3_METRIC.recoveryMs, now - loss.detectedAt)
    }
    const up = this.escalations.get(seq)
    if (up) {
      this.escalations.delete(seq)
      this.tools.timers.cancel(up.timer)
    }
  }

  private track(map: Map<number, OpenRepair>, seq: number, open: OpenRepair): void {
    map.set(seq, open)
    if (map.size <= MAX_OPEN_REPAIRS) return
    const [oldest, dropped] = map.entries().next().value!
    map.delete(oldest)
    this.tools.timers.cancel(dropped.timer)
    if (map === this.losses) this.tools.env.metric(I3_METRIC.repairsAbandoned, 1)
  }

  private countRequest(seq: number): void {
    const n = (this.requestsBySeq.get(seq) ?? 0) + 1
    this.requestsBySeq.delete(seq)
    this.requestsBySeq.set(seq, n)
    if (n > this.maxRequestsPerSeq) this.maxRequestsPerSeq = n
    if (this.requestsBySeq.size > this.ring.length) {
      const oldest = this.requestsBySeq.keys().next().value
      if (oldest !== undefined) this.requestsBySeq.delete(oldest)
    }
  }
}
