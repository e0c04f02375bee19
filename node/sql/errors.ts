/**
 * Errors of the SQL layer: every one carries the position in the statement where the
 * problem is (`line`, `column`, both 1-based, and the 0-based `offset`), and its message
 * names the problem and that position, e.g.
 * `Unknown column 'amout' at 1:12 — did you mean 'amount'?`. `formatSqlError` adds the
 * query line and a caret under the column for a terminal. Match on `err.name`.
 *
 * @example
 * throw new SqlUnknownColumnError('amout', pos, ['store', 'amount'])
 * // formatSqlError(err, 'SELECT store, amout FROM sales') →
 * // Unknown column 'amout' at 1:15 — did you mean 'amount'?
 * // SELECT store, amout FROM sales
 * //               ^
 */
import type { Pos } from './ast.ts'
import { errorMessage } from '../../protocol/error-message.ts'

/** Options of every SQL error: the `cause`, and the statement text for `formatSqlError`. */
export interface SqlErrorOptions extends ErrorOptions {
  /** The statement the position points into (what `formatSqlError` shows when not given one). */
  readonly query?: string | undefined
}

/** `line:column` of a position, as messages write it. */
export function positionText (pos: Pos): string {
  return `${pos.line}:${pos.column}`
}

/**
 * The base of the SQL errors: a message that already names the position (subclasses
 * build it), and the position itself.
 */
export class SqlError extends Error {
  /** 1-based line of the problem. */
  readonly line: number
  /** 1-based column (in characters, i.e. code points) of the problem. */
  readonly column: number
  /** 0-based offset (UTF-16 code units, as JavaScript strings index) of the problem. */
  readonly offset: number
  /** The statement text, when the thrower had it. */
  readonly query: string | undefined

  /** `message` should name the position (`positionText(pos)`); the subclasses do so. */
  constructor (message: string, pos: Pos, options: SqlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SqlError'
    this.line = pos.line
    this.column = pos.column
    this.offset = pos.offset
    this.query = options.query
  }

  /** The position as a `Pos`. */
  get pos (): Pos {
    return { line: this.line, column: this.column, offset: this.offset }
  }
}

/** `' — did you mean 'x'?'` when there is a close candidate, else ''. */
function suggestion (name: string, candidates: readonly string[]): string {
  const best = didYouMean(name, candidates)
  return best === undefined ? '' : ` — did you mean '${best}'?`
}

/**
 * The statement is not valid SQL (as the parser reads it):
 * `Syntax error at 1:15: expected end of statement, found 't'`.
 */
export class SqlSyntaxError extends SqlError {
  /** What was wrong, without the position (`expected …, found …`); '' when unknown. */
  readonly detail: string

  /** `detail` is lower case, e.g. `expected an expression, found end of input`. */
  constructor (detail: string, pos: Pos, options: SqlErrorOptions = {}) {
    super(`Syntax error at ${positionText(pos)}${detail === '' ? '' : `: ${detail}`}`, pos, options)
    this.name = 'SqlSyntaxError'
    this.detail = detail
  }
}

/** A table name that is neither a dataset, a registered table nor a CTE. */
export class SqlUnknownTableError extends SqlError {
  readonly tableName: string

  /** `candidates`: the names that exist (for the did-you-mean hint). */
  constructor (tableName: string, pos: Pos, candidates: readonly string[] = [], options: SqlErrorOptions = {}) {
    super(`Unknown table '${tableName}' at ${positionText(pos)}${suggestion(tableName, candidates)}`, pos, options)
    this.name = 'SqlUnknownTableError'
    this.tableName = tableName
  }
}

/** A column name found in none of the tables in scope. */
export class SqlUnknownColumnError extends SqlError {
  readonly columnName: string

  /**
   * `columnName` as written (`t.amout` may be passed qualified); `candidates`: the
   * columns in scope (for the did-you-mean hint).
   */
  constructor (columnName: string, pos: Pos, candidates: readonly string[] = [], options: SqlErrorOptions = {}) {
    super(`Unknown column '${columnName}' at ${positionText(pos)}${suggestion(columnName, candidates)}`, pos, options)
    this.name = 'SqlUnknownColumnError'
    this.columnName = columnName
  }
}

/** A function or aggregate name that meshflow does not have. */
export class SqlUnknownFunctionError extends SqlError {
  readonly functionName: string

  /** `candidates`: the known function names (for the did-you-mean hint). */
  constructor (functionName: string, pos: Pos, candidates: readonly string[] = [], options: SqlErrorOptions = {}) {
    super(`Unknown function '${functionName}' at ${positionText(pos)}${suggestion(functionName, candidates)}`, pos, options)
    this.name = 'SqlUnknownFunctionError'
    this.functionName = functionName
  }
}

/**
 * Operand types that do not fit: `new SqlTypeError("Cannot compare VARCHAR with
 * INTEGER", pos)` → `Cannot compare VARCHAR with INTEGER at 1:30`.
 */
export class SqlTypeError extends SqlError {
  /** `problem`: capitalised, no position, no trailing period. */
  constructor (problem = 'Type mismatch', pos: Pos, options: SqlErrorOptions = {}) {
    super(`${problem} at ${positionText(pos)}`, pos, options)
    this.name = 'SqlTypeError'
  }
}

/** An unqualified column name that more than one table in scope has. */
export class SqlAmbiguousColumnError extends SqlError {
  readonly columnName: string

