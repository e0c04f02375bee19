/**
 * Flink SQL the parser library does not read, made readable without moving anything:
 * each rewrite replaces text by spaces of the same width (line breaks kept), so every
 * line and column the library reports is still the one in the text as written.
 *
 * - Window table-valued functions: `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1'
 *   MINUTES))` → `      TUMBLE(      t, DESCRIPTOR(ts), INTERVAL '1' MINUTES) `, which the
 *   library parses as a table function in FROM (HOP, CUMULATE and SESSION alike; named
 *   arguments `DATA => TABLE t` too).
 * - `WATERMARK FOR ts AS expr` inside `CREATE TABLE (…)`: blanked from the column list,
 *   and returned with the text to parse its expression alone (`SELECT` written over the
 *   `WATERMARK` keyword, everything else blanked).
 *
 * @see https://nightlies.apache.org/flink/flink-docs-stable/docs/dev/table/sql/queries/window-tvf/
 * @see https://nightlies.apache.org/flink/flink-docs-stable/docs/dev/table/sql/create/#watermark
 */
import type { SqlToken } from './sql-lexer.ts'
import { closingParen, isKeyword, isPunct, lexSql } from './sql-lexer.ts'
import { blank } from './source-text.ts'

const WINDOW_FUNCTIONS = new Set(['TUMBLE', 'HOP', 'CUMULATE', 'SESSION'])

/** A `WATERMARK FOR col AS expr` clause found in a CREATE TABLE. */
export interface WatermarkClause {
  /** The column token (a word or a quoted name) and the `WATERMARK` keyword's offset. */
  readonly column: SqlToken
  readonly start: number
  /**
   * The statement with everything but the expression blanked and `SELECT` over the
   * `WATERMARK` keyword: the library parses it as `SELECT expr` at the original positions.
   */
  readonly exprText: string
  /** Where the expression ends (a syntax error at the end of `exprText` is there). */
  readonly end: number
}

/** The statement as the library should read it, and what was taken out. */
export interface Preprocessed {
  readonly text: string
  /** Offsets of window function names → offset of the `TABLE` keyword that wrapped them. */
  readonly tvfStarts: Map<number, number>
  readonly watermark: WatermarkClause | undefined
  /** A `PARTITION BY` inside a window TVF (Flink's SESSION): its offset, for an error. */
  readonly tvfPartitionBy: number | undefined
}

/** Rewrites one statement's text (see the module comment); never throws. */
export function preprocessFlink (text: string): Preprocessed {
  const { tokens } = lexSql(text)
  const ranges: [number, number][] = []
  const tvfStarts = new Map<number, number>()
  let tvfPartitionBy: number | undefined
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as SqlToken
    if (t.kind !== 'word' || !WINDOW_FUNCTIONS.has(t.text.toUpperCase()) || !isPunct(tokens[i + 1], '(')) continue
    const close = closingParen(tokens, i + 1)
    if (close === -1) continue
    // The arguments: `TABLE name` at depth 1 (first, or after `=>`) loses its keyword.
    let depth = 0
    let sawTable = false
    for (let k = i + 1; k < close; k++) {
      const a = tokens[k] as SqlToken
      if (isPunct(a, '(')) depth++
      else if (isPunct(a, ')')) depth--
      else if (depth === 1 && isKeyword(a, 'TABLE') && (isPunct(tokens[k - 1], '(') || isPunct(tokens[k - 1], '=>')) &&
        (tokens[k + 1]?.kind === 'word' || tokens[k + 1]?.kind === 'quoted')) {
        ranges.push([a.start, a.end])
        sawTable = true
      } else if (depth === 1 && sawTable && isKeyword(a, 'PARTITION') && isKeyword(tokens[k + 1], 'BY')) {
        tvfPartitionBy ??= a.start
      }
    }
    // The wrapping `TABLE(` … `)`.
    if (isPunct(tokens[i - 1], '(') && isKeyword(tokens[i - 2], 'TABLE')) {
      const outerOpen = i - 1
      const outerClose = closingParen(tokens, outerOpen)
      if (outerClose === close + 1) {
        const keyword = tokens[i - 2] as SqlToken
        ranges.push([keyword.start, (tokens[outerOpen] as SqlToken).end], [(tokens[outerClose] as SqlToken).start, (tokens[outerClose] as SqlToken).end])
        tvfStarts.set(t.start, keyword.start)
      }
    }
  }
  const watermark = findWatermark(text, tokens)
  if (watermark !== undefined) ranges.push(watermark.range)
  // From the end, so that earlier offsets stay valid (blank() keeps one space per code point).
  let out = text
  for (const [from, to] of ranges.sort((a, b) => b[0] - a[0])) out = blank(out, from, to)
  return {
    text: out,
    tvfStarts,
    watermark: watermark === undefined ? undefined : { column: watermark.column, start: watermark.start, exprText: watermark.exprText, end: watermark.end },
    tvfPartitionBy
  }
}

/** The first `WATERMARK FOR col AS expr` in the column list of a `CREATE TABLE … (`. */
function findWatermark (text: string, tokens: readonly SqlToken[]): (WatermarkClause & { range: [number, number] }) | undefined {
  if (!isKeyword(tokens[0], 'CREATE')) return undefined
  const open = tokens.findIndex(t => isPunct(t, '('))
  if (open === -1 || !tokens.slice(0, open).some(t => isKeyword(t, 'TABLE'))) return undefined
  const close = closingParen(tokens, open)
  if (close === -1) return undefined
  // The top-level items of the column list: [first token, last token] index pairs.
  const items: [number, number][] = []
  let depth = 0
  let itemStart = open + 1
  for (let k = open + 1; k <= close; k++) {
    const t = tokens[k] as SqlToken
    if (isPunct(t, '(')) depth++
    else if (isPunct(t, ')')) {
      if (depth === 0) { items.push([itemStart, k - 1]); break }
      depth--
    } else if (isPunct(t, ',') && depth === 0) {
      items.push([itemStart, k - 1])
      itemStart = k + 1
    }
  }
  const index = items.findIndex(([a]) => isKeyword(tokens[a], 'WATERMARK') && isKeyword(tokens[a + 1], 'FOR'))
  if (index === -1) return undefined
  const [a, b] = items[index] as [number, number]
  const column = tokens[a + 2]
  const as = tokens[a + 3]
  if (column === undefined || (column.kind !== 'word' && column.kind !== 'quoted') || as === undefined || !isKeyword(as, 'AS') || a + 3 > b) return undefined
  const keyword = tokens[a] as SqlToken
  // An empty expression stays empty: parsing `SELECT` alone then reports it after AS.
  const exprStart = a + 4 <= b ? (tokens[a + 4] as SqlToken).start : as.end
  const exprEnd = (tokens[b] as SqlToken).end
  // Blank the clause and one comma next to it, so the column list stays well-formed.
  const range: [number, number] = index > 0
    ? [(tokens[a - 1] as SqlToken).start, exprEnd]
    : [keyword.start, items.length > 1 ? (tokens[b + 1] as SqlToken).end : exprEnd]
  // `SELECT` over the first 6 of WATERMARK's 9 characters; blank() keeps lines and columns.
  const exprText = blankAll(text.slice(0, keyword.start)) + 'SELECT' + blankAll(text.slice(keyword.start + 6, exprStart)) + text.slice(exprStart, exprEnd)
  return { column, start: keyword.start, exprText, end: exprEnd, range }
}

function blankAll (s: string): string {
  return blank(s, 0, s.length)
}
