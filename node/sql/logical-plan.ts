/**
 * The logical plan of a query: a tree of relational operators, each with its output
 * columns. Expressions (bound-expression.ts) refer to positions of the operator's input
 * row — for a join, the left row's columns then the right row's. The binder builds it
 * (binder.ts), the optimizer rewrites it (optimizer/), the physical planner turns it into
 * DataSet (or DataStream) operators (physical-planner.ts), and EXPLAIN prints it.
 *
 * @example
 * // SELECT store, SUM(amount) FROM sales WHERE amount > 10 GROUP BY store
 * { kind: 'aggregate', groupBy: [input(0)], aggregates: [{ fn: 'sum', arg: input(1), … }],
 *   input: { kind: 'filter', condition: gt(input(1), 10), input: { kind: 'scan', table: 'sales', … } } }
 */
import type { Predicate } from '../api/dataset-schema.ts'
import type { Partitioning } from '../api/dataset-schema.ts'
import type { AggregateCall, BoundExpr } from './bound-expression.ts'
import type { SqlColumn } from './sql-types.ts'

/** A sort key. `nullsFirst` is explicit after binding (SQL's default: NULLS LAST for ASC, NULLS FIRST for DESC). */
export interface SortKey {
  readonly expr: BoundExpr
  readonly descending: boolean
  readonly nullsFirst: boolean
}

/**
 * How a join runs, chosen by the optimizer: `broadcast-left|right` sends that (small) side
 * to every subtask; `co-located` needs no shuffle (both sides are scans hash-partitioned
 * alike on the key); `shuffle` repartitions both sides by key.
 */
export type JoinStrategy = 'broadcast-left' | 'broadcast-right' | 'co-located' | 'shuffle'

/** `semi`/`anti` keep left rows with / without a match (IN and NOT IN, EXISTS). */
export type LogicalJoinKind = 'inner' | 'left' | 'right' | 'full' | 'cross' | 'semi' | 'anti'

/**
 * Event-time group windows of streaming queries (Flink's TUMBLE, HOP, SESSION), sizes in ms.
 * Sessions are per group key (`GROUP BY SESSION(ts, gap), key`) unless `global`: the
 * SESSION table function without PARTITION BY cuts one sequence of sessions over all rows,
 * then groups each session's rows.
 */
export type GroupWindow =
  | { readonly kind: 'tumble', readonly size: number }
  | { readonly kind: 'hop', readonly slide: number, readonly size: number }
  | { readonly kind: 'session', readonly gap: number, readonly global?: boolean }

export type LogicalPlan =
  /**
   * A dataset read: `columns` are the dataset columns read (their order is the output
   * row's), `filter` the rows kept (over the output row), `predicate` the part of the filter
   * in the storage's form, which prunes segments by their statistics.
   */
  | {
    readonly kind: 'scan'
    readonly table: string
    readonly version: number | undefined
    readonly columns: readonly SqlColumn[]
    readonly filter: BoundExpr | undefined
    readonly predicate: Predicate | undefined
    /** Rows of the dataset version (the planner's estimate of size). */
    readonly rows: number
    readonly partitioning: Partitioning
    /** Estimated distinct values of some columns, by name (join size estimates). */
    readonly distinct?: Readonly<Record<string, number>> | undefined
  }
  /**
   * A table registered by the program (`env.registerTable`) or declared with CREATE TABLE
   * … WITH (a streaming source): `source` names it in the session's table registry.
   */
  | { readonly kind: 'table', readonly table: string, readonly columns: readonly SqlColumn[], readonly bounded: boolean, readonly rows: number | undefined }
  | { readonly kind: 'values', readonly rows: readonly (readonly BoundExpr[])[], readonly columns: readonly SqlColumn[] }
  | { readonly kind: 'filter', readonly input: LogicalPlan, readonly condition: BoundExpr, readonly columns: readonly SqlColumn[] }
  | { readonly kind: 'project', readonly input: LogicalPlan, readonly exprs: readonly BoundExpr[], readonly columns: readonly SqlColumn[] }
  /** Output row: the group keys, then the aggregates. No keys: one row, even over no input. */
  | { readonly kind: 'aggregate', readonly input: LogicalPlan, readonly groupBy: readonly BoundExpr[], readonly aggregates: readonly AggregateCall[], readonly columns: readonly SqlColumn[] }
  /**
   * A streaming window aggregate: output row `window_start, window_end`, then the group
   * keys, then the aggregates. `time` is the input's event-time column.
   */
  | { readonly kind: 'window-aggregate', readonly input: LogicalPlan, readonly window: GroupWindow, readonly time: number, readonly groupBy: readonly BoundExpr[], readonly aggregates: readonly AggregateCall[], readonly columns: readonly SqlColumn[] }
  /**
   * Equi-join on `leftKeys[i] = rightKeys[i]` (over each side's row), then `condition`
   * (over the left row's columns followed by the right's) for what is not an equality.
   * Output: left columns then right columns (only the left's for semi and anti).
   * `nullAware` (NOT IN): a NULL on either side makes the anti join keep nothing it cannot prove.
   */
  | {
    readonly kind: 'join'
    readonly join: LogicalJoinKind
    readonly left: LogicalPlan
    readonly right: LogicalPlan
    readonly leftKeys: readonly BoundExpr[]
    readonly rightKeys: readonly BoundExpr[]
    readonly condition: BoundExpr | undefined
    readonly strategy: JoinStrategy | undefined
    readonly nullAware: boolean
    /** For a co-located join: the parallelism it runs at, that of both sides' scans. */
    readonly partitions?: number
    /**
     * The columns it emits, as positions in (left row ++ right row), when not all of them
     * (set by projection push-down: a key column no operator above reads is not carried).
     * `columns` then lists these. Only on joins without a residual condition.
     */
    readonly outputs?: readonly number[]
    readonly columns: readonly SqlColumn[]
  }
  /** Sorted output; `limit`/`offset` fold a following LIMIT into the sort (a top-N). */
  | { readonly kind: 'sort', readonly input: LogicalPlan, readonly keys: readonly SortKey[], readonly limit: number | undefined, readonly offset: number, readonly columns: readonly SqlColumn[] }
  | { readonly kind: 'limit', readonly input: LogicalPlan, readonly limit: number | undefined, readonly offset: number, readonly columns: readonly SqlColumn[] }
  | { readonly kind: 'distinct', readonly input: LogicalPlan, readonly columns: readonly SqlColumn[] }
  /** UNION ALL (`all`) or UNION; INTERSECT and EXCEPT are planned as semi/anti joins over distinct rows. */
  | { readonly kind: 'union', readonly inputs: readonly LogicalPlan[], readonly all: boolean, readonly columns: readonly SqlColumn[] }

export type LogicalPlanKind = LogicalPlan['kind']