  /**
   * `tables`: the names (or aliases) of the tables that have it, for the hint
   * `Ambiguous column 'id' at 1:8 — qualify it: a.id or b.id`.
   */
  constructor (columnName: string, pos: Pos, tables: readonly string[] = [], options: SqlErrorOptions = {}) {
    const hint = tables.length === 0 ? '' : ` — qualify it: ${tables.map(t => `${t}.${columnName}`).join(' or ')}`
    super(`Ambiguous column '${columnName}' at ${positionText(pos)}${hint}`, pos, options)
    this.name = 'SqlAmbiguousColumnError'
    this.columnName = columnName
  }
}

/**
 * An aggregate where none may be, or a column missing from GROUP BY, e.g.
 * `new SqlAggregateError("Aggregate 'SUM' is not allowed in WHERE", pos)`,
 * `"Aggregate 'SUM' cannot be nested in another aggregate"`,
 * `"Column 'store' must appear in GROUP BY or be used in an aggregate"`.
 */
export class SqlAggregateError extends SqlError {
  /** `problem`: capitalised, no position, no trailing period. */
  constructor (problem = 'Invalid use of an aggregate', pos: Pos, options: SqlErrorOptions = {}) {
    super(`${problem} at ${positionText(pos)}`, pos, options)
    this.name = 'SqlAggregateError'
  }
}

/**
 * Valid SQL that meshflow does not run: `construct` names it, e.g.
 * `new SqlUnsupportedError('LATERAL VIEW', pos)` → `LATERAL VIEW is not supported at 1:20`.
 */
export class SqlUnsupportedError extends SqlError {
  readonly construct: string

  constructor (construct = 'This construct', pos: Pos, options: SqlErrorOptions = {}) {
    super(`${construct} is not supported at ${positionText(pos)}`, pos, options)
    this.name = 'SqlUnsupportedError'
    this.construct = construct
  }
}

/** Lines wider than this are cut around the column in `formatSqlError`. */
const MAX_SHOWN_LINE = 100

/**
 * The error for a terminal: its message, the query line the position is on, and a caret
 * under the column. `query` defaults to the error's own `query`; without either (or for
 * an error that is not a SqlError) it is the message alone.
 *
 * @example
 * formatSqlError(err, 'SELECT amout FROM sales')
 * // Unknown column 'amout' at 1:8 — did you mean 'amount'?
 * // SELECT amout FROM sales
 * //        ^
 */
export function formatSqlError (err: unknown, query?: string): string {
  if (!(err instanceof SqlError)) return errorMessage(err)
  const text = query ?? err.query
  if (text === undefined) return err.message
  const lineText = text.split(/\r\n|\r|\n/)[err.line - 1]
  if (lineText === undefined) return err.message
  let chars = Array.from(lineText)
  let caretAt = Math.max(0, Math.min(err.column - 1, chars.length))
  let prefix = ''
  if (chars.length > MAX_SHOWN_LINE) {
    const from = Math.max(0, caretAt - MAX_SHOWN_LINE / 2)
    const to = Math.min(chars.length, from + MAX_SHOWN_LINE)
    prefix = from > 0 ? '…' : ''
    chars = [...chars.slice(from, to), ...(to < chars.length ? ['…'] : [])]
    caretAt = caretAt - from + prefix.length
  }
  const shown = prefix + chars.join('')
  // Tabs stay tabs under the caret so it lines up however wide the terminal draws them.
  const pad = Array.from(shown).slice(0, caretAt).map(c => c === '\t' ? '\t' : ' ').join('')
  return `${err.message}\n${shown}\n${pad}^`
}

/**
 * The candidate closest to `name`, compared case-insensitively by edit distance (insert,
 * delete, substitute, swap two neighbours), when it is close enough to be a typo: within
 * 1 edit for names of 2–4 characters, 2 for 5–7, a third of the length for longer ones (a
 * 1-character name only matches a different case). The first of equally close candidates.
 */
export function didYouMean (name: string, candidates: Iterable<string>): string | undefined {
  const a = name.toLowerCase()
  const limit = Math.floor((a.length + 1) / 3)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const d = editDistance(a, candidate.toLowerCase(), Math.min(limit, bestDistance - 1))
    if (d < bestDistance && d <= limit) {
      best = candidate
      bestDistance = d
      if (d === 0) break
    }
  }
  return best
}

/**
 * Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one
 * substring); returns `max + 1` as soon as the distance must exceed `max`.
 */
function editDistance (a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let prev2: number[] = []
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1)
      row.push(d)
      if (d < rowMin) rowMin = d
    }
    if (rowMin > max) return max + 1
    prev2 = prev
    prev = row
  }
  return prev[b.length] ?? max + 1
}

/**
 * A plan the engine cannot run, found after binding (so without a position in the
 * statement): a construct the binder let through that the physical planner does not support.
 */
export class SqlPlanError extends Error {
  constructor (message = 'The query cannot be planned', options?: ErrorOptions) {
    super(message, options)
    this.name = 'SqlPlanError'
  }
}

/**
 * A table declaration (`CREATE TABLE … WITH (…)`) that cannot be used: an unknown connector
 * or option, a missing or bad option value, a bad WATERMARK clause.
 * `new SqlDdlError("Unknown connector 'kafak' — did you mean 'kafka'?", pos)`.
 */
export class SqlDdlError extends SqlError {
  /** `problem`: capitalised, no position, no trailing period. */
  constructor (problem: string, pos: Pos, options: SqlErrorOptions = {}) {
    super(`${problem} at ${positionText(pos)}`, pos, options)
    this.name = 'SqlDdlError'
  }
}
