/**
 * The part of a scan's filter the storage understands (node/api/dataset-schema.ts
 * `Predicate`): comparisons of a column with a constant, BETWEEN (as two comparisons),
 * IN lists, IS [NOT] NULL, and AND/OR/NOT of those. The scan keeps its whole filter; this
 * form only lets it skip segments whose min/max/null statistics rule the rows out, so it
 * must never be stricter than the filter — a conjunct it cannot express is left out of an
 * AND, and an OR with such a part is left out whole.
 *
 * @example
 * scanPredicate(gt(input(1), const(10)), ['store', 'amount'])  // { op: '>', column: 'amount', value: 10 }
 */
import type { Predicate, Scalar } from '../../api/dataset-schema.ts'
import type { BoundExpr } from '../bound-expression.ts'
import type { SqlType } from '../sql-types.ts'

const OPS: Readonly<Record<string, Predicate['op']>> = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }
const FLIP: Readonly<Record<string, string>> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' }

/** A constant as the column stores it, or undefined when the storage cannot compare it. */
function scalar (e: BoundExpr, columnType: SqlType): Scalar | undefined {
  if (e.kind !== 'const' || e.value === null) return undefined
  const v = e.value
  switch (columnType) {
    case 'VARCHAR': return typeof v === 'string' ? v : undefined
    case 'DOUBLE': case 'INTEGER': case 'TIMESTAMP': case 'DATE': return typeof v === 'number' ? v : undefined
    case 'BIGINT': return typeof v === 'bigint' ? v : undefined
    case 'BOOLEAN': return typeof v === 'boolean' ? v : undefined
    default: return undefined
  }
}

/** The predicate of one expression over the scan's columns, or undefined. */
function convert (e: BoundExpr, columns: readonly { name: string, type: SqlType }[]): Predicate | undefined {
  if (e.kind !== 'call') return undefined
  const column = (x: BoundExpr): { name: string, type: SqlType } | undefined => x.kind === 'input' ? columns[x.index] : undefined
  switch (e.fn) {
    case 'and': {
      const flat = (x: BoundExpr): BoundExpr[] => x.kind === 'call' && x.fn === 'and' ? x.args.flatMap(flat) : [x]
      const parts = flat(e).map(a => convert(a, columns)).filter(p => p !== undefined)
      return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { op: 'and', args: parts }
    }
    case 'or': {
      const parts = e.args.map(a => convert(a, columns))
      return parts.some(p => p === undefined) ? undefined : { op: 'or', args: parts as Predicate[] }
    }
    case 'is_null':
    case 'is_not_null': {
      const c = column(e.args[0]!)
      return c === undefined ? undefined : { op: e.fn === 'is_null' ? 'is-null' : 'is-not-null', column: c.name }
    }
    case 'in': {
      const c = column(e.args[0]!)
      if (c === undefined) return undefined
      const values = e.args.slice(1).map(a => scalar(a, c.type))
      return values.some(v => v === undefined) ? undefined : { op: 'in', column: c.name, values: values as Scalar[] }
    }
    default: {
      const op = OPS[e.fn]
      if (op === undefined || e.args.length !== 2) return undefined
      let [a, b] = e.args as [BoundExpr, BoundExpr]
      let fn = e.fn
      if (a.kind === 'const') { [a, b] = [b, a]; fn = FLIP[fn]! }
      const c = column(a)
      if (c === undefined) return undefined
      const value = scalar(b, c.type)
      return value === undefined ? undefined : { op: OPS[fn]!, column: c.name, value } as Predicate
    }
  }
}

/** The storage form of a scan filter (see the module comment), or undefined when nothing of it fits. */
export function scanPredicate (filter: BoundExpr | undefined, columns: readonly { name: string, type: SqlType }[]): Predicate | undefined {
  return filter === undefined ? undefined : convert(filter, columns)
}
