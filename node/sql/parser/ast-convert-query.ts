/**
 * The parser library's queries → meshflow's `Query` (node/sql/ast.ts): WITH, set
 * operations, SELECT, VALUES, FROM with joins and derived tables, Flink's window
 * table-valued functions, ORDER BY, LIMIT and OFFSET.
 */
import type { Expr, Ident, JoinKind, OrderItem, Pos, Query, QueryBody, SelectItem, TableRef } from '../ast.ts'
import { absent, constructName, variant } from './convert-context.ts'
import type { ConvertContext, LibNode } from './convert-context.ts'
import { convertExpr } from './ast-convert-expr.ts'

/** Fields of the library's Query that meshflow does not support, and their names. */
const QUERY_EXTRAS: readonly [string, string][] = [
  ['fetch', 'FETCH'], ['locks', 'FOR UPDATE/SHARE'], ['for_clause', 'FOR XML/JSON'], ['settings', 'SETTINGS'],
  ['format_clause', 'FORMAT'], ['pipe_operators', 'A pipe operator']
]

/** Fields of the library's Select that meshflow does not support, and their names. */
const SELECT_EXTRAS: readonly [string, string][] = [
  ['top', 'TOP'], ['into', 'SELECT INTO'], ['lateral_views', 'LATERAL VIEW'], ['prewhere', 'PREWHERE'],
  ['cluster_by', 'CLUSTER BY'], ['distribute_by', 'DISTRIBUTE BY'], ['sort_by', 'SORT BY'],
  ['named_window', 'WINDOW'], ['qualify', 'QUALIFY'], ['connect_by', 'CONNECT BY'], ['value_table_mode', 'SELECT AS VALUE']
]

/** Converts a library Query (a body with WITH, ORDER BY, LIMIT, OFFSET). */
export function convertQuery (ctx: ConvertContext, q: LibNode): Query {
  for (const [field, name] of QUERY_EXTRAS) {
    if (!absent(q[field])) throw ctx.unsupported(name, ctx.firstPos(q[field]))
  }
  const withClause = absent(q.with) ? [] : convertWith(ctx, q.with)
  const body = convertBody(ctx, q.body)
  const pos = absent(q.with) ? body.pos : (ctx.spanPos(q.with.with_token?.span) ?? body.pos)
  const orderBy = absent(q.order_by) ? [] : convertOrderBy(ctx, q.order_by)
  let limit: Expr | undefined
  let offset: Expr | undefined
  if (!absent(q.limit_clause)) {
    const [tag, l] = variant(q.limit_clause)
    if (tag === 'LimitOffset') {
      if (!absent(l.limit_by)) throw ctx.unsupported('LIMIT BY', ctx.firstPos(l.limit_by))
      limit = absent(l.limit) ? undefined : convertExpr(ctx, l.limit)
      offset = absent(l.offset) ? undefined : convertExpr(ctx, l.offset.value)
    } else if (tag === 'OffsetCommaLimit') {
      limit = convertExpr(ctx, l.limit)
      offset = convertExpr(ctx, l.offset)
    } else {
      throw ctx.unsupported(`LIMIT (${constructName(tag)})`, ctx.firstPos(l))
    }
  }
  return { kind: 'query', with: withClause, body, orderBy, limit, offset, pos }
}

function convertWith (ctx: ConvertContext, w: LibNode): Query['with'] {
  if (w.recursive === true) throw ctx.unsupported('WITH RECURSIVE', ctx.spanPos(w.with_token?.span) ?? ctx.firstPos(w))
  return (w.cte_tables as LibNode[]).map(cte => {
    const name = ctx.ident(cte.alias.name)
    if (!absent(cte.from)) throw ctx.unsupported('A CTE with FROM', name.pos)
    if (!absent(cte.materialized)) throw ctx.unsupported('[NOT] MATERIALIZED', name.pos)
    const columns = ((cte.alias.columns ?? []) as LibNode[]).map(c => {
      if (!absent(c.data_type)) throw ctx.unsupported('A typed CTE column', ctx.firstPos(c))
      return ctx.ident(c.name)
    })
    return { name, columns, query: convertQuery(ctx, cte.query) }
  })
}

function convertOrderBy (ctx: ConvertContext, o: LibNode): OrderItem[] {
  if (!absent(o.interpolate)) throw ctx.unsupported('INTERPOLATE', ctx.firstPos(o.interpolate))
  const [tag, items] = variant(o.kind)
  if (tag !== 'Expressions') throw ctx.unsupported('ORDER BY ALL', ctx.firstPos(o))
  return (items as LibNode[]).map(item => {
    if (!absent(item.with_fill)) throw ctx.unsupported('WITH FILL', ctx.firstPos(item))
    const opts = item.options ?? {}
    return {
      expr: convertExpr(ctx, item.expr),
      direction: opts.asc === false ? 'desc' : 'asc',
      nulls: opts.nulls_first === true ? 'first' : opts.nulls_first === false ? 'last' : undefined
    }
  })
}

