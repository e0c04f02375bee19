/**
 * Name resolution of the binder: the columns a clause can see, each with the table (alias)
 * it came from. A FROM clause's scope lists its tables' columns in order (a join: left
 * then right), which is also the order of the plan's row, so a column's position in the
 * scope is its input index.
 *
 * Unquoted names match case-insensitively, quoted ones exactly (as in DuckDB and Flink).
 *
 * @example
 * const scope = new Scope([{ table: 's', name: 'amount', type: 'DOUBLE', nullable: true }])
 * scope.resolve(undefined, ident('amount')) // 0
 */
import type { Ident } from '../ast.ts'
import type { SqlColumn, SqlType } from '../sql-types.ts'
import { SqlAmbiguousColumnError, SqlUnknownColumnError, SqlUnknownTableError } from '../errors.ts'

/** One column of a scope. */
export interface ScopeColumn {
  /** The table or alias it belongs to (undefined for a derived column without one). */
  readonly table: string | undefined
  readonly name: string
  readonly type: SqlType
  readonly nullable: boolean
  /** Not found by an unqualified name or `*` (the right side's column of a USING join). */
  readonly hidden?: boolean
}

function same (written: Ident, name: string): boolean {
  return written.quoted ? written.name === name : written.name.toLowerCase() === name.toLowerCase()
}

export class Scope {
  readonly columns: readonly ScopeColumn[]

  constructor (columns: readonly ScopeColumn[]) {
    this.columns = columns
  }

  /** A scope of one table's columns. */
  static of (table: string | undefined, columns: readonly SqlColumn[]): Scope {
    return new Scope(columns.map(c => ({ table, name: c.name, type: c.type, nullable: c.nullable })))
  }

  /** This scope's columns followed by `other`'s (a join), with nullability as the join makes it. */
  concat (other: Scope, leftNullable = false, rightNullable = false): Scope {
    return new Scope([
      ...this.columns.map(c => leftNullable ? { ...c, nullable: true } : c),
      ...other.columns.map(c => rightNullable ? { ...c, nullable: true } : c)
    ])
  }

  /** The input index of `table.name` (or `name`). */
  resolve (table: Ident | undefined, name: Ident): number {
    const found: number[] = []
    this.columns.forEach((c, i) => {
      if (!same(name, c.name)) return
      if (table === undefined ? c.hidden === true : c.table === undefined || !same(table, c.table)) return
      found.push(i)
    })
    if (found.length === 1) return found[0]!
    if (found.length > 1) {
      const tables = [...new Set(found.map(i => this.columns[i]!.table ?? '?'))]
      throw new SqlAmbiguousColumnError(name.name, name.pos, tables)
    }
    if (table !== undefined && !this.columns.some(c => c.table !== undefined && same(table, c.table))) {
      throw new SqlUnknownTableError(table.name, table.pos, [...new Set(this.columns.map(c => c.table).filter(t => t !== undefined))])
    }
    // qualified: the candidates qualified alike, so 't.amout' finds 't.amount'
    const candidates = this.columns.filter(c => table === undefined ? c.hidden !== true : c.table !== undefined && same(table, c.table)).map(c => table === undefined ? c.name : `${table.name}.${c.name}`)
    throw new SqlUnknownColumnError(table === undefined ? name.name : `${table.name}.${name.name}`, name.pos, candidates)
  }

  /** Whether `table` names a table of this scope. */
  hasTable (table: Ident): boolean {
    return this.columns.some(c => c.table !== undefined && same(table, c.table))
  }

  /** The indexes `*` (or `table.*`) stands for. */
  star (table: Ident | undefined): number[] {
    const out: number[] = []
    this.columns.forEach((c, i) => {
      if (table === undefined ? c.hidden !== true : c.table !== undefined && same(table, c.table)) out.push(i)
    })
    return out
  }
}
