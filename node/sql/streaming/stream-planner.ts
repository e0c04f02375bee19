/**
 * The physical plan of a streaming query: its optimized logical plan as DataStream
 * operators, rows as arrays. Connector tables are sources with their watermarks
 * (connector-source.ts); filters and projections are compiled row functions (`filter`,
 * `map`); UNION ALL is `union`; a window aggregate is
 * `keyBy(group key) → window(TumblingEventTimeWindows | SlidingEventTimeWindows |
 * EventTimeSessionWindows) → aggregate(SQL aggregates, window function)` emitting
 * `[window_start, window_end, ...keys, ...aggregates]` when the watermark passes a window's
 * end — late rows (behind the watermark) are dropped, as Flink drops them. A global
 * session (the SESSION table function) is one keyed window of all rows whose accumulator
 * holds every group's, flattened into a row per group when the session closes.
 *
 * What has no streaming form without retractions (joins, ORDER BY, LIMIT, DISTINCT, UNION
 * without ALL, GROUP BY without a window) is refused.
 *
 * @example
 * const rows = planStream(optimized, { env, table: name => defs.get(name) }) // DataStream<unknown[]>
 */
import type { StreamEnvironment } from '../../api/stream-environment.ts'
import type { DataStream } from '../../api/data-stream.ts'
import type { AggregateFunction, TimeWindow } from '../../api/functions.ts'
import type { AggregateCall, BoundExpr } from '../bound-expression.ts'
import type { GroupWindow, LogicalPlan } from '../logical-plan.ts'
import type { ConnectorTable } from './connector-table.ts'
import { EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows, type WindowAssigner } from '../../api/windows.ts'
import { compileKeyExtractor, compileRowPredicate, compileRowProjection } from '../exec/compile-expression.ts'
import { sqlAggregateCombiner } from '../exec/sql-aggregates.ts'
import { connectorStream } from './connector-source.ts'
import { SqlPlanError } from '../errors.ts'

type Row = unknown[]

export interface StreamPlanContext {
  readonly env: StreamEnvironment
  /** The connector table of a `table` node. */
  readonly table: (name: string) => ConnectorTable | undefined
}

/** The DataStream of `plan` (see the module comment). @throws SqlPlanError for what has no streaming form */
export function planStream (plan: LogicalPlan, ctx: StreamPlanContext): DataStream<Row> {
  const memo = new Map<LogicalPlan, DataStream<Row>>()
  const go = (node: LogicalPlan): DataStream<Row> => {
    let s = memo.get(node)
    if (s === undefined) {
      s = planNode(node, ctx, go)
      memo.set(node, s)
    }
    return s
  }
  return go(plan)
}

function planNode (node: LogicalPlan, ctx: StreamPlanContext, plan: (n: LogicalPlan) => DataStream<Row>): DataStream<Row> {
  switch (node.kind) {
    case 'table': {
      const def = ctx.table(node.table)
      if (def === undefined) throw new SqlPlanError(`Table ${node.table} is not a streaming table (CREATE TABLE … WITH ('connector' = …)); a streaming query cannot also read it`)
      return connectorStream(ctx.env, def)
    }
    case 'filter': return plan(node.input).filter(compileRowPredicate(node.condition))
    case 'project': {
      const identity = node.exprs.length === node.input.columns.length && node.exprs.every((e, i) => e.kind === 'input' && e.index === i)
      return identity ? plan(node.input) : plan(node.input).map(compileRowProjection(node.exprs))
    }
    case 'union': {
      if (!node.all) throw new SqlPlanError('UNION of streams removes duplicates only with retractions, which meshflow does not have: use UNION ALL')
      const [first, ...rest] = node.inputs.map(plan)
      return first!.union(...rest)
    }
    case 'window-aggregate': return windowAggregate(node, ctx, plan(node.input))
    case 'aggregate': throw new SqlPlanError('GROUP BY without a window over a stream gives an updating result, which meshflow does not have: group by TUMBLE, HOP or SESSION')
    case 'join': throw new SqlPlanError('JOIN of streaming tables is not supported (window aggregations, filters and projections are)')
    case 'sort': throw new SqlPlanError('ORDER BY over a stream is not supported (a stream has no end to sort at)')
    case 'limit': throw new SqlPlanError('LIMIT over a stream is not supported')
    case 'distinct': throw new SqlPlanError('SELECT DISTINCT over a stream is not supported')
    case 'values':
    case 'scan': throw new SqlPlanError(`A streaming query cannot read ${node.kind === 'scan' ? `dataset ${node.table} as a batch table (declare it with CREATE TABLE … WITH ('connector' = 'dataset'))` : 'VALUES'}`)
  }
}