/** A set expression: SELECT, VALUES, a parenthesised query, or a set operation. */
function convertBody (ctx: ConvertContext, body: LibNode): QueryBody {
  const [tag, v] = variant(body)
  switch (tag) {
    case 'Select':
      return convertSelect(ctx, v)
    case 'Query':
      return convertQuery(ctx, v)
    case 'SetOperation': {
      const left = convertBody(ctx, v.left)
      const right = convertBody(ctx, v.right)
      const op = v.op === 'Union' ? 'union' : v.op === 'Intersect' ? 'intersect' : v.op === 'Except' || v.op === 'Minus' ? 'except' : undefined
      const quantifier = String(v.set_quantifier)
      if (op === undefined) throw ctx.unsupported(`The set operation ${String(v.op)}`, right.pos)
      if (quantifier !== 'All' && quantifier !== 'Distinct' && quantifier !== 'None') {
        throw ctx.unsupported(`${op.toUpperCase()} ${constructName(quantifier)}`, right.pos)
      }
      return { kind: 'set', op, all: quantifier === 'All', left, right, pos: left.pos }
    }
    case 'Values': {
      const rows: LibNode[] = v.rows
      const exprRows = rows.map(r => ((Array.isArray(r) ? r : r.content) as LibNode[]).map(e => convertExpr(ctx, e)))
      const first = rows[0]
      const firstPos = first === undefined ? ctx.statementPos() : ctx.spanPos(first.opening_token?.span) ?? ctx.firstPos(first)
      return { kind: 'values', rows: exprRows, pos: ctx.extendBack(firstPos, ['VALUES']) }
    }
    default:
      throw ctx.unsupported(tag === '' ? 'This query' : `${constructName(tag)} as a query`, ctx.firstPos(body))
  }
}

function convertSelect (ctx: ConvertContext, s: LibNode): QueryBody {
  const pos = ctx.spanPos(s.select_token?.span) ?? ctx.firstPos(s)
  for (const [field, name] of SELECT_EXTRAS) {
    if (!absent(s[field]) && s[field] !== 'None' && !(field === 'lateral_views' && s[field].length === 0)) {
      throw ctx.unsupported(name, ctx.firstPos(s[field]) ?? pos)
    }
  }
  if (!absent(s.exclude)) throw ctx.unsupported('SELECT … EXCLUDE', pos)
  let distinct = false
  if (!absent(s.distinct)) {
    const [tag] = variant(s.distinct)
    if (tag === 'Distinct') distinct = true
    else if (tag !== 'All') throw ctx.unsupported('DISTINCT ON', pos)
  }
  const items = (s.projection as LibNode[]).map(item => convertSelectItem(ctx, item))
  const from = convertFrom(ctx, s.from ?? [])
  const where = absent(s.selection) ? undefined : convertExpr(ctx, s.selection)
  const [groupTag, group] = variant(s.group_by)
  if (groupTag !== 'Expressions') throw ctx.unsupported('GROUP BY ALL', pos)
  const [groupExprs, modifiers] = group as [LibNode[], LibNode[]]
  if (!absent(modifiers)) throw ctx.unsupported('GROUP BY … WITH ROLLUP/CUBE/TOTALS', ctx.firstPos(groupExprs))
  const groupBy = groupExprs.map(e => convertExpr(ctx, e))
  const having = absent(s.having) ? undefined : convertExpr(ctx, s.having)
  return { kind: 'select', distinct, items, from, where, groupBy, having, pos }
}

function convertSelectItem (ctx: ConvertContext, item: LibNode): SelectItem {
  const [tag, v] = variant(item)
  switch (tag) {
    case 'UnnamedExpr':
      return { expr: convertExpr(ctx, v), alias: undefined }
    case 'ExprWithAlias':
      return { expr: convertExpr(ctx, v.expr), alias: ctx.ident(v.alias) }
    case 'Wildcard': {
      const pos = ctx.spanPos(v.wildcard_token?.span) ?? ctx.firstPos(v)
      checkWildcardOptions(ctx, v, pos)
      return { expr: { kind: 'star', table: undefined, pos }, alias: undefined }
    }
    case 'QualifiedWildcard': {
      const [kind, options] = v as [LibNode, LibNode]
      const [kindTag, name] = variant(kind)
      if (kindTag !== 'ObjectName') throw ctx.unsupported('This wildcard', ctx.firstPos(v))
      const table = ctx.objectName(name, 'Table name')
      checkWildcardOptions(ctx, options, table.pos)
      return { expr: { kind: 'star', table, pos: table.pos }, alias: undefined }
    }
    default:
      throw ctx.unsupported(`The select item ${constructName(tag)}`, ctx.firstPos(item))
  }
}

