/**
 * Binding a query: the AST of a SELECT (with its FROM, WHERE, GROUP BY, HAVING, select
 * list, DISTINCT, ORDER BY, LIMIT), set operations, VALUES and CTEs, into a logical plan
 * (logical-plan.ts) whose every column is typed and named.
 *
 * Subqueries are uncorrelated: `x [NOT] IN (SELECT …)` as a conjunct of WHERE becomes a
 * semi (anti) join; a scalar subquery `(SELECT …)` in WHERE or the select list becomes a
 * left join on nothing with its (single-row) result. ORDER BY may name select aliases,
 * output positions, or expressions not in the select list (projected, sorted, dropped).
 *
 * @example
 * const plan = bindQuery(ast.query, { catalog, ctes: new Map() })
 */
import type { Expr, OrderItem, Query, QueryBody, Select, SelectItem, TableRef } from '../ast.ts'
import type { BoundExpr } from '../bound-expression.ts'
import type { LogicalPlan, LogicalJoinKind, SortKey } from '../logical-plan.ts'
import type { SqlCatalog } from '../catalog.ts'
import { findTable } from '../catalog.ts'
import { constant, input, inputsOf, remapInputs } from '../bound-expression.ts'
import { commonType, type SqlColumn } from '../sql-types.ts'
import { SqlAggregateError, SqlTypeError, SqlUnknownTableError, SqlUnsupportedError } from '../errors.ts'
import { Scope } from './scope.ts'
import { bindExpression, coerce, containsAggregate, resolvedCall, type AggregateScope, type Clause } from './bind-expression.ts'
import { expressionName } from './expression-name.ts'
import { withSubqueries, type From } from './subqueries.ts'

export interface BindEnv {
  readonly catalog: SqlCatalog
  /** CTEs in scope, by lower-case name. */
  readonly ctes: ReadonlyMap<string, LogicalPlan>
}

/** Binds a whole query (see the module comment). */
export function bindQuery (q: Query, env: BindEnv): LogicalPlan {
  const ctes = new Map(env.ctes)
  for (const w of q.with) {
    let plan = bindQuery(w.query, { ...env, ctes })
    if (w.columns.length > 0) {
      if (w.columns.length !== plan.columns.length) throw new SqlTypeError(`WITH ${w.name.name} names ${w.columns.length} columns, its query has ${plan.columns.length}`, w.name.pos)
      plan = renamed(plan, w.columns.map(c => c.name))
    }
    ctes.set(w.name.name.toLowerCase(), plan)
  }
  const inner: BindEnv = { ...env, ctes }
  let plan = q.body.kind === 'select' ? bindSelect(q.body, inner, q.orderBy) : bindBody(q.body, inner)
  if (q.body.kind !== 'select' && q.orderBy.length > 0) plan = sortOutput(plan, q.orderBy)
  const limit = q.limit === undefined ? undefined : countLiteral(q.limit, 'LIMIT')
  const offset = q.offset === undefined ? 0 : countLiteral(q.offset, 'OFFSET')
  if (limit === undefined && offset === 0) return plan
  if (plan.kind === 'sort' && plan.limit === undefined && plan.offset === 0) return { ...plan, limit, offset }
  return { kind: 'limit', input: plan, limit, offset, columns: plan.columns }
}

function bindBody (body: QueryBody, env: BindEnv): LogicalPlan {
  switch (body.kind) {
    case 'query': return bindQuery(body, env)
    case 'select': return bindSelect(body, env, [])
    case 'values': return bindValues(body.rows)
    case 'set': {
      if (body.op !== 'union') throw new SqlUnsupportedError(`${body.op.toUpperCase()} is not supported (UNION and UNION ALL are)`, body.pos)
      const left = bindBody(body.left, env)
      const right = bindBody(body.right, env)
      if (left.columns.length !== right.columns.length) throw new SqlTypeError(`UNION of ${left.columns.length} and ${right.columns.length} columns`, body.pos)
      const types = left.columns.map((c, i) => {
        const t = commonType(c.type, right.columns[i]!.type)
        if (t === undefined) throw new SqlTypeError(`UNION column ${i + 1} ('${c.name}') is ${c.type} on the left and ${right.columns[i]!.type} on the right`, body.pos)
        return t
      })
      const columns = left.columns.map((c, i) => ({ name: c.name, type: types[i]!, nullable: c.nullable || right.columns[i]!.nullable }))
      return { kind: 'union', inputs: [castTo(left, columns), castTo(right, columns)], all: body.all, columns }
    }
  }
}

