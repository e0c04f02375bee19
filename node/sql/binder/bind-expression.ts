/**
 * Binding one expression: names to input positions (through a Scope), literals to typed
 * constants, operators and functions to registry calls (functions.ts) with the implicit
 * conversions made explicit casts. Errors carry the position of the node at fault.
 *
 * In an aggregate query, the expressions after the aggregation (SELECT, HAVING, ORDER BY)
 * are bound with an `AggregateScope`: an aggregate call is bound over the input and
 * becomes a reference to its result, an expression equal to a GROUP BY key a reference to
 * the key, and a column that is neither is an error (Flink's and every SQL's rule).
 *
 * @example
 * const e = bindExpression(ast, { scope, clause: 'WHERE' })
 */
import type { Expr, Pos, TypeName } from '../ast.ts'
import type { AggregateCall, AggregateFn, BoundExpr } from '../bound-expression.ts'
import { call, constant, input } from '../bound-expression.ts'
import { commonType, sqlTypeOfName, type SqlType } from '../sql-types.ts'
import { aggregateResultType, functionNames, isAggregateFunction, resolveFunction } from '../functions.ts'
import { SqlAggregateError, SqlTypeError, SqlUnknownFunctionError, SqlUnsupportedError } from '../errors.ts'
import type { Scope } from './scope.ts'
import { parseDateLiteral, parseIntervalLiteral, parseTimestampLiteral } from './literals.ts'

/** Where an expression is, for messages (`Aggregate SUM is not allowed in WHERE`). */
export type Clause = 'SELECT' | 'WHERE' | 'GROUP BY' | 'HAVING' | 'ORDER BY' | 'ON' | 'VALUES' | 'LIMIT' | 'aggregate argument'

/** The group keys and aggregates of an aggregate query, filled while its clauses are bound. */
export interface AggregateScope {
  /** The scope of the aggregation's input. */
  readonly input: Scope
  /** The GROUP BY keys, bound over the input. */
  readonly keys: readonly BoundExpr[]
  /** The aggregate calls found so far (deduplicated); the binder appends. */
  readonly aggregates: AggregateCall[]
}

export interface ExprContext {
  readonly scope: Scope
  readonly clause: Clause
  /** Set for the clauses after an aggregation. */
  readonly aggregation?: AggregateScope | undefined
}

const BINARY: Readonly<Record<string, string>> = {
  '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod', '||': 'concat_op',
  '=': 'eq', '<>': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', AND: 'and', OR: 'or'
}

/** Whether an expression calls an aggregate (outside subqueries). */
export function containsAggregate (e: Expr): boolean {
  switch (e.kind) {
    case 'call': return isAggregateFunction(e.name.name) || e.args.some(containsAggregate)
    case 'unary': return containsAggregate(e.arg)
    case 'binary': return containsAggregate(e.left) || containsAggregate(e.right)
    case 'is-null':
    case 'is-bool':
    case 'cast':
    case 'extract': return containsAggregate(e.arg)
    case 'between': return containsAggregate(e.arg) || containsAggregate(e.low) || containsAggregate(e.high)
    case 'in-list': return containsAggregate(e.arg) || e.list.some(containsAggregate)
    case 'in-query': return containsAggregate(e.arg)
    case 'like': return containsAggregate(e.arg) || containsAggregate(e.pattern)
    case 'case': return (e.operand !== undefined && containsAggregate(e.operand)) || e.whens.some(w => containsAggregate(w.when) || containsAggregate(w.then)) || (e.else !== undefined && containsAggregate(e.else))
    default: return false
  }
}

/** Casts `e` to `type` unless it has it already (a NULL constant just takes the type). */
export function coerce (e: BoundExpr, type: SqlType): BoundExpr {
  if (e.type === type) return e
  if (e.kind === 'const' && e.value === null) return constant(null, type)
  return { kind: 'cast', arg: e, type, try: false, nullable: e.nullable }
}

/** The call `fn(args)` typed by the registry, its arguments cast as it says. */
export function resolvedCall (name: string, args: readonly BoundExpr[], pos: Pos): BoundExpr {
  const r = resolveFunction(name, args.map(a => a.type))
  if ('error' in r) throw new SqlTypeError(r.error, pos)
  const cast = args.map((a, i) => coerce(a, r.argTypes[i] ?? a.type))
  const nullable = r.nullable === 'always' ? true : r.nullable === 'never' ? false : cast.some(a => a.nullable)
  return call(r.fn, cast, r.type, nullable)
}

function sameExpr (a: BoundExpr, b: BoundExpr): boolean {
  return JSON.stringify(a, bigintSafe) === JSON.stringify(b, bigintSafe)
}

function bigintSafe (_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v
}

/** The position of an aggregate's result among the group keys and aggregates, adding it when new. */
function aggregateRef (agg: AggregateScope, a: AggregateCall): BoundExpr {
  let j = agg.aggregates.findIndex(x => x.fn === a.fn && x.distinct === a.distinct && (x.arg === undefined ? a.arg === undefined : a.arg !== undefined && sameExpr(x.arg, a.arg)))
  if (j < 0) {
    agg.aggregates.push(a)
    j = agg.aggregates.length - 1
  }
  return input(agg.keys.length + j, a.type, a.fn !== 'count' && a.fn !== 'count_star')
}

