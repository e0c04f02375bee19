/**
 * meshflow's SQL front-end: SQL text → the statements of node/sql/ast.ts, with positions
 * on every node, and the statement splitting the interactive shell needs. The parser is
 * sqlparser-rs (WebAssembly, `@guanmingchiu/sqlparser-ts`), loaded on the first parse.
 *
 * @example
 * import { parseStatement, formatSqlError } from './node/sql/parser/index.ts'
 *
 * const stmt = parseStatement(`SELECT store, SUM(amount) AS total FROM sales WHERE amount > 10 GROUP BY store`)
 * if (stmt.kind === 'query' && stmt.query.body.kind === 'select') {
 *   console.log(stmt.query.body.items.map(i => i.alias?.name)) // [undefined, 'total']
 * }
 * try {
 *   parseStatement('SELECT store FROM sales s s')
 * } catch (err) {
 *   console.log(formatSqlError(err))
 *   // Syntax error at 1:27: expected end of statement, found 's'
 *   // SELECT store FROM sales s s
 *   //                           ^
 * }
 */
export { parseStatement, parseStatements } from './sql-parser.ts'
export { splitStatements, isCompleteStatement } from './split-statements.ts'
export type { StatementText } from './split-statements.ts'
export {
  SqlError, SqlSyntaxError, SqlUnknownTableError, SqlUnknownColumnError, SqlUnknownFunctionError, SqlTypeError,
  SqlAmbiguousColumnError, SqlAggregateError, SqlUnsupportedError, formatSqlError, didYouMean, positionText
} from '../errors.ts'
export type { SqlErrorOptions } from '../errors.ts'
export type * from '../ast.ts'
