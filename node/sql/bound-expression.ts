/**
 * Expressions after binding: every column is resolved to a position in its operator's
 * input row, every node is typed, operators and functions are calls by their registry
 * name (functions.ts), implicit conversions are explicit casts. This is what the optimizer
 * rewrites and what the expression compiler (exec/compile-expression.ts) turns into
 * JavaScript, once per query, for rows and for column batches alike.
 *
 * Call names of the operators: `add sub mul div mod neg concat`, `eq ne lt le gt ge`,
 * `and or not`, `is_null is_not_null`, `is_true is_false` (never null), `like ilike`
 * (`args[1]` the pattern), `in` (`args[0]` the value, the rest the list; `not in` is
 * `not(in)`), `coalesce`, and the scalar functions of functions.ts by lower-case name.
 * `between` is bound as `and(ge, le)`.
 *
 * @example
 * // amount * 2 > 10, amount the input's column 1 (DOUBLE):
 * const e: BoundExpr = call('gt', [call('mul', [input(1, 'DOUBLE', true), constant(2, 'INTEGER')], 'DOUBLE'), constant(10, 'INTEGER')], 'BOOLEAN')
 */
import type { SqlType } from './sql-types.ts'

export type BoundExpr =
  /** Column `index` of the input row. */
  | { readonly kind: 'input', readonly index: number, readonly type: SqlType, readonly nullable: boolean }
  /** A constant: its JS value as sql-types.ts says (null for NULL). */
  | { readonly kind: 'const', readonly value: unknown, readonly type: SqlType, readonly nullable: boolean }
  | { readonly kind: 'call', readonly fn: string, readonly args: readonly BoundExpr[], readonly type: SqlType, readonly nullable: boolean }
  /** Searched CASE (a simple CASE is bound into this form). */
  | { readonly kind: 'case', readonly whens: readonly { readonly when: BoundExpr, readonly then: BoundExpr }[], readonly else: BoundExpr | undefined, readonly type: SqlType, readonly nullable: boolean }
  /** A conversion; `try` gives NULL where a plain cast fails the query. */
  | { readonly kind: 'cast', readonly arg: BoundExpr, readonly type: SqlType, readonly try: boolean, readonly nullable: boolean }

/** A reference to input column `index`. */
export function input (index: number, type: SqlType, nullable: boolean): BoundExpr {
  return { kind: 'input', index, type, nullable }
}

/** A constant (nullable exactly when it is NULL). */
export function constant (value: unknown, type: SqlType): BoundExpr {
  return { kind: 'const', value, type, nullable: value === null }
}

/** A call; nullable defaults to "any argument is" (true for most functions). */
export function call (fn: string, args: readonly BoundExpr[], type: SqlType, nullable = args.some(a => a.nullable)): BoundExpr {
  return { kind: 'call', fn, args, type, nullable }
}

/** The input columns an expression reads. */
export function inputsOf (e: BoundExpr, into: Set<number> = new Set()): Set<number> {
  switch (e.kind) {
    case 'input': into.add(e.index); break
    case 'const': break
    case 'call': for (const a of e.args) inputsOf(a, into); break
    case 'case':
      for (const w of e.whens) { inputsOf(w.when, into); inputsOf(w.then, into) }
      if (e.else !== undefined) inputsOf(e.else, into)
      break
    case 'cast': inputsOf(e.arg, into); break
  }
  return into
}

/** The expression with every input index replaced by `map(index)`. */
export function remapInputs (e: BoundExpr, map: (index: number) => number): BoundExpr {
  switch (e.kind) {
    case 'input': return { ...e, index: map(e.index) }
    case 'const': return e
    case 'call': return { ...e, args: e.args.map(a => remapInputs(a, map)) }
    case 'case': return {
      ...e,
      whens: e.whens.map(w => ({ when: remapInputs(w.when, map), then: remapInputs(w.then, map) })),
      else: e.else === undefined ? undefined : remapInputs(e.else, map)
    }
    case 'cast': return { ...e, arg: remapInputs(e.arg, map) }
  }
}

/** `e` with each input i replaced by `exprs[i]` (pushing an expression through a projection). */
export function substitute (e: BoundExpr, exprs: readonly BoundExpr[]): BoundExpr {
  switch (e.kind) {
    case 'input': return exprs[e.index]!
    case 'const': return e
    case 'call': return { ...e, args: e.args.map(a => substitute(a, exprs)) }
    case 'case': return { ...e, whens: e.whens.map(w => ({ when: substitute(w.when, exprs), then: substitute(w.then, exprs) })), else: e.else === undefined ? undefined : substitute(e.else, exprs) }
    case 'cast': return { ...e, arg: substitute(e.arg, exprs) }
  }
}

/** The aggregate functions. `count_star` is COUNT(*); the others skip NULL arguments. */
export type AggregateFn = 'count_star' | 'count' | 'sum' | 'avg' | 'min' | 'max'

/**
 * One aggregate of an Aggregate node: its argument is an expression over the node's input
 * row. Result types: COUNT → BIGINT; SUM of INTEGER/BIGINT → BIGINT, of DOUBLE → DOUBLE;
 * AVG → DOUBLE; MIN/MAX → the argument's type. Over no rows (or only NULLs) everything but
 * COUNT is NULL, as in SQL.
 */
export interface AggregateCall {
  readonly fn: AggregateFn
  readonly arg: BoundExpr | undefined
  readonly distinct: boolean
  readonly type: SqlType
}

/** A readable form of an expression for EXPLAIN (`$1` is input column 1 when no names are given). */
export function formatExpr (e: BoundExpr, names?: readonly string[]): string {
  switch (e.kind) {
    case 'input': return names?.[e.index] ?? `$${e.index}`
    case 'const': return formatConstant(e.value, e.type)
    case 'call': {
      const infix = INFIX[e.fn]
      if (infix !== undefined && e.args.length === 2) return `(${formatExpr(e.args[0]!, names)} ${infix} ${formatExpr(e.args[1]!, names)})`
      return `${e.fn}(${e.args.map(a => formatExpr(a, names)).join(', ')})`
    }
    case 'case': return `CASE ${e.whens.map(w => `WHEN ${formatExpr(w.when, names)} THEN ${formatExpr(w.then, names)}`).join(' ')}${e.else === undefined ? '' : ` ELSE ${formatExpr(e.else, names)}`} END`
    case 'cast': return `${e.try ? 'TRY_CAST' : 'CAST'}(${formatExpr(e.arg, names)} AS ${e.type})`
  }
}

const INFIX: Readonly<Record<string, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', mod: '%', concat: '||',
  eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=', and: 'AND', or: 'OR'
}

function formatConstant (value: unknown, type: SqlType): string {
  if (value === null) return 'NULL'
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`
  if (typeof value === 'bigint') return String(value)
  if ((type === 'TIMESTAMP' || type === 'DATE') && typeof value === 'number') {
    const iso = new Date(value).toISOString()
    return type === 'DATE' ? `DATE '${iso.slice(0, 10)}'` : `TIMESTAMP '${iso.slice(0, 23).replace('T', ' ')}'`
  }
  if (type === 'INTERVAL' && typeof value === 'object') {
    const v = value as { months: number, ms: number }
    return `INTERVAL '${v.months}' MONTH + INTERVAL '${v.ms}' MILLISECOND`
  }
  return String(value)
}
