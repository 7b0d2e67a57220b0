/** Plain-text table for terminals: columns padded, numbers right-aligned. */
export type Cell = string | number | null

export function formatCell(v: Cell, digits = 2): string {
  if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '-'
  if (typeof v === 'string') return v
  if (Number.isInteger(v)) return String(v)
  return v.toFixed(digits)
}

export function textTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((r) => headers.map((_, i) => formatCell(r[i] ?? null)))
  const looksNumeric = (v: Cell | undefined) => typeof v !== 'string' || /^[-+]?[\d.,]+[%x×]?$/.test(v)
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => looksNumeric(r[i])))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)))
  const line = (vals: readonly string[]) =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}