/** `plan` with its columns cast to `columns`' types (a projection only when one differs). */
function castTo (plan: LogicalPlan, columns: readonly SqlColumn[]): LogicalPlan {
  if (plan.columns.every((c, i) => c.type === columns[i]!.type)) return plan
  const exprs = plan.columns.map((c, i) => coerce(input(i, c.type, c.nullable), columns[i]!.type))
  return { kind: 'project', input: plan, exprs, columns: plan.columns.map((c, i) => ({ ...c, type: columns[i]!.type })) }
}

function renamed (plan: LogicalPlan, names: readonly string[]): LogicalPlan {
  const columns = plan.columns.map((c, i) => ({ ...c, name: names[i]! }))
  return { kind: 'project', input: plan, exprs: plan.columns.map((c, i) => input(i, c.type, c.nullable)), columns }
}

function bindValues (rows: readonly (readonly Expr[])[]): LogicalPlan {
  const empty = new Scope([])
  const bound = rows.map(r => r.map(e => bindExpression(e, { scope: empty, clause: 'VALUES' })))
  const width = bound[0]?.length ?? 0
  const columns: SqlColumn[] = []
  for (let j = 0; j < width; j++) {
    let type = bound[0]![j]!.type
    for (const r of bound) {
      if (r.length !== width) throw new SqlTypeError(`VALUES rows have ${width} and ${r.length} values`, rows[0]![0]!.pos)
      const t = commonType(type, r[j]!.type)
      if (t === undefined) throw new SqlTypeError(`VALUES column ${j + 1} mixes ${type} and ${r[j]!.type}`, rows[0]![j]!.pos)
      type = t
    }
    columns.push({ name: `col${j}`, type, nullable: bound.some(r => r[j]!.nullable) })
  }
  return { kind: 'values', rows: bound.map(r => r.map((e, j) => coerce(e, columns[j]!.type))), columns }
}

/** A non-negative integer literal (LIMIT, OFFSET). */
function countLiteral (e: Expr, what: string): number {
  if (e.kind === 'number' && /^\d+$/.test(e.text)) return Number(e.text)
  throw new SqlTypeError(`${what} must be a non-negative integer literal`, e.pos)
}


function bindFrom (ref: TableRef, env: BindEnv): From {
  switch (ref.kind) {
    case 'table': {
      const alias = (ref.alias ?? ref.name).name
      const cte = env.ctes.get(ref.name.name.toLowerCase())
      if (cte !== undefined) return { plan: cte, scope: Scope.of(alias, cte.columns) }
      const t = findTable(env.catalog, ref.name.name, ref.name.quoted)
      if (t === undefined) throw new SqlUnknownTableError(ref.name.name, ref.name.pos, [...env.catalog.tableNames(), ...env.ctes.keys()])
      const plan: LogicalPlan = t.kind === 'dataset'
        ? { kind: 'scan', table: t.name, version: t.version, columns: t.columns, filter: undefined, predicate: undefined, rows: t.rows, partitioning: t.partitioning, distinct: t.distinct }
        : { kind: 'table', table: t.name, columns: t.columns, bounded: t.bounded, rows: t.rows }
      return { plan, scope: Scope.of(alias, plan.columns) }
    }
    case 'derived': {
      const plan = bindQuery(ref.query, env)
      return { plan, scope: Scope.of(ref.alias?.name, plan.columns) }
    }
    case 'table-function':
      throw new SqlUnsupportedError(`Table function ${ref.name.name.toUpperCase()} is supported only in streaming queries`, ref.pos)
    case 'join': return bindJoin(ref, env)
  }
}

