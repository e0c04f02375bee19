/**
 * Binding Flink's event-time windows into the `window-aggregate` node, in both forms:
 *
 * - Group windows: `GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), key` (also `HOP(ts, slide,
 *   size)`, `SESSION(ts, gap)`), with `TUMBLE_START(…)` / `TUMBLE_END(…)` /
 *   `TUMBLE_ROWTIME(…)` (and HOP_… / SESSION_…) in the select list and HAVING.
 * - Windowing table functions: `FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1'
 *   MINUTES))` (`HOP(TABLE t, DESCRIPTOR(ts), slide, size)`, `SESSION(TABLE t,
 *   DESCRIPTOR(ts), gap)`), whose rows gain `window_start`, `window_end` and `window_time`,
 *   aggregated with `GROUP BY window_start, window_end, key`. As in Flink, the SESSION
 *   function (PARTITION BY is not parsed) cuts one sequence of sessions over all rows;
 *   `GROUP BY SESSION(ts, gap), key` cuts sessions per key.
 *
 * Both become a scope whose last columns are the window's (past the input plan's own
 * columns), an aggregation whose first two keys are `window_start` and `window_end`, and a
 * `window-aggregate` node with output `window_start, window_end, keys…, aggregates…` — so
 * the select list binds against it as against any aggregation. The window columns exist
 * only as those keys: using them elsewhere (WHERE, an aggregate's argument, a select
 * without GROUP BY) is refused.
 *
 * @example
 * // in bindSelect: sel = rewriteGroupWindow(sel); from = windowedFrom(sel, from); …
 */
import type { Expr, Pos, Select, TableRef } from '../ast.ts'
import type { AggregateCall, BoundExpr } from '../bound-expression.ts'
import type { GroupWindow, LogicalPlan } from '../logical-plan.ts'
import type { SqlCatalog } from '../catalog.ts'
import type { SqlColumn } from '../sql-types.ts'
import type { AggregateScope } from '../binder/bind-expression.ts'
import { inputsOf } from '../bound-expression.ts'
import { Scope } from '../binder/scope.ts'
import { bindExpression } from '../binder/bind-expression.ts'
import { intervalMs, parseIntervalLiteral } from '../binder/literals.ts'
import { SqlAggregateError, SqlTypeError, SqlUnsupportedError } from '../errors.ts'
import { isStreamingTable } from './streaming-catalog.ts'

interface From { readonly plan: LogicalPlan, readonly scope: Scope }

/** A windowed FROM: the window, its time column and where the window columns start in the scope. */
interface Windowed {
  readonly window: GroupWindow
  readonly time: number
  readonly width: number
  readonly pos: Pos
}

/** The group window a rewritten SELECT had in its GROUP BY (AST, bound once the FROM is). */
interface GroupWindowSpec {
  readonly kind: 'tumble' | 'hop' | 'session'
  readonly args: readonly Expr[]
  readonly pos: Pos
}

const windowedScopes = new WeakMap<Scope, Windowed>()
const groupWindows = new WeakMap<Select, GroupWindowSpec>()

const WINDOW_TABLE = '$window'
const KINDS: Readonly<Record<string, GroupWindowSpec['kind']>> = { TUMBLE: 'tumble', HOP: 'hop', SESSION: 'session' }

function windowColumn (name: 'window_start' | 'window_end', pos: Pos): Expr {
  return { kind: 'column', table: { name: WINDOW_TABLE, quoted: true, pos }, name: { name, quoted: true, pos }, pos }
}

/**
 * A SELECT with its group window (`GROUP BY TUMBLE(ts, …)`) replaced by the columns
 * `window_start, window_end` and its `TUMBLE_START(…)`-like calls by those columns; the
 * SELECT itself when it has none.
 */
export function rewriteGroupWindow (sel: Select): Select {
  const windows = sel.groupBy.filter(g => g.kind === 'call' && KINDS[g.name.name.toUpperCase()] !== undefined)
  if (windows.length === 0) return sel
  if (windows.length > 1) throw new SqlUnsupportedError('More than one group window in GROUP BY', windows[1]!.pos)
  const w = windows[0] as Extract<Expr, { kind: 'call' }>
  const spec: GroupWindowSpec = { kind: KINDS[w.name.name.toUpperCase()]!, args: w.args, pos: w.pos }
  const family = w.name.name.toUpperCase()
  const groupBy = sel.groupBy.flatMap(g => g === w ? [windowColumn('window_start', g.pos), windowColumn('window_end', g.pos)] : [g])
  const r = (e: Expr): Expr => rewriteAuxiliary(e, family)
  const out: Select = {
    ...sel,
    groupBy,
    items: sel.items.map(i => ({ ...i, expr: r(i.expr) })),
    having: sel.having === undefined ? undefined : r(sel.having)
  }
  groupWindows.set(out, spec)
  return out
}

