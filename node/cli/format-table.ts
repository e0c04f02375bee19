/**
 * A plain text table for the CLI: a heading row and rows, columns padded to their widest
 * cell and separated by two spaces, no trailing blanks.
 *
 * @example
 * formatTable(['ID', 'STATE'], [['job-1', 'RUNNING']]) // 'ID     STATE\njob-1  RUNNING\n'
 */

/** The table, one line per row (heading first), each ending in a line break. */
export function formatTable (head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd() + '\n'
  return line(head) + rows.map(line).join('')
}
