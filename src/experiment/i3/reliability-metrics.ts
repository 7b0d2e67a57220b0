import { type CdfPoint, cdf, type Summary, summarize } from '../../stream/summary.ts'

/**
 * §6.3's three metrics (Fig. 13, Table 1), measured from outside the protocol: what reached each
 * receiver and which repair requests it sent and received, over a window of sequence numbers.
 *
 * Definitions (per receiver h and sequence number s in the window [fromSeq, toSeq]):
 * - drop (loss): s never reached h along the tree (no arrival without the repair flag);
 * - recovered: a drop that later arrived (as a repair); recovery time = that arrival minus the
 *   detection time, the first arrival at h of any higher sequence number (Fig. 13b: "from the
 *   moment the loss was detected"); 0 if the repair came before h could notice the gap;
 * - duplicates: every arrival of s at h after the first (Fig. 13a: duplicates / drops, summed
 *   over receivers);
 * - repairs per drop (Table 1): repair requests for s sent by receivers, first tries, re-sends
 *   after the timeout and escalations to the parent's group alike, over the drops; split into
 *   own requests (for a drop of the sender's: first tries and re-sends) and escalations (a
 *   member that got a request it could not answer, asking its parent's group);
 * - max repairs per seq # (Table 1): the largest, over receivers, of the repair requests that
 *   receiver got for window sequence numbers divided by the window's length.
 */
export interface ReliabilityWindow {
  fromSeq: number
  toSeq: number
  /** Sequence numbers after toSeq still followed so that the last window drops are detected. */
  marginSeqs: number
}

/** Everything recorded about one receiver, indexed by s - fromSeq. */
class ReceiverTrack {
  readonly arrivals: Uint8Array
  readonly treeArrival: Uint8Array
  readonly firstAt: Float64Array
  ownRequestsSent = 0
  escalationsSent = 0
  requestsReceived = 0

  constructor(length: number) {
    this.arrivals = new Uint8Array(length)
    this.treeArrival = new Uint8Array(length)
    this.firstAt = new Float64Array(length).fill(Number.NaN)
  }
}

export interface ReliabilityMetrics {
  receivers: number
  windowSeqs: number
  /** receivers x windowSeqs. */
  expected: number
  drops: number
  /** drops / expected: the mean end-to-end loss rate the tree saw. */
  dropRate: number
  recovered: number
  unrecovered: number
  receiversWithUnrecovered: number
  duplicates: number
  duplicatesPerDrop: number
  repairRequestsSent: number
  repairsPerDrop: number
  /** Requests receivers sent for their own drops (first tries and re-sends) per drop. */
  ownRequestsPerDrop: number
  /** Requests forwarded up by members that could not answer, per drop. */
  escalationsPerDrop: number
  maxRepairRequestsPerSeq: number
  /** The receiver where maxRepairRequestsPerSeq was seen. */
  maxRepairRequestsReceiver: number | null
  recoveryMs: Summary
  recoveryCdf: CdfPoint[]
  /** Fraction of recovered drops repaired within 600 ms (the paper: 85%); null without drops. */
  recoveredWithin600Ms: number | null
  recoveredWithin800Ms: number | null
  recoveredWithin2400Ms: number | null
}

export class ReliabilityLog {
  private readonly receivers = new Map<number, ReceiverTrack>()
  private readonly length: number

  constructor(readonly window: ReliabilityWindow) {
    const { fromSeq, toSeq, marginSeqs } = window
    if (!(Number.isInteger(fromSeq) && Number.isInteger(toSeq) && toSeq >= fromSeq && marginSeqs >= 0)) {
      throw new RangeError(`reliability window: need integers fromSeq <= toSeq, got ${fromSeq}..${toSeq}`)
    }
    this.length = toSeq - fromSeq + 1 + marginSeqs
  }

  /** A receiver to account for even if nothing ever reaches it (it then drops the whole window). */
  addReceiver(receiver: number): void {
    this.track(receiver)
  }