function bindJoin (ref: Extract<TableRef, { kind: 'join' }>, env: BindEnv): From {
  const left = bindFrom(ref.left, env)
  const right = bindFrom(ref.right, env)
  const kind = ref.join
  const scope = left.scope.concat(right.scope, kind === 'right' || kind === 'full', kind === 'left' || kind === 'full')
  const columns = scope.columns.map(c => ({ name: c.name, type: c.type, nullable: c.nullable }))
  if (kind === 'cross') return { plan: join('cross', left.plan, right.plan, [], [], undefined, columns), scope }
  let condition: BoundExpr
  if (ref.using !== undefined) {
    condition = ref.using.map(name => resolvedCall('eq', [
      bindExpression({ kind: 'column', table: undefined, name, pos: name.pos }, { scope: left.scope, clause: 'ON' }),
      shift(bindExpression({ kind: 'column', table: undefined, name, pos: name.pos }, { scope: right.scope, clause: 'ON' }), left.plan.columns.length)
    ], name.pos)).reduce((a, b) => resolvedCall('and', [a, b], ref.pos))
  } else if (ref.on !== undefined) {
    if (containsAggregate(ref.on)) throw new SqlAggregateError('Aggregate functions are not allowed in ON', ref.on.pos)
    condition = bindExpression(ref.on, { scope, clause: 'ON' })
    if (condition.type !== 'BOOLEAN' && condition.type !== 'NULL') throw new SqlTypeError(`JOIN … ON needs a BOOLEAN condition, got ${condition.type}`, ref.on.pos)
  } else {
    throw new SqlTypeError(`${kind.toUpperCase()} JOIN needs ON or USING`, ref.pos)
  }
  const { leftKeys, rightKeys, residual } = splitJoinCondition(condition, left.plan.columns.length)
  const plan = join(kind, left.plan, right.plan, leftKeys, rightKeys, residual, columns)
  if (ref.using === undefined) return { plan, scope }
  // USING: an unqualified name is the left side's column
  const hidden = new Set(ref.using.map(u => u.name.toLowerCase()))
  return { plan, scope: new Scope(scope.columns.map((c, i) => i >= left.plan.columns.length && hidden.has(c.name.toLowerCase()) ? { ...c, hidden: true } : c)) }
}

function shift (e: BoundExpr, by: number): BoundExpr {
  return remapInputs(e, i => i + by)
}

/** A join node. */
export function join (kind: LogicalJoinKind, left: LogicalPlan, right: LogicalPlan, leftKeys: readonly BoundExpr[], rightKeys: readonly BoundExpr[],
  condition: BoundExpr | undefined, columns: readonly SqlColumn[], nullAware = false): LogicalPlan {
  return { kind: 'join', join: kind, left, right, leftKeys, rightKeys, condition, strategy: undefined, nullAware, columns }
}

/** The conjuncts of an AND tree. */
export function conjuncts (e: BoundExpr): BoundExpr[] {
  return e.kind === 'call' && e.fn === 'and' ? e.args.flatMap(conjuncts) : [e]
}

/** AND of conjuncts (undefined for none). */
export function andOf (parts: readonly BoundExpr[]): BoundExpr | undefined {
  if (parts.length === 0) return undefined
  return parts.reduce((a, b) => ({ kind: 'call', fn: 'and', args: [a, b], type: 'BOOLEAN', nullable: a.nullable || b.nullable }))
}

/**
 * A join condition over (left row ++ right row) as equi-join keys — conjuncts `l = r` with
 * `l` reading only the left side and `r` only the right — and what is left.
 */
export function splitJoinCondition (condition: BoundExpr, leftWidth: number): { leftKeys: BoundExpr[], rightKeys: BoundExpr[], residual: BoundExpr | undefined } {
  const leftKeys: BoundExpr[] = []
  const rightKeys: BoundExpr[] = []
  const rest: BoundExpr[] = []
  const side = (e: BoundExpr): 'left' | 'right' | 'both' | 'none' => {
    const used = [...inputsOf(e)]
    if (used.length === 0) return 'none'
    if (used.every(i => i < leftWidth)) return 'left'
    if (used.every(i => i >= leftWidth)) return 'right'
    return 'both'
  }
  for (const c of conjuncts(condition)) {
    if (c.kind === 'call' && c.fn === 'eq') {
      const [a, b] = c.args as [BoundExpr, BoundExpr]
      const sa = side(a)
      const sb = side(b)
      if (sa === 'left' && sb === 'right') { leftKeys.push(a); rightKeys.push(shift(b, -leftWidth)); continue }
      if (sa === 'right' && sb === 'left') { leftKeys.push(b); rightKeys.push(shift(a, -leftWidth)); continue }
    }
    rest.push(c)
  }
  return { leftKeys, rightKeys, residual: andOf(rest) }
}

