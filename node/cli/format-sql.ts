/**
 * What `meshflow sql` prints for a result's rows: an aligned table for a terminal (numbers
 * right-aligned, NULL written `NULL`), one JSON array of row objects, or CSV (RFC 4180,
 * NULL as an empty field), with the values of node/sql/sql-types.ts written as a user
 * expects them:
 *
 * | type      | table                     | json                                  | csv                      |
 * |-----------|---------------------------|---------------------------------------|--------------------------|
 * | BIGINT    | digits                    | number when safe, else string         | digits                   |
 * | DOUBLE    | shortest round-trip form  | number (NaN, ±Infinity as strings)    | as table                 |
 * | TIMESTAMP | `2024-01-01 10:00:00[.123]` (UTC) | ISO `2024-01-01T10:00:00.000Z` | ISO, as `dataset export` |
 * | DATE      | `2024-01-01`              | `"2024-01-01"`                        | `2024-01-01`             |
 * | NULL      | `NULL`                    | null                                  | empty                    |
 *
 * @example
 * formatSqlCsv([{ name: 'n', type: 'BIGINT', nullable: false }], [[1n]]) // 'n\n1\n'
 */
import type { SqlColumn, SqlType, IntervalValue } from '../sql/sql-types.ts'
import { rowObjects } from '../sql/sql-result.ts'

const MS_PER_DAY = 86_400_000

/** `2024-01-01 10:00:00`, with `.123` when the milliseconds are not zero (UTC, as DuckDB prints a TIMESTAMP). */
function timestampText (ms: number): string {
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) return String(ms)
  const iso = d.toISOString()
  return iso.slice(0, 10) + ' ' + iso.slice(11, iso.endsWith('.000Z') ? 19 : 23)
}

function dateText (ms: number): string {
  const d = new Date(Math.floor(ms / MS_PER_DAY) * MS_PER_DAY)
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().slice(0, 10)
}

function isoText (ms: number): string {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString()
}

function intervalText (v: IntervalValue): string {
  const parts: string[] = []
  if (v.months !== 0) parts.push(`${v.months} month${Math.abs(v.months) === 1 ? '' : 's'}`)
  if (v.ms !== 0 || parts.length === 0) parts.push(`${v.ms / 1000} s`)
  return parts.join(' ')
}

/** A non-null value as text (table and CSV); `iso` writes timestamps as ISO 8601. */
function valueText (value: unknown, type: SqlType, iso: boolean): string {
  if (typeof value === 'number') {
    if (type === 'TIMESTAMP') return iso ? isoText(value) : timestampText(value)
    if (type === 'DATE') return dateText(value)
    return String(value)
  }
  if (typeof value === 'string') return value
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (type === 'INTERVAL' && typeof value === 'object' && value !== null) return intervalText(value as IntervalValue)
  return value instanceof Date ? (iso ? value.toISOString() : timestampText(value.getTime())) : JSON.stringify(value) ?? String(value)
}

/** Control characters would break a table's lines: written as escapes. */
function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, c => c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A cell of the table. */
export function tableCell (value: unknown, type: SqlType): string {
  return value === null || value === undefined ? 'NULL' : printable(valueText(value, type, false))
}

function isNumericType (type: SqlType): boolean {
  return type === 'INTEGER' || type === 'BIGINT' || type === 'DOUBLE'
}

/** Display width of a cell (code points; good enough without East Asian wide characters). */
function width (text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

/** Column widths and alignment for rows printed as a table. */
export interface TableLayout {
  readonly widths: readonly number[]
  readonly right: readonly boolean[]
}

/** The widths that fit the heading and `cells` (each at least its heading's). */
export function tableLayout (columns: readonly SqlColumn[], cells: readonly (readonly string[])[]): TableLayout {
  const widths = columns.map(c => width(c.name))
  for (const r of cells) {
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, width(r[i] ?? ''))
  }
  return { widths, right: columns.map(c => isNumericType(c.type)) }
}

/** One line of a table (without its line break): two spaces between columns, no trailing blanks. */
export function tableLine (layout: TableLayout, cells: readonly string[]): string {
  return cells.map((c, i) => {
    const pad = ' '.repeat(Math.max(0, (layout.widths[i] ?? 0) - width(c)))
    return layout.right[i] === true ? pad + c : c + pad
  }).join('  ').trimEnd()
}

/** The cells of `rows`. */
export function tableCells (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): string[][] {
  return rows.map(r => columns.map((c, i) => tableCell(r[i], c.type)))
}

/** The heading and every row as table lines (without line breaks). */
export function formatSqlTableLines (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): string[] {
  const cells = tableCells(columns, rows)
  const layout = tableLayout(columns, cells)
  return [tableLine(layout, columns.map(c => c.name)), ...cells.map(r => tableLine(layout, r))]
}

/** `3 rows (0.12 s)`, `1 row (0.00 s)`. */
export function rowCountLine (rows: number, elapsedMs: number): string {
  return `${rows} row${rows === 1 ? '' : 's'} (${elapsedText(elapsedMs)})`
}

/** `0.12 s`. */
export function elapsedText (elapsedMs: number): string {
  return `${(elapsedMs / 1000).toFixed(2)} s`
}

/** A value as JSON (see the module comment). */
function jsonValue (value: unknown, type: SqlType): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
  if (typeof value === 'number') {
    if (type === 'TIMESTAMP') return isoText(value)
    if (type === 'DATE') return dateText(value)
    return Number.isFinite(value) ? value : String(value)
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value
  return valueText(value, type, true)
}

/** Each row as the JSON text of an object keyed by column name. */
export function jsonRowTexts (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): string[] {
  const converted = rows.map(r => columns.map((c, i) => jsonValue(r[i], c.type)))
  return rowObjects(columns, converted).map(o => JSON.stringify(o))
}

/** One JSON array of row objects keyed by column name, and a line break. */
export function formatSqlJson (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): string {
  return `[${jsonRowTexts(columns, rows).join(',')}]\n`
}

/**
 * A CSV field, quoted when it holds a comma, a quote, a line break or leading/trailing
 * space; an empty string is `""`, so that it differs from NULL (an empty field), as DuckDB writes it.
 */
function csvField (text: string): string {
  return text === '' || /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The CSV heading line (column names), with its line break. */
export function csvHeading (columns: readonly SqlColumn[]): string {
  return columns.map(c => csvField(c.name)).join(',') + '\n'
}

/** The CSV lines of `rows`, each with its line break; NULL is an empty field. */
export function csvRows (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): string {
  let text = ''
  for (const r of rows) {
    text += columns.map((c, i) => {
      const v = r[i]
      return v === null || v === undefined ? '' : csvField(valueText(v, c.type, true))
    }).join(',') + '\n'
  }
  return text
}

/**
 * A heading line and one line per row; fields quoted as RFC 4180 says, lines ended by `\n`
 * (as `dataset export` and DuckDB write them; readers take either); NULL is an empty field.
 */
export function formatSqlCsv (columns: readonly SqlColumn[], rows: readonly (readonly unknown[])[]): string {
  return csvHeading(columns) + csvRows(columns, rows)
}
