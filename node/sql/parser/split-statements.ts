/**
 * Splitting a text into statements at the `;` that are not inside a string, a quoted
 * identifier, a comment or parentheses, for scripts and the interactive shell (which
 * reads lines until `isCompleteStatement` says the statement ends with `;`).
 *
 * @example
 * splitStatements('SELECT 1;\nSELECT 2')
 * // [{ text: 'SELECT 1', offset: 0, line: 1, column: 1 }, { text: 'SELECT 2', offset: 10, line: 2, column: 1 }]
 * isCompleteStatement("SELECT ';'")   // false
 * isCompleteStatement('SELECT 1; -- done') // true
 */
import { lexSql, isPunct } from './sql-lexer.ts'
import type { SqlToken } from './sql-lexer.ts'
import { SourceText } from './source-text.ts'

/** One statement of a text: from its first token to its last, without the `;`. */
export interface StatementText {
  /** The statement as written, without leading comments and the ending `;`. */
  readonly text: string
  /** Where it starts in the whole text: 0-based UTF-16 offset, 1-based line and column. */
  readonly offset: number
  readonly line: number
  readonly column: number
  /** Whether a `;` ended it (the last statement of a text may lack one). */
  readonly terminated: boolean
}

/**
 * The statements of `text`, split at top-level `;`; empty statements (`;;`, comments
 * only) are left out. A text that ends inside a string or comment gives its rest as the
 * last, unterminated statement (the parser then reports the error).
 */
export function splitStatements (text: string): StatementText[] {
  const { tokens, unterminated } = lexSql(text)
  const source = new SourceText(text)
  const out: StatementText[] = []
  let first: SqlToken | undefined
  let last: SqlToken | undefined
  let depth = 0
  const push = (end: number, terminated: boolean): void => {
    if (first === undefined) return
    const pos = source.posAt(first.start)
    out.push({ text: text.slice(first.start, end), offset: first.start, line: pos.line, column: pos.column, terminated })
    first = undefined
    last = undefined
  }
  for (const t of tokens) {
    if (isPunct(t, '(')) depth++
    else if (isPunct(t, ')')) depth = Math.max(0, depth - 1)
    if (isPunct(t, ';') && depth === 0) {
      push(last?.end ?? t.start, true)
      continue
    }
    first ??= t
    last = t
  }
  if (unterminated !== undefined) {
    // The open string or comment starts after the last token: the rest is one statement.
    const restStart = first?.start ?? firstNonSpace(text, last?.end ?? tokens.at(-1)?.end ?? 0)
    const pos = source.posAt(restStart)
    out.push({ text: text.slice(restStart).trimEnd(), offset: restStart, line: pos.line, column: pos.column, terminated: false })
  } else {
    push(last?.end ?? text.length, false)
  }
  return out
}

function firstNonSpace (text: string, from: number): number {
  const m = /\S/.exec(text.slice(from))
  return m === null ? text.length : from + m.index
}

/**
 * Whether `text` holds at least one statement and ends with a top-level `;` (comments and
 * white space may follow it): a `;` in a string, quoted name or comment, or inside
 * parentheses does not end a statement.
 */
export function isCompleteStatement (text: string): boolean {
  const { tokens, unterminated } = lexSql(text)
  if (unterminated !== undefined) return false
  let depth = 0
  let content = false
  let endsWithSemicolon = false
  for (const t of tokens) {
    if (isPunct(t, '(')) depth++
    else if (isPunct(t, ')')) depth = Math.max(0, depth - 1)
    if (isPunct(t, ';') && depth === 0) {
      endsWithSemicolon = true
      continue
    }
    content = true
    endsWithSemicolon = false
  }
  return content && endsWithSemicolon && depth === 0
}