/** The AND-ed parts of a WHERE clause. */
function splitAnd (e: Expr): Expr[] {
  return e.kind === 'binary' && e.op === 'AND' ? [...splitAnd(e.left), ...splitAnd(e.right)] : [e]
}

/** Whether a query binds on its own (else it refers to an outer query). */
function uncorrelated (q: Query, env: BindEnv): boolean {
  try {
    bindQuery(q, env)
    return true
  } catch (err) {
    const name = (err as { name?: string }).name
    if (name === 'SqlUnknownColumnError' || name === 'SqlUnknownTableError') return false
    throw err
  }
}

/**
 * A correlated `[NOT] EXISTS (SELECT … FROM … WHERE inner = outer AND …)` as a semi (anti)
 * join: the conjuncts of its WHERE that compare an inner expression with an outer one are
 * the join keys, the others filter the inner rows.
 */
function existsJoin (part: Extract<Expr, { kind: 'exists' }>, outer: From, env: BindEnv): LogicalPlan {
  const q = part.query
  const body = q.body
  const refuse = (why: string): never => { throw new SqlUnsupportedError(`A correlated EXISTS ${why}`, part.pos) }
  if (body.kind !== 'select' || q.with.length > 0 || body.from === undefined) return refuse('needs a plain SELECT … FROM … WHERE')
  if (body.groupBy.length > 0 || body.having !== undefined || body.items.some(i => containsAggregate(i.expr))) return refuse('with GROUP BY or aggregates')
  const inner = bindFrom(body.from, env)
  const width = outer.plan.columns.length
  const both = outer.scope.concat(inner.scope)
  const filters: BoundExpr[] = []
  const leftKeys: BoundExpr[] = []
  const rightKeys: BoundExpr[] = []
  for (const c of body.where === undefined ? [] : splitAnd(body.where)) {
    let bound: BoundExpr | undefined
    try {
      bound = bindExpression(c, { scope: inner.scope, clause: 'WHERE' })
    } catch (err) {
      const name = (err as { name?: string }).name
      if (name !== 'SqlUnknownColumnError' && name !== 'SqlUnknownTableError') throw err
    }
    if (bound !== undefined) { filters.push(bound); continue }
    const e = bindExpression(c, { scope: both, clause: 'WHERE' })
    const split = splitJoinCondition(e, width)
    if (split.residual !== undefined) refuse('may compare the outer query only by equalities joined with AND')
    leftKeys.push(...split.leftKeys)
    rightKeys.push(...split.rightKeys)
  }
  const condition = andOf(filters)
  const right: LogicalPlan = condition === undefined ? inner.plan : { kind: 'filter', input: inner.plan, condition, columns: inner.plan.columns }
  return join(part.negated ? 'anti' : 'semi', outer.plan, right, leftKeys, rightKeys, undefined, outer.plan.columns)
}

function bindWhere (where: Expr, from: From, env: BindEnv): From {
  let { plan, scope } = from
  const filters: BoundExpr[] = []
  for (const part of splitAnd(where)) {
    if (part.kind === 'exists' && !uncorrelated(part.query, env)) {
      plan = existsJoin(part, { plan, scope }, env)
      continue
    }
    if (part.kind === 'in-query') {
      const sub = bindQuery(part.query, env)
      if (sub.columns.length !== 1) throw new SqlTypeError(`IN (SELECT …) needs a query of one column, this one has ${sub.columns.length}`, part.pos)
      const key = bindExpression(part.arg, { scope, clause: 'WHERE' })
      const type = commonType(key.type, sub.columns[0]!.type)
      if (type === undefined) throw new SqlTypeError(`Cannot compare ${key.type} with ${sub.columns[0]!.type} in IN (SELECT …)`, part.pos)
      const right = coerce(input(0, sub.columns[0]!.type, sub.columns[0]!.nullable), type)
      plan = join(part.negated ? 'anti' : 'semi', plan, sub, [coerce(key, type)], [right], undefined, plan.columns, part.negated)
      continue
    }
    if (containsAggregate(part)) throw new SqlAggregateError('Aggregate functions are not allowed in WHERE (use HAVING)', part.pos)
    const bound = bindExpression(part, { scope, clause: 'WHERE' })
    if (bound.type !== 'BOOLEAN' && bound.type !== 'NULL') throw new SqlTypeError(`WHERE needs a BOOLEAN condition, got ${bound.type}`, part.pos)
    filters.push(bound)
  }
  const condition = andOf(filters)
  if (condition !== undefined) plan = { kind: 'filter', input: plan, condition, columns: plan.columns }
  return { plan, scope }
}

