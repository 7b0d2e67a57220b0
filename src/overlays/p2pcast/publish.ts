import type { Env } from '../../core/protocol.ts'
import type { Chunk, ChunkMessage } from '../../stream/chunk.ts'
import { type ParityEncoder, parityStripe, stripeOf } from '../../stream/stripes.ts'
import type { P2PCastMessage } from './messages.ts'

/**
 * The source's half of striping, shared by both modes: each data chunk goes to its stripe tree's
 * root, and every full group adds a parity chunk on the last stripe. On the net host every chunk a
 * viewer accepts must carry the source's signature; the host signed the data chunk before publish,
 * so the parity chunk made here is signed here (env.sign exists only at the source of a net host).
 */
export function publishStriped(
  env: Env<P2PCastMessage>,
  encoder: ParityEncoder,
  f: number,
  parity: boolean,
  chunk: Chunk,
  sendToRoot: (stripe: number, msg: ChunkMessage) => void,
): void {
  sendToRoot(stripeOf(chunk, f), { type: 'chunk', chunk, hops: 1 })
  const made = encoder.push(chunk)
  if (!made || !parity) return
  const signed = env.sign ? env.sign(made) : made
  sendToRoot(parityStripe(f), { type: 'chunk', chunk: signed, hops: 1 })
}