function checkWildcardOptions (ctx: ConvertContext, opts: LibNode, pos: Pos): void {
  for (const [field, name] of [['opt_ilike', 'ILIKE'], ['opt_exclude', 'EXCLUDE'], ['opt_except', 'EXCEPT'], ['opt_replace', 'REPLACE'], ['opt_rename', 'RENAME']] as const) {
    if (opts !== undefined && opts !== null && !absent(opts[field])) throw ctx.unsupported(`* ${name} (…)`, pos)
  }
}

/** The FROM list: each item with its joins; several items become cross joins. */
function convertFrom (ctx: ConvertContext, from: LibNode[]): TableRef | undefined {
  let result: TableRef | undefined
  for (const twj of from) {
    const item = convertTableWithJoins(ctx, twj)
    result = result === undefined ? item : { kind: 'join', join: 'cross', left: result, right: item, on: undefined, using: undefined, pos: result.pos }
  }
  return result
}

function convertTableWithJoins (ctx: ConvertContext, twj: LibNode): TableRef {
  let left = convertRelation(ctx, twj.relation)
  for (const j of (twj.joins ?? []) as LibNode[]) {
    const right = convertRelation(ctx, j.relation)
    left = convertJoin(ctx, left, right, j.join_operator)
  }
  return left
}

const JOIN_KINDS: Readonly<Record<string, JoinKind>> = {
  Join: 'inner', Inner: 'inner', Left: 'left', LeftOuter: 'left', Right: 'right', RightOuter: 'right', FullOuter: 'full', CrossJoin: 'cross'
}

function convertJoin (ctx: ConvertContext, left: TableRef, right: TableRef, operator: LibNode): TableRef {
  const [tag, constraint] = variant(operator)
  const join = JOIN_KINDS[tag]
  if (join === undefined) throw ctx.unsupported(constructName(tag), right.pos)
  const base = { kind: 'join', join, left, right, pos: left.pos } as const
  const [ctag, c] = variant(constraint)
  if (join === 'cross') {
    if (ctag !== 'None' && ctag !== '') throw ctx.unsupported('CROSS JOIN with a condition', right.pos)
    return { ...base, on: undefined, using: undefined }
  }
  if (ctag === 'On') return { ...base, on: convertExpr(ctx, c), using: undefined }
  if (ctag === 'Using') {
    const using = (c as LibNode[]).map(name => ctx.objectName(name, 'Column name'))
    return { ...base, on: usingCondition(left, right, using), using }
  }
  if (ctag === 'Natural') throw ctx.unsupported('NATURAL JOIN', right.pos)
  throw ctx.syntax(`expected ON or USING after the joined table${refName(right) === undefined ? '' : ` '${refName(right)?.name ?? ''}'`}`, right.pos)
}

/** The name a table reference is known by (its alias, else its table name). */
function refName (ref: TableRef): Ident | undefined {
  if (ref.kind === 'table') return ref.alias ?? ref.name
  if (ref.kind === 'derived' || ref.kind === 'table-function') return ref.alias
  return undefined
}

/**
 * `USING (a, b)` as `l.a = r.a AND l.b = r.b` when both sides are named (tables or
 * aliased subqueries); undefined otherwise (the binder resolves `using` itself).
 */
function usingCondition (left: TableRef, right: TableRef, using: readonly Ident[]): Expr | undefined {
  const l = refName(left)
  const r = refName(right)
  if (l === undefined || r === undefined) return undefined
  let on: Expr | undefined
  for (const col of using) {
    const eq: Expr = {
      kind: 'binary',
      op: '=',
      left: { kind: 'column', table: l, name: col, pos: col.pos },
      right: { kind: 'column', table: r, name: col, pos: col.pos },
      pos: col.pos
    }
    on = on === undefined ? eq : { kind: 'binary', op: 'AND', left: on, right: eq, pos: on.pos }
  }
  return on
}

/** `alias` of a relation; column lists (`AS v(a, b)`) are not supported. */
function relationAlias (ctx: ConvertContext, alias: LibNode): Ident | undefined {
  if (absent(alias)) return undefined
  const name = ctx.ident(alias.name)
  if (!absent(alias.columns)) throw ctx.unsupported(`A column list in the alias ${name.name}(…)`, name.pos)
  return name
}