/** The select list with `*` expanded: each item's AST, name and (for a plain column) its scope index. */
function expandItems (items: readonly SelectItem[], scope: Scope): { expr: Expr, name: string }[] {
  const out: { expr: Expr, name: string }[] = []
  for (const item of items) {
    if (item.expr.kind === 'star') {
      const star = item.expr
      if (star.table !== undefined && !scope.hasTable(star.table)) throw new SqlUnknownTableError(star.table.name, star.table.pos, [...new Set(scope.columns.map(c => c.table).filter(t => t !== undefined))])
      for (const i of scope.star(star.table)) {
        const c = scope.columns[i]!
        out.push({ expr: { kind: 'column', table: c.table === undefined ? undefined : { name: c.table, quoted: true, pos: star.pos }, name: { name: c.name, quoted: true, pos: star.pos }, pos: star.pos }, name: c.name })
      }
      continue
    }
    out.push({ expr: item.expr, name: item.alias?.name ?? expressionName(item.expr) })
  }
  return out
}

function bindSelect (sel: Select, env: BindEnv, orderBy: readonly OrderItem[]): LogicalPlan {
  let from: From = sel.from === undefined
    ? { plan: { kind: 'values', rows: [[]], columns: [] }, scope: new Scope([]) }
    : bindFrom(sel.from, env)
  // IN (SELECT …) and correlated EXISTS joined with AND in WHERE are semi/anti joins (bindWhere); other subqueries are joined here
  const skip = new Set<Expr>(sel.where === undefined ? [] : splitAnd(sel.where).filter(p => p.kind === 'in-query' || (p.kind === 'exists' && !uncorrelated(p.query, env))))
  const withSubs = withSubqueries(from, [...(sel.where === undefined ? [] : [sel.where]), ...sel.items.map(i => i.expr)], env, bindQuery, skip)
  from = withSubs.from
  const rewrite = withSubs.rewrite
  if (sel.where !== undefined) from = bindWhere(rewrite(sel.where), from, env)
  const items = expandItems(sel.items.map(i => ({ ...i, expr: rewrite(i.expr) })), from.scope)
  const aggregated = sel.groupBy.length > 0 || items.some(i => containsAggregate(i.expr)) ||
    (sel.having !== undefined && containsAggregate(sel.having)) || orderBy.some(o => containsAggregate(o.expr))
  if (sel.having !== undefined && !aggregated) throw new SqlAggregateError('HAVING needs GROUP BY or an aggregate', sel.having.pos)

  let plan = from.plan
  let aggregation: AggregateScope | undefined
  if (aggregated) {
    const keys = sel.groupBy.map(g => bindGroupKey(g, items, from.scope))
    aggregation = { input: from.scope, keys, aggregates: [] }
  }
  const ctx = (clause: Clause): { scope: Scope, clause: Clause, aggregation: AggregateScope | undefined } => ({ scope: from.scope, clause, aggregation })
  const exprs = items.map(i => bindExpression(i.expr, ctx('SELECT')))
  const having = sel.having === undefined ? undefined : bindExpression(sel.having, ctx('HAVING'))
  if (having !== undefined && having.type !== 'BOOLEAN' && having.type !== 'NULL') throw new SqlTypeError(`HAVING needs a BOOLEAN condition, got ${having.type}`, sel.having!.pos)
  // ORDER BY: an output position, an output name, or an expression (kept as a hidden column)
  const names = items.map(i => i.name)
  const sortRefs: { index: number, item: OrderItem }[] = []
  const hidden: BoundExpr[] = []
  for (const o of orderBy) {
    const out = outputRef(o.expr, names)
    if (out !== undefined) { sortRefs.push({ index: out, item: o }); continue }
    const e = bindExpression(o.expr, ctx('ORDER BY'))
    const same = exprs.findIndex(x => JSON.stringify(x, big) === JSON.stringify(e, big))
    if (same >= 0) { sortRefs.push({ index: same, item: o }); continue }
    if (sel.distinct) throw new SqlTypeError('With SELECT DISTINCT, ORDER BY expressions must appear in the select list', o.expr.pos)
    hidden.push(e)
    sortRefs.push({ index: exprs.length + hidden.length - 1, item: o })
  }
  if (aggregation !== undefined) {
    const a = aggregation
    const columns: SqlColumn[] = [
      ...a.keys.map((k, i) => ({ name: `$key${i}`, type: k.type, nullable: k.nullable })),
      ...a.aggregates.map((x, i) => ({ name: `$agg${i}`, type: x.type, nullable: x.fn !== 'count' && x.fn !== 'count_star' }))
    ]
    plan = { kind: 'aggregate', input: plan, groupBy: a.keys, aggregates: a.aggregates, columns }
    if (having !== undefined) plan = { kind: 'filter', input: plan, condition: having, columns }
  }
  const all = [...exprs, ...hidden]
  const columns: SqlColumn[] = all.map((e, i) => ({ name: names[i] ?? `$order${i}`, type: e.type, nullable: e.nullable }))
  plan = { kind: 'project', input: plan, exprs: all, columns }
  if (sel.distinct) plan = { kind: 'distinct', input: plan, columns }
  if (sortRefs.length > 0) {
    const keys: SortKey[] = sortRefs.map(({ index, item }) => sortKey(input(index, columns[index]!.type, columns[index]!.nullable), item))
    plan = { kind: 'sort', input: plan, keys, limit: undefined, offset: 0, columns }
  }
  if (hidden.length > 0) {
    const visible = columns.slice(0, exprs.length)
    plan = { kind: 'project', input: plan, exprs: visible.map((c, i) => input(i, c.type, c.nullable)), columns: visible }
  }
  return plan
}