/** `TUMBLE_START(…)` → window_start, `_END` → window_end, `_ROWTIME` → window_end - 1 ms, in the whole expression. */
function rewriteAuxiliary (e: Expr, family: string): Expr {
  const r = (x: Expr): Expr => rewriteAuxiliary(x, family)
  switch (e.kind) {
    case 'call': {
      const m = /^(TUMBLE|HOP|SESSION)_(START|END|ROWTIME)$/.exec(e.name.name.toUpperCase())
      if (m !== null) {
        if (m[1] !== family) throw new SqlTypeError(`${e.name.name.toUpperCase()} needs GROUP BY ${m[1]}(…), the query groups by ${family}(…)`, e.pos)
        if (m[2] === 'START') return windowColumn('window_start', e.pos)
        if (m[2] === 'END') return windowColumn('window_end', e.pos)
        return { kind: 'binary', op: '-', left: windowColumn('window_end', e.pos), right: { kind: 'interval', value: '1', unit: 'MILLISECOND', pos: e.pos }, pos: e.pos }
      }
      return { ...e, args: e.args.map(r) }
    }
    case 'unary': case 'is-null': case 'is-bool': case 'cast': case 'extract': return { ...e, arg: r(e.arg) }
    case 'binary': return { ...e, left: r(e.left), right: r(e.right) }
    case 'between': return { ...e, arg: r(e.arg), low: r(e.low), high: r(e.high) }
    case 'in-list': return { ...e, arg: r(e.arg), list: e.list.map(r) }
    case 'like': return { ...e, arg: r(e.arg), pattern: r(e.pattern) }
    case 'case': return { ...e, operand: e.operand === undefined ? undefined : r(e.operand), whens: e.whens.map(x => ({ when: r(x.when), then: r(x.then) })), else: e.else === undefined ? undefined : r(e.else) }
    default: return e
  }
}

/** An INTERVAL literal argument as ms. */
function intervalArg (e: Expr | undefined, what: string, pos: Pos): number {
  if (e?.kind !== 'interval') throw new SqlTypeError(`${what} must be an INTERVAL literal (INTERVAL '1' MINUTE)`, e?.pos ?? pos)
  const ms = intervalMs(parseIntervalLiteral(e.value, e.unit, e.pos))
  if (ms === undefined || ms <= 0) throw new SqlTypeError(`${what} must be a positive INTERVAL of days or less`, e.pos)
  return ms
}

function windowOf (kind: GroupWindowSpec['kind'], sizes: readonly Expr[], name: string, pos: Pos): GroupWindow {
  const want = kind === 'hop' ? 2 : 1
  if (sizes.length !== want) throw new SqlTypeError(`${name} takes ${kind === 'hop' ? 'a time column, a slide and a size' : kind === 'session' ? 'a time column and a gap' : 'a time column and a size'}, got ${sizes.length + 1} arguments`, pos)
  switch (kind) {
    case 'tumble': return { kind, size: intervalArg(sizes[0], `${name}'s size`, pos) }
    case 'hop': return { kind, slide: intervalArg(sizes[0], `${name}'s slide`, pos), size: intervalArg(sizes[1], `${name}'s size`, pos) }
    case 'session': return { kind, gap: intervalArg(sizes[0], `${name}'s gap`, pos) }
  }
}

/** The input column the time argument names; it must be a TIMESTAMP column. */
function timeColumn (e: Expr | undefined, scope: Scope, name: string, pos: Pos): number {
  if (e === undefined) throw new SqlTypeError(`${name} needs a time column`, pos)
  const bound: BoundExpr = bindExpression(e, { scope, clause: 'GROUP BY' })
  if (bound.kind !== 'input') throw new SqlTypeError(`${name}'s time argument must be a column (the table's WATERMARK column)`, e.pos)
  if (bound.type !== 'TIMESTAMP') throw new SqlTypeError(`${name}'s time column must be a TIMESTAMP, it is ${bound.type}`, e.pos)
  return bound.index
}

/** The scope of `from` with the window columns added after its own. */
function windowScope (from: From, windowed: Omit<Windowed, 'width'>, table: string, hidden: boolean): From {
  const width = from.plan.columns.length
  const extra = ['window_start', 'window_end', 'window_time'].map(name => ({ table, name, type: 'TIMESTAMP' as const, nullable: false, ...(hidden ? { hidden: true } : {}) }))
  const scope = new Scope([...from.scope.columns, ...extra])
  windowedScopes.set(scope, { ...windowed, width })
  return { plan: from.plan, scope }
}

/** FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), …)): the table with the window columns. */
export function bindWindowTable (ref: Extract<TableRef, { kind: 'table-function' }>, bindFrom: (ref: TableRef) => From): From {
  const name = ref.name.name.toUpperCase()
  const kind = KINDS[name]
  if (kind === undefined) throw new SqlUnsupportedError(`Table function ${name} (the window functions TUMBLE, HOP and SESSION are)`, ref.pos)
  const inner = bindFrom(ref.table)
  if (windowedScopes.has(inner.scope)) throw new SqlUnsupportedError('A window table function over another', ref.pos)
  const [descriptor, ...sizes] = ref.args
  if (descriptor?.kind !== 'call' || descriptor.name.name.toUpperCase() !== 'DESCRIPTOR' || descriptor.args.length !== 1) {
    throw new SqlTypeError(`${name}'s second argument must be DESCRIPTOR(time_column)`, descriptor?.pos ?? ref.pos)
  }
  const time = timeColumn(descriptor.args[0], inner.scope, name, ref.pos)
  const cut = windowOf(kind, sizes, name, ref.pos)
  // Flink: without PARTITION BY a session table function's sessions span all rows
  const window: GroupWindow = cut.kind === 'session' ? { ...cut, global: true } : cut
  const table = ref.alias?.name ?? (ref.table.kind === 'table' ? (ref.table.alias ?? ref.table.name).name : undefined)
  return windowScope(inner, { window, time, pos: ref.pos }, table ?? WINDOW_TABLE, false)
}

