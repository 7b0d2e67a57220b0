/**
 * Field accessors for one 188-byte MPEG-TS packet (ISO/IEC 13818-1 §2.4.3). Every function takes
 * a packet that starts with the 0x47 sync byte and is exactly TS_PACKET_BYTES long; the packet
 * reader guarantees both, so these stay branch-light for the ingest hot path.
 */
export const TS_PACKET_BYTES = 188
export const TS_SYNC_BYTE = 0x47
export const PAT_PID = 0x0000
export const NULL_PID = 0x1fff
/** PCR ticks per millisecond (27 MHz system clock). */
export const PCR_TICKS_PER_MS = 27_000
/** PTS/DTS ticks per millisecond (90 kHz). */
export const PTS_TICKS_PER_MS = 90

export function pidOf(packet: Uint8Array): number {
  return ((packet[1]! & 0x1f) << 8) | packet[2]!
}

/** payload_unit_start_indicator: a PES packet or PSI section starts in this packet. */
export function startsPayloadUnit(packet: Uint8Array): boolean {
  return (packet[1]! & 0x40) !== 0
}

export function transportErrorFlag(packet: Uint8Array): boolean {
  return (packet[1]! & 0x80) !== 0
}

export function hasAdaptationField(packet: Uint8Array): boolean {
  return (packet[3]! & 0x20) !== 0
}

export function hasPayload(packet: Uint8Array): boolean {
  return (packet[3]! & 0x10) !== 0
}

export function continuityCounter(packet: Uint8Array): number {
  return packet[3]! & 0x0f
}

/** Offset of the payload inside the packet, or -1 when there is none (or the header lies). */
export function payloadOffset(packet: Uint8Array): number {
  if (!hasPayload(packet)) return -1
  if (!hasAdaptationField(packet)) return 4
  const offset = 5 + packet[4]!
  return offset < TS_PACKET_BYTES ? offset : -1
}

/** Adaptation-field flags byte, or 0 when there is no (non-empty) adaptation field. */
function adaptationFlags(packet: Uint8Array): number {
  if (!hasAdaptationField(packet) || packet[4]! === 0) return 0
  return packet[5]!
}

/** random_access_indicator: the encoder marks the packet where a decodable group begins. */
export function randomAccessIndicator(packet: Uint8Array): boolean {
  return (adaptationFlags(packet) & 0x40) !== 0
}

/** PCR in 27 MHz ticks, or -1 when the packet carries none. Exact below 2^53 (33+9 bits fit). */
export function pcrOf(packet: Uint8Array): number {
  if ((adaptationFlags(packet) & 0x10) === 0 || packet[4]! < 7) return -1
  const base =
    packet[6]! * 2 ** 25 + packet[7]! * 2 ** 17 + packet[8]! * 2 ** 9 + packet[9]! * 2 + (packet[10]! >> 7)
  const extension = ((packet[10]! & 0x01) << 8) | packet[11]!
  return base * 300 + extension
}

/** Overwrite the PCR of a packet that carries one (see pcrOf). */
export function writePcr(packet: Uint8Array, pcr: number): void {
  const base = Math.floor(pcr / 300) % 2 ** 33
  const extension = pcr % 300
  packet[6] = Math.floor(base / 2 ** 25) & 0xff
  packet[7] = Math.floor(base / 2 ** 17) & 0xff
  packet[8] = Math.floor(base / 2 ** 9) & 0xff
  packet[9] = Math.floor(base / 2) & 0xff
  packet[10] = ((base & 1) << 7) | 0x7e | (extension >> 8)
  packet[11] = extension & 0xff
}

export function writeContinuityCounter(packet: Uint8Array, cc: number): void {
  packet[3] = (packet[3]! & 0xf0) | (cc & 0x0f)
}