function big (_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v
}

/** SQL's NULL placement: DuckDB's default, NULLS LAST, unless written. */
function sortKey (expr: BoundExpr, item: OrderItem): SortKey {
  return { expr, descending: item.direction === 'desc', nullsFirst: item.nulls === 'first' }
}

/** The output column an ORDER BY (or GROUP BY) item names by position or alias, if it does. */
function outputRef (e: Expr, names: readonly string[]): number | undefined {
  if (e.kind === 'number' && /^\d+$/.test(e.text)) {
    const k = Number(e.text)
    if (k < 1 || k > names.length) throw new SqlTypeError(`Position ${k} is not in the select list (1 to ${names.length})`, e.pos)
    return k - 1
  }
  if (e.kind === 'column' && e.table === undefined) {
    const matches = names.flatMap((n, i) => (e.name.quoted ? n === e.name.name : n.toLowerCase() === e.name.name.toLowerCase()) ? [i] : [])
    if (matches.length === 1) return matches[0]
  }
  return undefined
}

/** A GROUP BY item: an input expression, or a select item by position or alias when no input column has that name. */
function bindGroupKey (g: Expr, items: readonly { expr: Expr, name: string }[], scope: Scope): BoundExpr {
  if (containsAggregate(g)) throw new SqlAggregateError('Aggregate functions are not allowed in GROUP BY', g.pos)
  if (g.kind === 'number' && /^\d+$/.test(g.text)) {
    const k = outputRef(g, items.map(i => i.name))!
    return bindGroupKey(items[k]!.expr, items, scope)
  }
  if (g.kind === 'column' && g.table === undefined && !scope.columns.some(c => g.name.quoted ? c.name === g.name.name : c.name.toLowerCase() === g.name.name.toLowerCase())) {
    const k = outputRef(g, items.map(i => i.name))
    if (k !== undefined) return bindGroupKey(items[k]!.expr, items, scope)
  }
  return bindExpression(g, { scope, clause: 'GROUP BY' })
}

/** ORDER BY over a set operation's output: positions and names only. */
function sortOutput (plan: LogicalPlan, orderBy: readonly OrderItem[]): LogicalPlan {
  const names = plan.columns.map(c => c.name)
  const keys = orderBy.map(o => {
    const k = outputRef(o.expr, names)
    if (k === undefined) throw new SqlTypeError('ORDER BY after UNION must name an output column or its position', o.expr.pos)
    const c = plan.columns[k]!
    return sortKey(input(k, c.type, c.nullable), o)
  })
  return { kind: 'sort', input: plan, keys, limit: undefined, offset: 0, columns: plan.columns }
}
