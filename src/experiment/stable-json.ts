/**
 * Results files must be byte-identical for the same seed and code, and diff well: keys are sorted
 * at every level, non-integers are rounded to `significantDigits` (float noise from summation
 * order would otherwise show up as spurious differences), and NaN/Infinity become null (JSON has
 * no spelling for them).
 */
export function stableJson(value: unknown, significantDigits = 6): string {
  return `${JSON.stringify(normalize(value, significantDigits), null, 2)}\n`
}

function roundNumber(v: number, digits: number): number | null {
  if (!Number.isFinite(v)) return null
  if (Number.isInteger(v)) return v
  const rounded = Number(v.toPrecision(digits))
  return Object.is(rounded, -0) ? 0 : rounded
}

function normalize(value: unknown, digits: number): unknown {
  if (typeof value === 'number') return roundNumber(value, digits)
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<unknown>, (v) => normalize(v, digits))
  }
  if (value instanceof Map) return normalize(Object.fromEntries(value), digits)
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = normalize(v, digits)
  }
  return out
}