  chunkArrived(receiver: number, seq: number, repair: boolean, atMs: number): void {
    const i = seq - this.window.fromSeq
    if (i < 0 || i >= this.length) return
    const t = this.track(receiver)
    if (t.arrivals[i]! < 255) t.arrivals[i]!++
    if (!repair) t.treeArrival[i] = 1
    if (Number.isNaN(t.firstAt[i]!)) t.firstAt[i] = atMs
  }

  /** `own`: for the sender's own drop; else an escalation of a request it could not answer. */
  repairRequestSent(receiver: number, seq: number, own: boolean): void {
    if (!this.inWindow(seq)) return
    const t = this.track(receiver)
    if (own) t.ownRequestsSent++
    else t.escalationsSent++
  }

  repairRequestReceived(receiver: number, seq: number): void {
    if (this.inWindow(seq)) this.track(receiver).requestsReceived++
  }

  metrics(): ReliabilityMetrics {
    const windowSeqs = this.window.toSeq - this.window.fromSeq + 1
    let drops = 0
    let recovered = 0
    let duplicates = 0
    let own = 0
    let escalated = 0
    let withUnrecovered = 0
    let maxPerSeq = 0
    let maxReceiver: number | null = null
    const recoveryMs: number[] = []
    for (const receiver of [...this.receivers.keys()].sort((a, b) => a - b)) {
      const t = this.receivers.get(receiver)!
      own += t.ownRequestsSent
      escalated += t.escalationsSent
      const perSeq = t.requestsReceived / windowSeqs
      if (perSeq > maxPerSeq) {
        maxPerSeq = perSeq
        maxReceiver = receiver
      }
      // detectAt[i]: first arrival of any sequence number above i (suffix minimum).
      let laterFirst = Number.POSITIVE_INFINITY
      const detectAt = new Float64Array(this.length)
      for (let i = this.length - 1; i >= 0; i--) {
        detectAt[i] = laterFirst
        const at = t.firstAt[i]!
        if (!Number.isNaN(at) && at < laterFirst) laterFirst = at
      }
      let lostForGood = 0
      for (let i = 0; i < windowSeqs; i++) {
        const n = t.arrivals[i]!
        if (n > 1) duplicates += n - 1
        if (t.treeArrival[i] === 1) continue
        drops++
        if (n === 0) {
          lostForGood++
          continue
        }
        recovered++
        const detected = detectAt[i]!
        recoveryMs.push(Number.isFinite(detected) ? Math.max(0, t.firstAt[i]! - detected) : 0)
      }
      if (lostForGood > 0) withUnrecovered++
    }
    const receivers = this.receivers.size
    const within = (ms: number) =>
      recoveryMs.length === 0 ? null : recoveryMs.filter((v) => v <= ms).length / recoveryMs.length
    return {
      receivers,
      windowSeqs,
      expected: receivers * windowSeqs,
      drops,
      dropRate: receivers === 0 ? 0 : drops / (receivers * windowSeqs),
      recovered,
      unrecovered: drops - recovered,
      receiversWithUnrecovered: withUnrecovered,
      duplicates,
      duplicatesPerDrop: drops === 0 ? 0 : duplicates / drops,
      repairRequestsSent: own + escalated,
      repairsPerDrop: drops === 0 ? 0 : (own + escalated) / drops,
      ownRequestsPerDrop: drops === 0 ? 0 : own / drops,
      escalationsPerDrop: drops === 0 ? 0 : escalated / drops,
      maxRepairRequestsPerSeq: maxPerSeq,
      maxRepairRequestsReceiver: maxReceiver,
      recoveryMs: summarize(recoveryMs),
      recoveryCdf: cdf(recoveryMs),
      recoveredWithin600Ms: within(600),
      recoveredWithin800Ms: within(800),
      recoveredWithin2400Ms: within(2400),
    }
  }

  private inWindow(seq: number): boolean {
    return seq >= this.window.fromSeq && seq <= this.window.toSeq
  }

  private track(receiver: number): ReceiverTrack {
    let t = this.receivers.get(receiver)
    if (!t) this.receivers.set(receiver, (t = new ReceiverTrack(this.length)))
    return t
  }
}
