/**
 * Subqueries inside expressions, planned as joins (no per-row re-evaluation):
 *
 * - a scalar subquery `(SELECT …)` is left-joined on nothing with its one-row result (an
 *   empty result gives NULL, as SQL says);
 * - `EXISTS (SELECT …)` anywhere becomes `$count > 0` over the subquery's row count, joined
 *   the same way (NOT EXISTS: `= 0`);
 * - `x [NOT] IN (SELECT y …)` anywhere (an OR, a CASE, the select list) becomes a left join
 *   with the subquery's distinct values on `x = y`, plus its row and non-NULL counts, read by
 *   SQL's three-valued rule: TRUE on a match; FALSE when the subquery is empty; NULL when x
 *   is NULL or the subquery has a NULL; FALSE otherwise.
 *
 * (`x IN (SELECT …)` and `[NOT] EXISTS` as conjuncts of WHERE are semi and anti joins
 * instead: bind-query.ts.) The subqueries are uncorrelated; a correlated one is refused
 * here, naming its position. Each is replaced in the AST by columns of a hidden table.
 *
 * @example
 * const { from, rewrite } = withSubqueries(from, [where, ...items], env, bindQuery, new Set())
 */
import type { Expr, Ident, Pos, Query } from '../ast.ts'
import type { AggregateCall } from '../bound-expression.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import type { SqlColumn, SqlType } from '../sql-types.ts'
import { constant, input } from '../bound-expression.ts'
import { commonType } from '../sql-types.ts'
import { SqlTypeError, SqlUnsupportedError } from '../errors.ts'
import { Scope } from './scope.ts'
import { bindExpression, coerce } from './bind-expression.ts'

/** A FROM clause bound: its plan and the scope of its columns. */
export interface From { readonly plan: LogicalPlan, readonly scope: Scope }

type BindQuery<E> = (q: Query, env: E) => LogicalPlan
type Subquery = Extract<Expr, { kind: 'subquery' | 'exists' | 'in-query' }>

/** The subquery nodes of an expression (not inside other subqueries), except `skip`. */
function subqueryNodes (e: Expr, skip: ReadonlySet<Expr>, into: Subquery[] = []): Subquery[] {
  const visit = (x: Expr | undefined): void => { if (x !== undefined) subqueryNodes(x, skip, into) }
  if (skip.has(e)) return into
  switch (e.kind) {
    case 'subquery': case 'exists': into.push(e); break
    case 'in-query': into.push(e); visit(e.arg); break
    case 'unary': case 'is-null': case 'is-bool': case 'cast': case 'extract': visit(e.arg); break
    case 'binary': visit(e.left); visit(e.right); break
    case 'between': visit(e.arg); visit(e.low); visit(e.high); break
    case 'in-list': visit(e.arg); e.list.forEach(visit); break
    case 'like': visit(e.arg); visit(e.pattern); break
    case 'case': visit(e.operand); e.whens.forEach(w => { visit(w.when); visit(w.then) }); visit(e.else); break
    case 'call': e.args.forEach(visit); break
    default: break
  }
  return into
}

/** Binds an uncorrelated subquery, refusing a correlated one with its position. */
export function bindUncorrelated<E> (q: Query, env: E, bindQuery: BindQuery<E>, outer: Scope, pos: Pos): LogicalPlan {
  try {
    return bindQuery(q, env)
  } catch (err) {
    const name = (err as { name?: string }).name
    if ((name === 'SqlUnknownColumnError' || name === 'SqlUnknownTableError') && outer.columns.length > 0) {
      throw new SqlUnsupportedError('A correlated subquery here (only [NOT] EXISTS joined with AND in WHERE may refer to the outer query)', pos, { cause: err })
    }
    throw err
  }
}

function column (table: string, name: string, pos: Pos): Expr {
  return { kind: 'column', table: { name: table, quoted: true, pos }, name: { name, quoted: true, pos }, pos }
}

const HIDDEN = '$subquery'

/** A one-row plan of the subquery's row count (and, with `values`, its non-NULL count of column 0). */
function countsOf (sub: LogicalPlan, values: boolean): LogicalPlan {
  const aggregates: AggregateCall[] = [{ fn: 'count_star', arg: undefined, distinct: false, type: 'BIGINT' }]
  if (values) aggregates.push({ fn: 'count', arg: input(0, sub.columns[0]!.type, sub.columns[0]!.nullable), distinct: false, type: 'BIGINT' })
  return { kind: 'aggregate', input: sub, groupBy: [], aggregates, columns: aggregates.map((_a, i) => ({ name: `$count${i}`, type: 'BIGINT' as SqlType, nullable: false })) }
}

/**
 * Joins the subqueries of `exprs` (but not the nodes in `skip`) onto `from` and returns the
 * rewrite that replaces them by expressions over the joined hidden columns.
 */