/** Whether column `index` of `plan`'s output is the event time of the rows (the source table's WATERMARK column, passed along unchanged). */
function isEventTime (plan: LogicalPlan, index: number, ctx: StreamPlanContext): boolean {
  switch (plan.kind) {
    case 'table': return ctx.table(plan.table)?.watermark?.column === index
    case 'filter': return isEventTime(plan.input, index, ctx)
    case 'project': {
      const e = plan.exprs[index]
      return e?.kind === 'input' && isEventTime(plan.input, e.index, ctx)
    }
    case 'union': return plan.inputs.every(i => isEventTime(i, index, ctx))
    default: return false
  }
}

function assignerOf (w: GroupWindow): WindowAssigner {
  switch (w.kind) {
    case 'tumble': return TumblingEventTimeWindows.of(w.size)
    case 'hop': return SlidingEventTimeWindows.of(w.size, w.slide)
    case 'session': return EventTimeSessionWindows.withGap(w.gap)
  }
}

/** A NULL group key (keyBy needs a defined key). */
const NULL_KEY = '\u0000sql-null\u0000'

function windowAggregate (node: Extract<LogicalPlan, { kind: 'window-aggregate' }>, ctx: StreamPlanContext, input: DataStream<Row>): DataStream<Row> {
  if (!isEventTime(node.input, node.time, ctx)) {
    const column = node.input.columns[node.time]?.name ?? `#${node.time}`
    throw new SqlPlanError(`Window column '${column}' is not an event-time attribute: window on the column a table's WATERMARK FOR clause names`)
  }
  if (node.window.kind === 'session' && node.window.global === true && node.groupBy.length > 0) {
    // one sequence of sessions over all rows, grouped within each session
    const fn = sqlGroupsAggregate(node.groupBy, node.aggregates)
    return input.keyBy(() => 0).window(assignerOf(node.window))
      .aggregate<unknown, Row[], Row[]>(fn, (_key, window: TimeWindow, groups) => groups.map(values => [window.start, window.end, ...values]))
      .flatMap((rows: Row[], out) => { for (const r of rows) out.collect(r) })
  }
  const key = node.groupBy.length === 0 ? () => 0 : nullSafe(compileKeyExtractor(node.groupBy))
  const fn = sqlWindowAggregate(node.groupBy, node.aggregates)
  return input.keyBy(key).window(assignerOf(node.window))
    .aggregate<unknown, Row, Row>(fn, (_key, window: TimeWindow, values) => [window.start, window.end, ...values])
}

function nullSafe (key: (row: readonly unknown[]) => unknown): (row: readonly unknown[]) => unknown {
  return row => key(row) ?? NULL_KEY
}

/**
 * The SQL aggregates as an AggregateFunction (with merge, for session windows): the
 * accumulator is `[groupValues, partial]` of `sqlAggregateCombiner` (null before the first
 * row), `result` gives `[...groupValues, ...aggregateValues]`.
 */
export function sqlWindowAggregate (groupBy: readonly BoundExpr[], aggregates: readonly AggregateCall[]): AggregateFunction<Row, unknown, Row> {
  const { key, combiner } = sqlAggregateCombiner(groupBy, aggregates)
  type Acc = [unknown, unknown] | null
  const fn: AggregateFunction<Row, Acc, Row> = {
    createAccumulator: () => null,
    add: (row, acc) => {
      if (acc === null) return [key === undefined ? null : key(row), combiner.first(row)]
      acc[1] = combiner.add(acc[1], row)
      return acc
    },
    merge: (a, b) => a === null ? b : b === null ? a : [a[0], combiner.merge(a[1], b[1])],
    getResult: acc => acc === null ? combiner.empty?.() ?? [] : combiner.result(acc[0], acc[1])
  }
  return fn as AggregateFunction<Row, unknown, Row>
}

/**
 * The SQL aggregates of every group of a window at once (a global session): the
 * accumulator holds, per group key (as text: type and value), the accumulator of
 * `sqlWindowAggregate`; the result is one row per group.
 */
function sqlGroupsAggregate (groupBy: readonly BoundExpr[], aggregates: readonly AggregateCall[]): AggregateFunction<Row, unknown, Row[]> {
  const inner = sqlWindowAggregate(groupBy, aggregates)
  const keyOf = compileKeyExtractor(groupBy)
  const text = (k: unknown): string => `${typeof k}:${String(k)}`
  type Groups = Record<string, unknown>
  const fn: AggregateFunction<Row, Groups, Row[]> = {
    createAccumulator: () => ({}),
    add: (row, acc) => {
      const k = text(keyOf(row))
      acc[k] = inner.add(row, acc[k] ?? inner.createAccumulator())
      return acc
    },
    merge: (a, b) => {
      for (const [k, v] of Object.entries(b)) a[k] = a[k] === undefined ? v : inner.merge!(a[k], v)
      return a
    },
    getResult: acc => Object.values(acc).map(v => inner.getResult(v))
  }
  return fn as AggregateFunction<Row, unknown, Row[]>
}
