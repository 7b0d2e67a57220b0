import { TS_PACKET_BYTES } from './ts-header.ts'

/**
 * Where the parts of a PES header sit inside the TS packet that starts the PES packet
 * (ISO/IEC 13818-1 §2.4.3.6). Offsets are into the 188-byte TS packet; -1 means absent.
 */
export interface PesHeaderLayout {
  streamId: number
  ptsOffset: number
  dtsOffset: number
  /** First byte of the elementary stream (codec) data. */
  esOffset: number
}

/** Stream ids without the optional PES header (padding, private_stream_2, ECM, ...). */
function hasOptionalHeader(streamId: number): boolean {
  return !(
    streamId === 0xbc ||
    streamId === 0xbe ||
    streamId === 0xbf ||
    streamId === 0xf0 ||
    streamId === 0xf1 ||
    streamId === 0xff ||
    streamId === 0xf2 ||
    streamId === 0xf8
  )
}

/** Parses the PES header starting at `offset` (the payload of a packet with the unit-start bit). */
export function pesHeaderAt(packet: Uint8Array, offset: number): PesHeaderLayout | null {
  if (offset < 0 || offset + 6 > TS_PACKET_BYTES) return null
  if (packet[offset] !== 0 || packet[offset + 1] !== 0 || packet[offset + 2] !== 1) return null
  const streamId = packet[offset + 3]!
  if (!hasOptionalHeader(streamId)) return { streamId, ptsOffset: -1, dtsOffset: -1, esOffset: offset + 6 }
  if (offset + 9 > TS_PACKET_BYTES) return null
  const flags = packet[offset + 7]! >> 6
  const esOffset = offset + 9 + packet[offset + 8]!
  if (esOffset > TS_PACKET_BYTES) return null
  const ptsOffset = flags & 0b10 ? offset + 9 : -1
  const dtsOffset = flags === 0b11 ? offset + 14 : -1
  if ((dtsOffset >= 0 ? dtsOffset : ptsOffset) + 5 > esOffset) return null
  return { streamId, ptsOffset, dtsOffset, esOffset }
}

/** A 33-bit PTS/DTS (90 kHz) from its 5-byte marker-bit encoding. */
export function readTimestamp(packet: Uint8Array, at: number): number {
  return (
    ((packet[at]! >> 1) & 0x07) * 2 ** 30 +
    packet[at + 1]! * 2 ** 22 +
    (packet[at + 2]! >> 1) * 2 ** 15 +
    packet[at + 3]! * 2 ** 7 +
    (packet[at + 4]! >> 1)
  )
}

/** Overwrites a PTS/DTS in place, keeping its 4-bit prefix and marker bits. */
export function writeTimestamp(packet: Uint8Array, at: number, value: number): void {
  const ts = ((value % 2 ** 33) + 2 ** 33) % 2 ** 33
  packet[at] = (packet[at]! & 0xf0) | (Math.floor(ts / 2 ** 30) << 1) | 0x01
  packet[at + 1] = Math.floor(ts / 2 ** 22) & 0xff
  packet[at + 2] = ((Math.floor(ts / 2 ** 15) & 0x7f) << 1) | 0x01
  packet[at + 3] = Math.floor(ts / 2 ** 7) & 0xff
  packet[at + 4] = ((ts & 0x7f) << 1) | 0x01
}