export function withSubqueries<E> (from: From, exprs: readonly Expr[], env: E, bindQuery: BindQuery<E>, skip: ReadonlySet<Expr>): { from: From, rewrite: (e: Expr) => Expr } {
  const subs = exprs.flatMap(e => subqueryNodes(e, skip))
  if (subs.length === 0) return { from, rewrite: e => e }
  let { plan, scope } = from
  const replaced = new Map<Expr, Expr>()
  const one = constant(1, 'INTEGER')
  const attach = (right: LogicalPlan, leftKeys: ReturnType<typeof bindExpression>[], rightKeys: ReturnType<typeof bindExpression>[], names: readonly string[]): void => {
    const added: SqlColumn[] = right.columns.map((c, i) => ({ name: names[i]!, type: c.type, nullable: true }))
    scope = scope.concat(new Scope(added.map(c => ({ table: HIDDEN, name: c.name, type: c.type, nullable: true }))))
    plan = { kind: 'join', join: 'left', left: plan, right, leftKeys, rightKeys, condition: undefined, strategy: undefined, nullAware: false, columns: [...plan.columns, ...added] }
  }
  subs.forEach((s, n) => {
    const sub = bindUncorrelated(s.query, env, bindQuery, from.scope, s.pos)
    if (s.kind === 'subquery') {
      if (sub.columns.length !== 1) throw new SqlTypeError(`A scalar subquery must return one column, this one returns ${sub.columns.length}`, s.pos)
      attach(sub, [one], [one], [`$value${n}`])
      replaced.set(s, column(HIDDEN, `$value${n}`, s.pos))
      return
    }
    if (s.kind === 'exists') {
      attach(countsOf(sub, false), [one], [one], [`$rows${n}`])
      const zero: Expr = { kind: 'number', text: '0', pos: s.pos }
      replaced.set(s, { kind: 'binary', op: s.negated ? '=' : '>', left: column(HIDDEN, `$rows${n}`, s.pos), right: zero, pos: s.pos })
      return
    }
    // x [NOT] IN (SELECT y …)
    if (sub.columns.length !== 1) throw new SqlTypeError(`IN (SELECT …) needs a query of one column, this one has ${sub.columns.length}`, s.pos)
    const x = bindExpression(s.arg, { scope: from.scope, clause: 'WHERE' })
    const type = commonType(x.type, sub.columns[0]!.type)
    if (type === undefined) throw new SqlTypeError(`Cannot compare ${x.type} with ${sub.columns[0]!.type} in IN (SELECT …)`, s.pos)
    const values: LogicalPlan = {
      kind: 'distinct',
      input: { kind: 'project', input: sub, exprs: [coerce(input(0, sub.columns[0]!.type, sub.columns[0]!.nullable), type)], columns: [{ ...sub.columns[0]!, type }] },
      columns: [{ ...sub.columns[0]!, type }]
    }
    attach(values, [coerce(x, type)], [input(0, type, true)], [`$match${n}`])
    attach(countsOf(sub, true), [one], [one], [`$rows${n}`, `$values${n}`])
    const pos = s.pos
    const num = (text: string): Expr => ({ kind: 'number', text, pos })
    const bool = (value: boolean): Expr => ({ kind: 'boolean', value, pos })
    const nul: Expr = { kind: 'null', pos }
    const test: Expr = {
      kind: 'case',
      operand: undefined,
      whens: [
        { when: { kind: 'is-null', arg: column(HIDDEN, `$match${n}`, pos), negated: true, pos }, then: bool(true) },
        { when: { kind: 'binary', op: '=', left: column(HIDDEN, `$rows${n}`, pos), right: num('0'), pos }, then: bool(false) },
        {
          when: {
            kind: 'binary',
            op: 'OR',
            left: { kind: 'is-null', arg: s.arg, negated: false, pos },
            right: { kind: 'binary', op: '>', left: column(HIDDEN, `$rows${n}`, pos), right: column(HIDDEN, `$values${n}`, pos), pos },
            pos
          },
          then: nul
        }
      ],
      else: bool(false),
      pos
    }
    replaced.set(s, s.negated ? { kind: 'unary', op: 'NOT', arg: test, pos } : test)
  })
  return { from: { plan, scope }, rewrite: e => replaceNodes(e, replaced) }
}

/** `e` with the nodes of `replaced` swapped for their replacements. */
export function replaceNodes (e: Expr, replaced: ReadonlyMap<Expr, Expr>): Expr {
  const hit = replaced.get(e)
  if (hit !== undefined) return hit
  const r = (x: Expr): Expr => replaceNodes(x, replaced)
  switch (e.kind) {
    case 'unary': case 'is-null': case 'is-bool': case 'cast': case 'extract': return { ...e, arg: r(e.arg) }
    case 'in-query': return { ...e, arg: r(e.arg) }
    case 'binary': return { ...e, left: r(e.left), right: r(e.right) }
    case 'between': return { ...e, arg: r(e.arg), low: r(e.low), high: r(e.high) }
    case 'in-list': return { ...e, arg: r(e.arg), list: e.list.map(r) }
    case 'like': return { ...e, arg: r(e.arg), pattern: r(e.pattern) }
    case 'case': return { ...e, operand: e.operand === undefined ? undefined : r(e.operand), whens: e.whens.map(w => ({ when: r(w.when), then: r(w.then) })), else: e.else === undefined ? undefined : r(e.else) }
    case 'call': return { ...e, args: e.args.map(r) }
    default: return e
  }
}

export type { Ident }
