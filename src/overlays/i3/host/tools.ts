import type { Env } from '../../../core/protocol.ts'
import type { I3Message } from '../messages.ts'
import type { I3Params } from '../params.ts'
import type { ServerRouter } from './router.ts'
import type { TimerTable } from './timers.ts'
import type { TriggerClient } from './trigger-client.ts'

/** What every part of an end host acts through (one per host, shared by its parts). */
export interface HostTools {
  readonly env: Env<I3Message>
  readonly router: ServerRouter
  readonly triggers: TriggerClient
  readonly timers: TimerTable<I3Message>
  readonly params: I3Params
}