/** Binds an expression (see the module comment). */
export function bindExpression (e: Expr, ctx: ExprContext): BoundExpr {
  const agg = ctx.aggregation
  if (agg !== undefined) {
    if (e.kind === 'call' && isAggregateFunction(e.name.name)) return aggregateRef(agg, bindAggregate(e, agg.input))
    if (!containsAggregate(e) && e.kind !== 'star') {
      // an expression over the input equal to a group key is that key
      const bound = bindExpression(e, { scope: agg.input, clause: ctx.clause })
      const k = agg.keys.findIndex(key => sameExpr(key, bound))
      if (k >= 0) return input(k, bound.type, agg.keys[k]!.nullable)
      if (e.kind === 'column') throw new SqlAggregateError(`Column '${e.table === undefined ? '' : `${e.table.name}.`}${e.name.name}' must appear in GROUP BY or be used in an aggregate function`, e.pos)
      if (e.kind !== 'call' && e.kind !== 'unary' && e.kind !== 'binary' && e.kind !== 'case' && e.kind !== 'cast' && e.kind !== 'is-null' &&
        e.kind !== 'is-bool' && e.kind !== 'between' && e.kind !== 'in-list' && e.kind !== 'like' && e.kind !== 'extract') return bound
    }
  }
  switch (e.kind) {
    case 'column': return columnRef(ctx.scope, e)
    case 'star': throw new SqlUnsupportedError(`'*' is allowed only in a select list and in COUNT(*)`, e.pos)
    case 'number': return numberLiteral(e.text, e.pos)
    case 'string': return constant(e.value, 'VARCHAR')
    case 'boolean': return constant(e.value, 'BOOLEAN')
    case 'null': return constant(null, 'NULL')
    case 'typed-string': return typedString(e.type, e.value, e.pos)
    case 'interval': return constant(parseIntervalLiteral(e.value, e.unit, e.pos), 'INTERVAL')
    case 'unary': {
      const arg = bindExpression(e.arg, ctx)
      if (e.op === '+') {
        resolvedCall('neg', [arg], e.pos) // a number check
        return arg
      }
      return resolvedCall(e.op === '-' ? 'neg' : 'not', [arg], e.pos)
    }
    case 'binary': {
      const left = bindExpression(e.left, ctx)
      const right = bindExpression(e.right, ctx)
      return resolvedCall(BINARY[e.op]!, [left, right], e.pos)
    }
    case 'is-null': {
      const arg = bindExpression(e.arg, ctx)
      return call(e.negated ? 'is_not_null' : 'is_null', [arg], 'BOOLEAN', false)
    }
    case 'is-bool': {
      const arg = bindExpression(e.arg, ctx)
      const test = resolvedCall(e.value ? 'is_true' : 'is_false', [arg], e.pos)
      return e.negated ? call('not', [test], 'BOOLEAN', false) : test
    }
    case 'between': {
      const arg = bindExpression(e.arg, ctx)
      const both = resolvedCall('and', [
        resolvedCall('ge', [arg, bindExpression(e.low, ctx)], e.pos),
        resolvedCall('le', [arg, bindExpression(e.high, ctx)], e.pos)
      ], e.pos)
      return e.negated ? resolvedCall('not', [both], e.pos) : both
    }
    case 'in-list': {
      const arg = bindExpression(e.arg, ctx)
      const list = e.list.map(x => bindExpression(x, ctx))
      let type: SqlType | undefined = arg.type
      for (const x of list) {
        const t: SqlType | undefined = type === undefined ? undefined : commonType(type, x.type)
        if (t === undefined) throw new SqlTypeError(`Cannot compare ${arg.type} with ${x.type} in IN`, e.pos)
        type = t
      }
      const test = call('in', [coerce(arg, type!), ...list.map(x => coerce(x, type!))], 'BOOLEAN')
      return e.negated ? call('not', [test], 'BOOLEAN', test.nullable) : test
    }
    case 'like': {
      const args = [bindExpression(e.arg, ctx), bindExpression(e.pattern, ctx)]
      if (e.escape !== undefined) args.push(constant(e.escape, 'VARCHAR'))
      const test = resolvedCall(e.caseInsensitive ? 'ilike' : 'like', args, e.pos)
      return e.negated ? call('not', [test], 'BOOLEAN', test.nullable) : test
    }
    case 'case': return bindCase(e, ctx)
    case 'cast': {
      const arg = bindExpression(e.arg, ctx)
      const type = typeOf(e.type)
      if (arg.type === type) return arg
      if (arg.kind === 'const' && arg.value === null) return constant(null, type)
      return { kind: 'cast', arg, type, try: e.try, nullable: arg.nullable || e.try }
    }
    case 'extract': return resolvedCall(e.field.toLowerCase(), [bindExpression(e.arg, ctx)], e.pos)
    case 'call': {
      const name = e.name.name.toLowerCase()
      if (isAggregateFunction(name)) throw new SqlAggregateError(`Aggregate function ${name.toUpperCase()} is not allowed in ${ctx.clause}`, e.pos)
      if (e.distinct) throw new SqlUnsupportedError(`DISTINCT is only allowed in aggregate functions, not in ${name}`, e.pos)
      const args = e.args.map(a => bindExpression(a, ctx))
      if (!functionNames().includes(name)) throw new SqlUnknownFunctionError(e.name.name, e.name.pos, functionNames())
      return resolvedCall(name, args, e.pos)
    }
    case 'in-query':
    case 'exists':
    case 'subquery':
      throw new SqlUnsupportedError(`${e.kind === 'exists' ? 'EXISTS' : e.kind === 'in-query' ? 'IN (SELECT …)' : 'A scalar subquery'} is supported only as a condition of WHERE joined with AND`, e.pos)
  }
}