/** Flink's window table-valued functions and their parameters, in order. */
const WINDOW_TVFS: Readonly<Record<string, readonly string[]>> = {
  TUMBLE: ['DATA', 'TIMECOL', 'SIZE', 'OFFSET'],
  HOP: ['DATA', 'TIMECOL', 'SLIDE', 'SIZE', 'OFFSET'],
  CUMULATE: ['DATA', 'TIMECOL', 'STEP', 'SIZE', 'OFFSET'],
  SESSION: ['DATA', 'TIMECOL', 'GAP']
}

function convertRelation (ctx: ConvertContext, rel: LibNode): TableRef {
  const [tag, v] = variant(rel)
  switch (tag) {
    case 'Table': {
      if (!absent(v.args)) return convertWindowTvf(ctx, v)
      for (const [field, name] of [['version', 'FOR SYSTEM_TIME'], ['sample', 'TABLESAMPLE'], ['partitions', 'PARTITION'], ['with_hints', 'A WITH hint'], ['index_hints', 'An index hint'], ['json_path', 'A JSON path']] as const) {
        if (!absent(v[field])) throw ctx.unsupported(name, ctx.firstPos(v))
      }
      const name = ctx.objectName(v.name, 'Table name')
      return { kind: 'table', name, alias: relationAlias(ctx, v.alias), pos: name.pos }
    }
    case 'Derived': {
      const query = convertQuery(ctx, v.subquery)
      const pos = ctx.extendBack(query.pos, ['('])
      if (v.lateral === true) throw ctx.unsupported('LATERAL', pos)
      return { kind: 'derived', query, alias: relationAlias(ctx, v.alias), pos }
    }
    case 'NestedJoin': {
      const inner = convertTableWithJoins(ctx, v.table_with_joins)
      if (!absent(v.alias)) throw ctx.unsupported('An alias on a parenthesised join', ctx.firstPos(v.alias))
      return inner
    }
    default:
      throw ctx.unsupported(tag === '' ? 'This FROM item' : `${constructName(tag)} in FROM`, ctx.firstPos(rel))
  }
}

/**
 * `TUMBLE(t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)` (the parser first blanked Flink's
 * `TABLE(` … `)` and `TABLE t`): positional or named (`DATA => t, SIZE => …`) arguments,
 * returned in the function's parameter order.
 */
function convertWindowTvf (ctx: ConvertContext, v: LibNode): TableRef {
  const name = ctx.objectName(v.name, 'Table function name')
  const params = WINDOW_TVFS[name.name.toUpperCase()]
  const local = ctx.local(name.pos)
  const tableKeyword = ctx.tvfStarts.get(local)
  const pos = tableKeyword === undefined ? name.pos : ctx.posAt(tableKeyword)
  if (params === undefined) throw ctx.unsupported(`The table function ${name.name}`, pos)
  const args = (v.args.args ?? []) as LibNode[]
  const byParam = new Map<number, LibNode>()
  args.forEach((a, i) => {
    const [tag, arg] = variant(a)
    if (tag === 'Unnamed') {
      byParam.set(i, arg)
    } else if (tag === 'Named') {
      const param = ctx.ident(arg.name)
      const index = params.indexOf(param.name.toUpperCase())
      if (index === -1) throw ctx.syntax(`${name.name.toUpperCase()} has no parameter '${param.name}' (it has ${params.join(', ')})`, param.pos)
      byParam.set(index, arg.arg)
    } else {
      throw ctx.unsupported(`This argument of ${name.name}`, ctx.firstPos(a))
    }
  })
  const upper = name.name.toUpperCase()
  if ([...byParam.keys()].some(i => i >= params.length)) throw ctx.syntax(`${upper} takes ${params.join(', ')}`, pos)
  const exprs: Expr[] = []
  let table: TableRef | undefined
  for (let i = 0; i < params.length; i++) {
    const arg = byParam.get(i)
    if (arg === undefined) {
      if (params[i] === 'OFFSET') continue
      throw ctx.syntax(`${upper} is missing its ${params[i] as string} argument`, pos)
    }
    const [exprTag, e] = variant(arg)
    if (exprTag !== 'Expr') throw ctx.unsupported(`This argument of ${upper}`, ctx.firstPos(arg))
    if (i === 0) {
      const [identTag, ident] = variant(e)
      if (identTag !== 'Identifier') throw ctx.syntax(`expected a table name as the first argument of ${upper}`, ctx.firstPos(e))
      const t = ctx.ident(ident)
      table = { kind: 'table', name: t, alias: undefined, pos: t.pos }
    } else {
      exprs.push(convertExpr(ctx, e))
    }
  }
  if (table === undefined) throw ctx.syntax(`${upper} needs a table as its first argument`, pos)
  return { kind: 'table-function', name, table, args: exprs, alias: relationAlias(ctx, v.alias), pos }
}
