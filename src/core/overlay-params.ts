import { z } from 'zod'

/** An overlay's parameters (from a scenario file or a stream URI) failed validation. */
export class InvalidParamsError extends Error {
  override readonly name = 'InvalidParamsError'
}

/**
 * Validate and default an overlay's parameters with its zod schema. The error names every bad
 * field (zod's prettified issue list), e.g. "Invalid spreadit parameters: ✖ ... → at maxChildren".
 */
export function parseOverlayParams<S extends z.ZodType>(
  overlay: string,
  schema: S,
  raw: unknown,
): z.infer<S> {
  const result = schema.safeParse(raw)
  if (!result.success) {
    throw new InvalidParamsError(`Invalid ${overlay} parameters:\n${z.prettifyError(result.error)}`)
  }
  return result.data
}
