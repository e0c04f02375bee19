/**
 * SQL text → meshflow's statements (node/sql/ast.ts), synchronously. The text is split
 * at top-level `;` (split-statements.ts); each statement has Flink's clauses the library
 * does not read blanked (flink-preprocess.ts), is parsed by sqlparser-rs (WebAssembly,
 * loaded on the first call) and converted (ast-convert*.ts). Positions are in the whole
 * text. Errors are SqlSyntaxError (`Syntax error at 1:15: expected end of statement,
 * found 't'`) or SqlUnsupportedError, each with the text as its `query`.
 *
 * @example
 * const [stmt] = parseStatements('SELECT store, SUM(amount) FROM sales GROUP BY store;')
 * stmt.kind // 'query'
 */
import type { Ident, Pos, Statement } from '../ast.ts'
import { SqlSyntaxError } from '../errors.ts'
import { errorMessage } from '../../../protocol/error-message.ts'
import { ConvertContext, variant } from './convert-context.ts'
import type { LibNode } from './convert-context.ts'
import { convertStatement } from './ast-convert.ts'
import type { LibWatermark } from './ast-convert.ts'
import { preprocessFlink } from './flink-preprocess.ts'
import { splitStatements } from './split-statements.ts'
import type { StatementText } from './split-statements.ts'
import { parseWithLibrary } from './sqlparser-wasm.ts'

/** What a syntax error's "expected …" may say before it is cut (the library can list many tokens). */
const MAX_EXPECTED = 60

/**
 * Parses every statement of `text` (separated by `;`; empty ones skipped).
 *
 * @throws {SqlSyntaxError} the text is not SQL the parser reads
 * @throws {SqlUnsupportedError} a statement or construct meshflow does not run
 */
export function parseStatements (text: string): Statement[] {
  return splitStatements(text).map(part => parsePart(text, part))
}

/**
 * Parses a text holding exactly one statement (a trailing `;` is fine).
 *
 * @throws {SqlSyntaxError} not SQL, no statement, or more than one
 * @throws {SqlUnsupportedError} a statement or construct meshflow does not run
 */
export function parseStatement (text: string): Statement {
  const parts = splitStatements(text)
  const [first, second] = parts
  if (first === undefined) {
    throw new SqlSyntaxError('expected a statement, found end of input', { line: 1, column: 1, offset: 0 }, { query: text })
  }
  if (second !== undefined) {
    throw new SqlSyntaxError('expected one statement, found another one here', { line: second.line, column: second.column, offset: second.offset }, { query: text })
  }
  return parsePart(text, first)
}

function parsePart (query: string, part: StatementText): Statement {
  const start = { offset: part.offset, line: part.line, column: part.column }
  const pre = preprocessFlink(part.text)
  const ctx = new ConvertContext({ statement: part.text, query, start, tvfStarts: pre.tvfStarts })
  if (pre.tvfPartitionBy !== undefined) throw ctx.unsupported('PARTITION BY in a window table function', ctx.posAt(pre.tvfPartitionBy))
  const nodes = libraryParse(ctx, pre.text)
  if (nodes.length !== 1) {
    // splitStatements and the library disagree on where statements end: not expected.
    throw ctx.syntax('expected one statement', ctx.statementPos())
  }
  let watermark: LibWatermark | undefined
  if (pre.watermark !== undefined) {
    const [select] = libraryParse(ctx, pre.watermark.exprText, ctx.posAt(pre.watermark.end))
    watermark = { column: tokenIdent(ctx, pre.watermark.column.start, pre.watermark.column.text), expr: onlySelectItem(ctx, select, ctx.posAt(pre.watermark.start)) }
  }
  return convertStatement(ctx, nodes[0], watermark)
}

/**
 * The library's statements for `text`, its errors as SqlSyntaxError; `end` is where an
 * error without a position ("found EOF") is reported (default: the statement's end).
 */
function libraryParse (ctx: ConvertContext, text: string, end?: Pos): LibNode[] {
  try {
    return parseWithLibrary(text)
  } catch (err) {
    throw syntaxError(ctx, err, end ?? ctx.shift(ctx.source.endPos()))
  }
}

/** An identifier from a lexer token (a word, or a `"quoted"`/`` `quoted` `` name). */
function tokenIdent (ctx: ConvertContext, offset: number, text: string): Ident {
  const quote = text[0]
  if (quote === '"' || quote === '`') return { name: text.slice(1, -1).replaceAll(quote + quote, quote), quoted: true, pos: ctx.posAt(offset) }
  return { name: text, quoted: false, pos: ctx.posAt(offset) }
}

/** The expression of the `SELECT expr` a watermark was parsed as. */
function onlySelectItem (ctx: ConvertContext, node: LibNode, pos: Pos): LibNode {
  const [tag, q] = variant(node)
  const [bodyTag, select] = tag === 'Query' ? variant(q.body) : ['', undefined]
  const items: LibNode[] = bodyTag === 'Select' ? select.projection : []
  const [itemTag, expr] = variant(items[0])
  if (items.length !== 1 || itemTag !== 'UnnamedExpr') throw ctx.syntax('expected WATERMARK FOR column AS expression', pos)
  return expr
}

const LOCATED = /\s*at Line: (\d+), Column: (\d+)\s*$/

/**
 * The library's error (`sql parser error: Expected: end of statement, found: t at Line:
 * 1, Column: 15`) as a SqlSyntaxError at that position (`expected end of statement,
 * found 't'`); an error without a position is at the end of the statement.
 */
function syntaxError (ctx: ConvertContext, err: unknown, end: Pos): SqlSyntaxError {
  const raw = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string'
    ? (err as { message: string }).message
    : errorMessage(err)
  let message = raw.replace(/^sql parser error:\s*/i, '')
  if (/recursion limit/i.test(message)) {
    // Reported at the end of the input by the library: the statement is what is too deep.
    return new SqlSyntaxError('the statement is nested too deeply', ctx.statementPos(), { query: ctx.query, cause: err })
  }
  let pos = end
  const located = LOCATED.exec(message)
  if (located !== null) {
    pos = ctx.pos(Number(located[1]), Number(located[2]))
    message = message.slice(0, located.index)
  }
  const expected = /^Expected: ([\s\S]*), found: ([\s\S]*)$/.exec(message)
  let detail: string
  if (expected !== null) {
    let wanted = expected[1] as string
    if (wanted.length > MAX_EXPECTED) wanted = `${wanted.slice(0, MAX_EXPECTED).replace(/\s+\S*$/, '')} …`
    const found = expected[2] as string
    detail = `expected ${wanted}, found ${found === 'EOF' ? 'end of input' : /^['"`]/.test(found) ? found : `'${found}'`}`
  } else {
    detail = message.length > 200 ? `${message.slice(0, 200)} …` : message
    detail = detail.charAt(0).toLowerCase() + detail.slice(1)
  }
  return new SqlSyntaxError(detail, pos, { query: ctx.query, cause: err })
}