function columnRef (scope: Scope, e: Extract<Expr, { kind: 'column' }>): BoundExpr {
  const i = scope.resolve(e.table, e.name)
  const c = scope.columns[i]!
  return input(i, c.type, c.nullable)
}

/** An aggregate call, its argument bound over `scope` (the aggregation's input). */
export function bindAggregate (e: Extract<Expr, { kind: 'call' }>, scope: Scope): AggregateCall {
  const name = e.name.name.toLowerCase()
  if (e.args.length === 1 && e.args[0]!.kind === 'star') {
    if (name !== 'count') throw new SqlTypeError(`${name.toUpperCase()}(*) is not a function; only COUNT(*) takes '*'`, e.pos)
    return { fn: 'count_star', arg: undefined, distinct: false, type: 'BIGINT' }
  }
  if (e.args.length !== 1) throw new SqlTypeError(`${name.toUpperCase()} takes one argument, got ${e.args.length}`, e.pos)
  const ast = e.args[0]!
  if (containsAggregate(ast)) throw new SqlAggregateError(`Aggregate functions cannot be nested (in ${name.toUpperCase()})`, ast.pos)
  const arg = bindExpression(ast, { scope, clause: 'aggregate argument' })
  const fn = name as AggregateFn
  const type = aggregateResultType(fn, arg.type)
  if (typeof type !== 'string') throw new SqlTypeError(type.error, e.pos)
  return { fn, arg, distinct: e.distinct, type }
}

function bindCase (e: Extract<Expr, { kind: 'case' }>, ctx: ExprContext): BoundExpr {
  const operand = e.operand === undefined ? undefined : bindExpression(e.operand, ctx)
  const whens = e.whens.map(w => {
    const when = bindExpression(w.when, ctx)
    const cond = operand === undefined ? when : resolvedCall('eq', [operand, when], w.when.pos)
    if (cond.type !== 'BOOLEAN' && cond.type !== 'NULL') throw new SqlTypeError(`CASE WHEN needs a BOOLEAN condition, got ${cond.type}`, w.when.pos)
    return { when: cond, then: bindExpression(w.then, ctx) }
  })
  const otherwise = e.else === undefined ? undefined : bindExpression(e.else, ctx)
  let type: SqlType = 'NULL'
  for (const r of [...whens.map(w => w.then), ...(otherwise === undefined ? [] : [otherwise])]) {
    const t = commonType(type, r.type)
    if (t === undefined) throw new SqlTypeError(`CASE branches have types ${type} and ${r.type}, which do not mix`, e.pos)
    type = t
  }
  const thens = whens.map(w => ({ when: w.when, then: coerce(w.then, type) }))
  const last = otherwise === undefined ? undefined : coerce(otherwise, type)
  const nullable = last === undefined || last.nullable || thens.some(w => w.then.nullable)
  return { kind: 'case', whens: thens, else: last, type, nullable }
}

/** A type name as a SQL type. */
export function typeOf (t: TypeName): SqlType {
  const type = sqlTypeOfName(t.name)
  if (type === undefined) throw new SqlTypeError(`Unknown type ${t.name}`, t.pos)
  return type
}

const INT32_MAX = 2 ** 31 - 1
const INT64_MAX = 2n ** 63n - 1n

function numberLiteral (text: string, pos: Pos): BoundExpr {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n <= INT32_MAX) return constant(n, 'INTEGER')
    const b = BigInt(text)
    if (b <= INT64_MAX) return constant(b, 'BIGINT')
    return constant(n, 'DOUBLE')
  }
  const n = Number(text)
  if (Number.isNaN(n)) throw new SqlTypeError(`Not a number: ${text}`, pos)
  return constant(n, 'DOUBLE')
}

function typedString (type: TypeName, value: string, pos: Pos): BoundExpr {
  const t = typeOf(type)
  switch (t) {
    case 'DATE': return constant(parseDateLiteral(value, pos), 'DATE')
    case 'TIMESTAMP': return constant(parseTimestampLiteral(value, pos), 'TIMESTAMP')
    case 'VARCHAR': return constant(value, 'VARCHAR')
    default: return { kind: 'cast', arg: constant(value, 'VARCHAR'), type: t, try: false, nullable: false }
  }
}