/**
 * The FROM of a SELECT after its WHERE: with the window columns of its group window
 * added, and checked when it is windowed (a window TVF) — the window columns may only be
 * grouped by.
 */
export function windowedFrom (sel: Select, from: From): From {
  const spec = groupWindows.get(sel)
  const tvf = windowedScopes.get(from.scope)
  if (tvf !== undefined) {
    if (spec !== undefined) throw new SqlUnsupportedError('A group window over a window table function', spec.pos)
    if (sel.groupBy.length === 0) throw new SqlUnsupportedError('A window table function without GROUP BY window_start, window_end (window aggregations are)', tvf.pos)
    if (from.plan.kind === 'filter' && [...inputsOf(from.plan.condition)].some(i => i >= tvf.width)) {
      throw new SqlUnsupportedError('A condition on window_start, window_end or window_time in WHERE (filter the result, or use HAVING)', sel.where?.pos ?? sel.pos)
    }
    return from
  }
  if (spec === undefined) return from
  const name = spec.kind.toUpperCase()
  const [timeArg, ...sizes] = spec.args
  const time = timeColumn(timeArg, from.scope, name, spec.pos)
  const window = windowOf(spec.kind, sizes, name, spec.pos)
  return windowScope(from, { window, time, pos: spec.pos }, WINDOW_TABLE, true)
}

/** The GROUP BY keys of a windowed FROM reordered `window_start, window_end, others…`; others unchanged. */
export function windowKeys (scope: Scope, keys: readonly BoundExpr[], pos: Pos): BoundExpr[] {
  const w = windowedScopes.get(scope)
  if (w === undefined) return [...keys]
  const at = (index: number): number => keys.findIndex(k => k.kind === 'input' && k.index === index)
  const start = at(w.width)
  const end = at(w.width + 1)
  if (start < 0 || end < 0) throw new SqlAggregateError('A window aggregation must GROUP BY window_start and window_end', pos)
  const rest = keys.filter((_k, i) => i !== start && i !== end)
  if (rest.some(k => [...inputsOf(k)].some(i => i >= w.width))) throw new SqlUnsupportedError('GROUP BY window_time (group by window_start and window_end)', pos)
  return [keys[start]!, keys[end]!, ...rest]
}

/**
 * The aggregation node of a SELECT: a `window-aggregate` for a windowed FROM, undefined
 * (a plain aggregate) otherwise — which a streaming table refuses, its result would be
 * an updating one.
 */
export function windowAggregate (scope: Scope, input: LogicalPlan, a: AggregateScope, catalog: SqlCatalog, pos: Pos): LogicalPlan | undefined {
  const w = windowedScopes.get(scope)
  if (w === undefined) {
    const streaming = streamingTableOf(input, catalog)
    if (streaming !== undefined) throw new SqlUnsupportedError(`GROUP BY without a window over the streaming table ${streaming} (an updating result; group by TUMBLE, HOP or SESSION)`, pos)
    return undefined
  }
  const groupBy = a.keys.slice(2)
  if (a.aggregates.some((x: AggregateCall) => x.arg !== undefined && [...inputsOf(x.arg)].some(i => i >= w.width))) {
    throw new SqlUnsupportedError('An aggregate of window_start, window_end or window_time', pos)
  }
  const columns: SqlColumn[] = [
    { name: 'window_start', type: 'TIMESTAMP', nullable: false },
    { name: 'window_end', type: 'TIMESTAMP', nullable: false },
    ...groupBy.map((k, i) => ({ name: `$key${i}`, type: k.type, nullable: k.nullable })),
    ...a.aggregates.map((x, i) => ({ name: `$agg${i}`, type: x.type, nullable: x.fn !== 'count' && x.fn !== 'count_star' }))
  ]
  return { kind: 'window-aggregate', input, window: w.window, time: w.time, groupBy, aggregates: a.aggregates, columns }
}

/** The name of a streaming table the plan reads, if it reads one. */
export function streamingTableOf (plan: LogicalPlan, catalog: SqlCatalog): string | undefined {
  if (plan.kind === 'table') return isStreamingTable(catalog.table(plan.table)) ? plan.table : undefined
  const inputs: LogicalPlan[] = 'input' in plan ? [plan.input] : plan.kind === 'join' ? [plan.left, plan.right] : plan.kind === 'union' ? [...plan.inputs] : []
  for (const i of inputs) {
    const found = streamingTableOf(i, catalog)
    if (found !== undefined) return found
  }
  return undefined
}
