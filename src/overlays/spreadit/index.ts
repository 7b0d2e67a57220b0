import type { Overlay } from '../../core/protocol.ts'
import { type SpreadItMessage, spreaditCodec } from './messages.ts'
import { SpreadItNode } from './node.ts'
import { parseParams, type SpreadItParams } from './params.ts'

export type { AddDecision } from './add-policy.ts'
export type { SpreadItMessage } from './messages.ts'
export { spreaditCodec } from './messages.ts'
export { METRIC as SPREADIT_METRICS, SpreadItNode } from './node.ts'
export type { AddPolicy, DeletePolicy, SpreadItParams } from './params.ts'
export { ADD_POLICIES, childLimit, DELETE_POLICIES, InvalidParamsError, parseParams } from './params.ts'

/** SpreadIt (Deshpande, Bawa, Garcia-Molina): one tree built with the redirect primitive. */
export const spreadit: Overlay<SpreadItMessage, SpreadItParams> = {
  name: 'spreadit',
  codec: spreaditCodec,
  parseParams,
  createNode: (env, ctx, params) => new SpreadItNode(env, ctx, params),
}
