import { crc32Mpeg } from './crc32-mpeg.ts'
import { PAT_PID, payloadOffset, pidOf, startsPayloadUnit, TS_PACKET_BYTES } from './ts-header.ts'

export type StreamKind = 'video' | 'audio' | 'other'

export interface ElementaryStream {
  pid: number
  /** PMT stream_type, e.g. 0x1b H.264, 0x24 HEVC, 0x0f AAC. */
  streamType: number
  kind: StreamKind
  codec: string
}

export interface ProgramInfo {
  programNumber: number
  pmtPid: number
  pcrPid: number
  streams: ElementaryStream[]
  /** The first video stream's PID, or -1 for a stream without video. */
  videoPid: number
}

const STREAM_TYPES: Record<number, [StreamKind, string]> = {
  1: ['video', 'mpeg1video'],
  2: ['video', 'mpeg2video'],
  16: ['video', 'mpeg4'],
  27: ['video', 'h264'],
  36: ['video', 'hevc'],
  51: ['video', 'vvc'],
  66: ['video', 'cavs'],
  209: ['video', 'dirac'],
  234: ['video', 'vc1'],
  3: ['audio', 'mp1'],
  4: ['audio', 'mp2'],
  15: ['audio', 'aac'],
  17: ['audio', 'aac_latm'],
  28: ['audio', 'aac_raw'],
  129: ['audio', 'ac3'],
  135: ['audio', 'eac3'],
}

export function describeStreamType(streamType: number): [StreamKind, string] {
  return STREAM_TYPES[streamType] ?? ['other', `0x${streamType.toString(16).padStart(2, '0')}`]
}

/** PSI sections are at most 1024 bytes (section_length <= 1021). */
const MAX_SECTION_BYTES = 1024

/** Collects one PSI section that may span several TS packets, keeping the packets themselves. */
class SectionAssembler {
  private packets: Uint8Array[] = []
  private data: number[] = []
  private collecting = false

  /** Returns the completed section and the packets carrying it, or null while incomplete. */
  push(packet: Uint8Array): { section: Uint8Array; packets: Uint8Array[] } | null {
    const offset = payloadOffset(packet)
    if (offset < 0) return null
    if (startsPayloadUnit(packet)) {
      const sectionStart = offset + 1 + packet[offset]!
      if (sectionStart >= TS_PACKET_BYTES) {
        this.collecting = false
        return null
      }
      this.packets = [packet.slice()]
      this.data = Array.from(packet.subarray(sectionStart))
      this.collecting = true
    } else if (this.collecting) {
      this.packets.push(packet.slice())
      for (let i = offset; i < TS_PACKET_BYTES; i++) this.data.push(packet[i]!)
    } else {
      return null
    }
    if (this.data.length < 3) return null
    const total = 3 + (((this.data[1]! & 0x0f) << 8) | this.data[2]!)
    if (total > MAX_SECTION_BYTES || total < 12) {
      this.collecting = false
      return null
    }
    if (this.data.length < total) return null
    this.collecting = false
    return { section: Uint8Array.from(this.data.slice(0, total)), packets: this.packets }
  }
}

/**
 * Follows the program tables: PAT (PID 0) -> PMT PID -> elementary streams. Keeps the latest
 * PAT and PMT packets verbatim so a joining player can be handed them before its first keyframe.
 * Prepending the latest packets unchanged keeps continuity counters legal for a player that
 * already follows the stream: the copy is a permitted duplicate of the last packet on its PID.
 */
export class PsiTracker {
  readonly stats = { crcErrors: 0, patVersions: 0, pmtVersions: 0 }
  private pmtPidValue = -1
  private programNumber = 0
  private patPackets: Uint8Array[] = []
  private pmtPackets: Uint8Array[] = []
  private programValue: ProgramInfo | null = null
  private patAssembler = new SectionAssembler()
  private pmtAssembler = new SectionAssembler()
  private patCrc = -1
  private pmtCrc = -1

  get program(): ProgramInfo | null {
    return this.programValue
  }

  get pmtPid(): number {
    return this.pmtPidValue
  }

  /** True when `pid` carries PSI this tracker follows (PAT or the current PMT). */
  isPsiPid(pid: number): boolean {
    return pid === PAT_PID || pid === this.pmtPidValue
  }

  /** Latest PAT then PMT packets (copies), or [] until both are known. */
  psiPackets(): Uint8Array[] {
    if (this.programValue === null) return []
    return [...this.patPackets, ...this.pmtPackets]
  }

  observe(packet: Uint8Array): void {
    const pid = pidOf(packet)
    if (pid === PAT_PID) {
      const done = this.patAssembler.push(packet)
      if (done !== null) this.onPat(done.section, done.packets)
    } else if (pid === this.pmtPidValue) {
      const done = this.pmtAssembler.push(packet)
      if (done !== null) this.onPmt(done.section, done.packets)
    }
  }

  private onPat(section: Uint8Array, packets: Uint8Array[]): void {
    if (section[0] !== 0x00 || !this.crcOk(section)) return
    // Same CRC as before: same table; still keep the newest packets (their CC is the latest).
    this.patPackets = packets
    const crc = crc32Of(section)
    if (crc === this.patCrc) return
    this.patCrc = crc
    this.stats.patVersions++
    const end = section.length - 4
    for (let i = 8; i + 4 <= end; i += 4) {
      const programNumber = (section[i]! << 8) | section[i + 1]!
      if (programNumber === 0) continue // network PID, not a program
      const pmtPid = ((section[i + 2]! & 0x1f) << 8) | section[i + 3]!
      if (pmtPid !== this.pmtPidValue) {
        this.pmtPidValue = pmtPid
        this.programValue = null
        this.pmtPackets = []
        this.pmtCrc = -1
        this.pmtAssembler = new SectionAssembler()
      }
      this.programNumber = programNumber
      return
    }
  }

  private onPmt(section: Uint8Array, packets: Uint8Array[]): void {
    if (section[0] !== 0x02 || !this.crcOk(section)) return
    this.pmtPackets = packets
    const crc = crc32Of(section)
    if (crc === this.pmtCrc) return
    this.pmtCrc = crc
    this.stats.pmtVersions++
    const end = section.length - 4
    const pcrPid = ((section[8]! & 0x1f) << 8) | section[9]!
    const programInfoLength = ((section[10]! & 0x0f) << 8) | section[11]!
    const streams: ElementaryStream[] = []
    for (let i = 12 + programInfoLength; i + 5 <= end; ) {
      const streamType = section[i]!
      const pid = ((section[i + 1]! & 0x1f) << 8) | section[i + 2]!
      const [kind, codec] = describeStreamType(streamType)
      streams.push({ pid, streamType, kind, codec })
      i += 5 + (((section[i + 3]! & 0x0f) << 8) | section[i + 4]!)
    }
    const video = streams.find((s) => s.kind === 'video')
    this.programValue = {
      programNumber: this.programNumber,
      pmtPid: this.pmtPidValue,
      pcrPid,
      streams,
      videoPid: video?.pid ?? -1,
    }
  }

  private crcOk(section: Uint8Array): boolean {
    if (crc32Mpeg(section) === 0) return true
    this.stats.crcErrors++
    return false
  }
}

function crc32Of(section: Uint8Array): number {
  const n = section.length
  return ((section[n - 4]! << 24) | (section[n - 3]! << 16) | (section[n - 2]! << 8) | section[n - 1]!) >>> 0
}
