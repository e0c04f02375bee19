/**
 * Helpers for the SQL parser tests: the AST without positions (to compare shapes), short
 * constructors for the nodes tests expect, and the one query or expression of a text.
 */
import { parseStatement } from '../../../../node/sql/parser/index.ts'
import type { Expr, Query, Select, Statement } from '../../../../node/sql/ast.ts'
import type { SqlError } from '../../../../node/sql/errors.ts'

/** A deep copy without the `pos` fields. */
export function shape (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (k !== 'pos') out[k] = shape(x)
    return out
  }
  return v
}

/** An unquoted identifier's shape. */
export const id = (name: string, quoted = false): unknown => ({ name, quoted })
/** A column reference's shape. */
export const col = (name: string, table?: string): unknown => ({ kind: 'column', table: table === undefined ? undefined : id(table), name: id(name) })
export const num = (text: string): unknown => ({ kind: 'number', text })
export const str = (value: string): unknown => ({ kind: 'string', value })
export const bin = (op: string, left: unknown, right: unknown): unknown => ({ kind: 'binary', op, left, right })
export const call = (name: string, args: unknown[], distinct = false): unknown => ({ kind: 'call', name: id(name), args, distinct })
export const interval = (value: string, unit: string): unknown => ({ kind: 'interval', value, unit })
export const table = (name: string, alias?: string): unknown => ({ kind: 'table', name: id(name), alias: alias === undefined ? undefined : id(alias) })

/** The query of a one-statement text that is a query. */
export function query (sql: string): Query {
  const stmt: Statement = parseStatement(sql)
  if (stmt.kind !== 'query') throw new Error(`expected a query, got ${stmt.kind}`)
  return stmt.query
}

/** The SELECT of a query text. */
export function select (sql: string): Select {
  const body = query(sql).body
  if (body.kind !== 'select') throw new Error(`expected a select, got ${body.kind}`)
  return body
}

/** The expression of `SELECT <sql>`. */
export function expr (sql: string): Expr {
  const item = select(`SELECT ${sql}`).items[0]
  if (item === undefined) throw new Error('no select item')
  return item.expr
}

/** What `fn` throws (failing the test when it does not). */
export function thrown (fn: () => unknown): SqlError {
  try {
    fn()
  } catch (err) {
    return err as SqlError
  }
  throw new Error('expected the call to throw')
}
