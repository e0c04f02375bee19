/**
 * The physical plan of a bounded query: its optimized logical plan as DataSet operators of
 * one job, rows as arrays. Dataset scans are the vectorized leaf (exec/sql-scan-source.ts):
 * the scan, its filter and its projection — or the partial aggregation right above it —
 * run compiled over the segments' columns. Above it every operator is a DataSet operator
 * with compiled row functions: filters and projections as `filter`/`map`, aggregations as
 * combiners (partial aggregation before the shuffle, FinalAggregateOperator after), joins
 * as the DataSet hash join (broadcast, repartitioned or co-located as the optimizer
 * chose), semi/anti joins as a coGroup, sorts with a compiled comparator, LIMIT as first(n).
 *
 * A plan node used twice (a CTE named twice) becomes one DataSet read by both.
 *
 * @example
 * const rows = planPhysical(optimized, { env, tables }).collect()
 * await env.execute('query')
 */
import type { StreamEnvironment } from '../api/stream-environment.ts'
import type { Partial } from '../runtime/operators/batch/combiner.ts'
import type { ResolvedKey } from '../api/data-set-keys.ts'
import type { BoundExpr } from './bound-expression.ts'
import type { LogicalPlan } from './logical-plan.ts'
import { DataSet } from '../api/data-set.ts'
import { WatermarkStrategy } from '../api/watermark-strategy.ts'
import { inheritedParallelism } from '../api/data-set-support.ts'
import { PartialAggregateOperator } from '../runtime/operators/batch/partial-aggregate-operator.ts'
import { FinalAggregateOperator } from '../runtime/operators/batch/final-aggregate-operator.ts'
import { SortOperator } from '../runtime/operators/batch/sort-operator.ts'
import { FirstNOperator } from '../runtime/operators/batch/first-n-operator.ts'
import { MapPartitionOperator } from '../runtime/operators/batch/map-partition-operator.ts'
import { HashJoinOperator } from '../runtime/operators/batch/hash-join-operator.ts'
import { estimateRows as estimate } from './optimizer/join-strategy.ts'
import { compileKeyExtractor, compileRowPredicate, compileRowProjection, keyHasNull } from './exec/compile-expression.ts'
import { sqlAggregateCombiner } from './exec/sql-aggregates.ts'
import { sqlScanSource } from './exec/sql-scan-source.ts'
import { compileSortKeys } from './exec/compile-comparator.ts'
import { constant, input as inputRef, substitute } from './bound-expression.ts'
import { SqlPlanError } from './errors.ts'

type Row = unknown[]

export interface PhysicalContext {
  readonly env: StreamEnvironment
  /** The DataSet of a registered table (`env.registerTable`). */
  readonly table: (name: string) => DataSet<Row>
}

/** The largest cross product a query may make (rows). */
export const SQL_CROSS_MAX_ROWS = 100_000_000

const PARTIAL_KEY: ResolvedKey<Partial> = { select: p => p[0], columns: undefined }

/** The DataSet of `plan` (see the module comment). */
export function planPhysical (plan: LogicalPlan, ctx: PhysicalContext): DataSet<Row> {
  return new PhysicalPlanner(ctx).plan(plan)
}

class PhysicalPlanner {
  readonly #ctx: PhysicalContext
  readonly #memo = new Map<LogicalPlan, DataSet<Row>>()

  constructor (ctx: PhysicalContext) {
    this.#ctx = ctx
  }

  plan (node: LogicalPlan): DataSet<Row> {
    let ds = this.#memo.get(node)
    if (ds === undefined) {
      ds = this.#plan(node)
      this.#memo.set(node, ds)
    }
    return ds
  }

  #plan (node: LogicalPlan): DataSet<Row> {
    const env = this.#ctx.env
    switch (node.kind) {
      case 'scan': return this.#scan(node, undefined)
      case 'table': return this.#ctx.table(node.table)
      case 'values': {
        const project = node.rows.map(r => compileRowProjection(r))
        const rows = project.map(f => f([]))
        return env.fromCollection(rows, undefined, 'values').toDataSet()
      }
      case 'filter': {
        const keep = compileRowPredicate(node.condition)
        return this.plan(node.input).filter(keep)
      }
      case 'project': {
        const identity = node.exprs.length === node.input.columns.length && node.exprs.every((e, i) => e.kind === 'input' && e.index === i)
        if (identity) return this.plan(node.input)
        const project = compileRowProjection(node.exprs)
        return this.plan(node.input).map(project)
      }
      case 'aggregate': return this.#aggregate(node)
      case 'join': return this.#join(node)
      case 'sort': return this.#sort(node)
      case 'limit': {
        const input = this.plan(node.input)
        return limitRows(input, node.limit, node.offset)
      }
      case 'distinct': {
        const key = compileKeyExtractor(node.columns.map((c, i) => inputRef(i, c.type, c.nullable)))
        return this.plan(node.input).distinct(key)
      }
      case 'union': {
        const [first, ...rest] = node.inputs.map(i => this.plan(i))
        const all = first!.union(...rest)
        if (node.all) return all
        const key = compileKeyExtractor(node.columns.map((c, i) => inputRef(i, c.type, c.nullable)))
        return all.distinct(key)
      }
      case 'window-aggregate':
        throw new SqlPlanError('Group windows (TUMBLE, HOP, SESSION) need a streaming table')
    }
  }

  /** A dataset scan, with the aggregation above it folded into it when given. */
  #scan (node: Extract<LogicalPlan, { kind: 'scan' }>, aggregate: { groupBy: readonly BoundExpr[], aggregates: Extract<LogicalPlan, { kind: 'aggregate' }>['aggregates'] } | undefined): DataSet<Row> {
    const env = this.#ctx.env
    const source = sqlScanSource({
      dataset: node.table,
      version: node.version,
      columns: node.columns.map(c => c.name),
      predicate: node.predicate,
      filter: node.filter,
      ...(aggregate === undefined ? {} : { aggregate })
    })
    const t = env.addTransformation({ kind: 'source', name: `scan ${node.table}`, source, watermarks: WatermarkStrategy.noWatermarks() })
    return DataSet.fromTransformation<Row>(env, t, { estimatedRows: node.rows, partitioning: node.partitioning }, `SQL scan of '${node.table}'`)
  }

  #aggregate (node: Extract<LogicalPlan, { kind: 'aggregate' }>): DataSet<Row> {
    const { key, combiner } = sqlAggregateCombiner(node.groupBy, node.aggregates)
    const grouped = node.groupBy.length > 0
    // a scan (or a projection of one) right below: the partial aggregation runs in the scan, over columns
    const fused = fusedScan(node)
    let partial: DataSet<unknown>
    if (fused !== undefined) {
      partial = this.#scan(fused.scan, { groupBy: fused.groupBy, aggregates: fused.aggregates }) as unknown as DataSet<unknown>
    } else {
      const input = this.plan(node.input)
      // several keys: a compiled string per row as the Map key, not the JSON of the key array
      const group = node.groupBy.length > 1 ? compileKeyExtractor(node.groupBy) as (row: Row) => string : undefined
      partial = input.addOperator<unknown>('sql-aggregate-combine', () => new PartialAggregateOperator({ key, combiner, group }), {}, { parallelism: inheritedParallelism(input.transformation) })
    }
    if (!grouped) {
      return partial.addOperator<Row>('sql-aggregate', () => new FinalAggregateOperator({ grouped: false, combiner }), { estimatedRows: 1 }, { parallelism: 1 })
    }
    // several keys: the raw key is an array; a compiled string of it (not its JSON) is hashed and grouped
    const rawGroup = node.groupBy.length > 1 ? compileKeyExtractor(node.groupBy.map((g, i) => inputRef(i, g.type, g.nullable))) as (raw: unknown) => string : undefined
    const shuffleKey: ResolvedKey<Partial> = rawGroup === undefined ? PARTIAL_KEY : { select: p => rawGroup(p[0]), columns: undefined }
    const shuffled = new DataSet<Partial>(this.#ctx.env, (partial as unknown as DataSet<Partial>).partitionByKey(shuffleKey))
    return shuffled.addOperator<Row>('sql-aggregate', () => new FinalAggregateOperator({ grouped: true, combiner, group: rawGroup }))
  }

  #join (node: Extract<LogicalPlan, { kind: 'join' }>): DataSet<Row> {
    const left = this.plan(node.left)
    const right = this.plan(node.right)
    const leftWidth = node.left.columns.length
    const rightWidth = node.right.columns.length
    if (node.join === 'semi' || node.join === 'anti') return semiJoin(node, left, right)
    const pair = node.outputs === undefined ? (l: Row | null, r: Row | null): Row => concatRows(l, r, leftWidth, rightWidth) : pickColumns(node.outputs, leftWidth)
    if (node.leftKeys.length === 0) {
      // a cross join (or a join on nothing): every pair, then the condition
      const crossed = left.cross(right, { maxRows: SQL_CROSS_MAX_ROWS }).with((l: Row, r: Row) => pair(l, r))
      if (node.join !== 'cross' && node.join !== 'inner') {
        // an outer join on no equality: every row is in one group
        const one = constant(1, 'INTEGER')
        return outerJoinWithCondition({ ...node, leftKeys: [one], rightKeys: [one] }, left, right, node.condition === undefined ? () => true : compileRowPredicate(node.condition))
      }
      return node.condition === undefined ? crossed : crossed.filter(compileRowPredicate(node.condition))
    }
    const lk = nullableKey(compileKeyExtractor(node.leftKeys), node.leftKeys.length)
    const rk = nullableKey(compileKeyExtractor(node.rightKeys), node.rightKeys.length)
    const strategy = node.strategy === 'broadcast-left'
      ? 'broadcast-first'
      : node.strategy === 'broadcast-right' ? 'broadcast-second' : undefined
    // with no shared upstream the build side can be read first without any risk of a deadlock
    const buildFirst = !sharesUpstream(node.left, node.right)
    const options = { ...(strategy === undefined ? {} : { strategy: strategy as 'broadcast-first' | 'broadcast-second' }), buildFirst }
    const residual = node.condition === undefined ? undefined : compileRowPredicate(node.condition)
    if (node.strategy === 'co-located' && node.partitions !== undefined && node.join !== 'cross') {
      // both sides are read partition by partition where the keys already are: forward edges, no shuffle
      const init = { kind: node.join, buildSide: (estimate(node.right) <= estimate(node.left) ? 1 : 0) as 0 | 1, leftKey: lk, rightKey: rk, fn: pair, buildFirst }
      const t = this.#ctx.env.addTransformation({ kind: 'operator', name: 'sql-colocated-join', inputs: [left.transformation, right.transformation], factory: () => new HashJoinOperator(init) })
      t.parallelism = node.partitions
      const joined = left.derive<Row>(t, {})
      return residual === undefined ? joined : joined.filter(residual)
    }
    if (node.join === 'inner' || node.join === 'cross') {
      const joined = left.join(right, options).where(lk).equalTo(rk).with(pair)
      return residual === undefined ? joined : joined.filter(residual)
    }
    if (residual !== undefined) return outerJoinWithCondition(node, left, right, residual)
    const builder = node.join === 'left' ? left.leftOuterJoin(right, options) : node.join === 'right' ? left.rightOuterJoin(right, options) : left.fullOuterJoin(right, options)
    return (builder.where(lk).equalTo(rk) as { with: <O>(fn: (l: Row | null, r: Row | null) => O) => DataSet<O> }).with(pair)
  }

  #sort (node: Extract<LogicalPlan, { kind: 'sort' }>): DataSet<Row> {
    const input = this.plan(node.input)
    const { key: keyOf, compare: compareRows } = compileSortKeys(node.keys)
    const compare = compareRows as (a: unknown, b: unknown) => number
    const p = input.props.ordered === true ? 1 : inheritedParallelism(input.transformation)
    const local = input.addOperator<unknown>('sql-sort-local', () => new SortOperator({ phase: 'local', key: keyOf, direction: 'asc', compare }), {}, { parallelism: p })
    const sorted = local.addOperator<Row>('sql-sort', () => new SortOperator({ phase: 'merge', key: keyOf, direction: 'asc', compare }),
      { estimatedRows: input.props.estimatedRows, ordered: true }, { parallelism: 1 })
    return node.limit === undefined && node.offset === 0 ? sorted : limitRows(sorted, node.limit, node.offset)
  }
}

/** Whether two plans read a common node (a CTE read by both): their jobs then share an upstream operator. */
function sharesUpstream (a: LogicalPlan, b: LogicalPlan): boolean {
  const seen = new Set<LogicalPlan>()
  const collect = (p: LogicalPlan): void => {
    if (seen.has(p)) return
    seen.add(p)
    for (const c of p.kind === 'join' ? [p.left, p.right] : p.kind === 'union' ? p.inputs : 'input' in p ? [p.input] : []) collect(c)
  }
  collect(a)
  const shared = (p: LogicalPlan): boolean => seen.has(p) || (p.kind === 'join' ? [p.left, p.right] : p.kind === 'union' ? p.inputs : 'input' in p ? [p.input] : []).some(shared)
  return shared(b)
}

/** A key that is null when any part of it is (SQL: NULL never joins). */
function nullableKey (key: (row: Row) => unknown, parts: number): (row: Row) => unknown {
  return row => {
    const k = key(row)
    return keyHasNull(k, parts) ? null : k
  }
}

const pickers = new Map<string, (l: Row | null, r: Row | null) => Row>()

/** A join's output row of only the columns `outputs` names in (left ++ right), compiled once per shape. */
function pickColumns (outputs: readonly number[], leftWidth: number): (l: Row | null, r: Row | null) => Row {
  const key = `${leftWidth}:${outputs.join(',')}`
  let f = pickers.get(key)
  if (f !== undefined) return f
  const parts = outputs.map(i => i < leftWidth ? `l === null ? null : l[${i}]` : `r === null ? null : r[${i - leftWidth}]`)
  // eslint-disable-next-line no-new-func -- only integer positions enter the code
  f = new Function('l', 'r', `return [${parts.join(', ')}]`) as (l: Row | null, r: Row | null) => Row
  if (pickers.size < 512) pickers.set(key, f)
  return f
}

/** The left row's columns then the right row's (NULLs for a missing side). */
function concatRows (l: Row | null, r: Row | null, leftWidth: number, rightWidth: number): Row {
  const out = new Array<unknown>(leftWidth + rightWidth)
  for (let i = 0; i < leftWidth; i++) out[i] = l === null ? null : l[i]
  for (let i = 0; i < rightWidth; i++) out[leftWidth + i] = r === null ? null : r[i]
  return out
}

/**
 * IN / NOT IN (SELECT …) as a coGroup on the key: each left row is tagged with whether its
 * key has a right row; a semi join keeps the matched ones, an anti join the others. A NULL
 * key never matches. NOT IN is null-aware (SQL): when the subquery yields a NULL nothing
 * passes, and a left row with a NULL key passes only when the subquery is empty — so it
 * is crossed with a one-row summary of the right side (NULLs seen, rows seen).
 */
function semiJoin (node: Extract<LogicalPlan, { kind: 'join' }>, left: DataSet<Row>, right: DataSet<Row>): DataSet<Row> {
  const parts = node.leftKeys.length
  const lk = compileKeyExtractor(node.leftKeys)
  const rk = compileKeyExtractor(node.rightKeys)
  const isNull = (k: unknown): boolean => keyHasNull(k, parts)
  const orNull = (f: (row: Row) => unknown) => (row: Row): unknown => { const k = f(row); return isNull(k) ? null : k }
  const tagged = left.coGroup(right).where(orNull(lk)).equalTo(orNull(rk))
    .with((_key: unknown, ls: readonly Row[], rs: readonly Row[]): [Row, boolean][] => {
      const matched = rs.length > 0
      return ls.map(l => [l, matched && !isNull(lk(l))])
    })
  if (node.join === 'semi') return tagged.filter(t => t[1]).map(t => t[0])
  if (!node.nullAware) return tagged.filter(t => !t[1]).map(t => t[0])
  const summary = right.combineAll<[number, number]>('sql-not-in-summary', {
    first: (r: Row) => [isNull(rk(r)) ? 1 : 0, 1] as [number, number],
    add: (acc: [number, number], r: Row) => [acc[0] + (isNull(rk(r)) ? 1 : 0), acc[1] + 1] as [number, number],
    merge: (a: [number, number], b: [number, number]) => [a[0] + b[0], a[1] + b[1]] as [number, number],
    result: (_k: unknown, acc: [number, number]) => acc,
    empty: () => [0, 0] as [number, number]
  })
  return tagged.cross(summary, { maxRows: Number.MAX_SAFE_INTEGER }).with((t: [Row, boolean], s: [number, number]) => {
    const [l, matched] = t
    const [nulls, rows] = s
    if (rows === 0) return l
    if (nulls > 0 || matched || isNull(lk(l))) return null
    return l
  }).filter(l => l !== null) as DataSet<Row>
}

/**
 * An outer join whose ON has more than equalities: a coGroup on the keys, where each
 * preserved row pairs with the other side's rows of its key that pass the condition, or
 * with NULLs when none does (a NULL key matches nothing).
 */
function outerJoinWithCondition (node: Extract<LogicalPlan, { kind: 'join' }>, left: DataSet<Row>, right: DataSet<Row>, residual: (row: Row) => boolean): DataSet<Row> {
  const parts = node.leftKeys.length
  const lk = compileKeyExtractor(node.leftKeys)
  const rk = compileKeyExtractor(node.rightKeys)
  const lw = node.left.columns.length
  const rw = node.right.columns.length
  const keepLeft = node.join === 'left' || node.join === 'full'
  const keepRight = node.join === 'right' || node.join === 'full'
  const outputs = node.outputs
  const shape = outputs === undefined ? (row: Row): Row => row : (row: Row): Row => outputs.map(i => row[i])
  return left.coGroup(right).where(lk).equalTo(rk).with((key: unknown, ls: readonly Row[], rs: readonly Row[]): Row[] => {
    const out: Row[] = []
    const nullKey = keyHasNull(key, parts)
    const rightMatched = new Uint8Array(rs.length)
    for (const l of ls) {
      let any = false
      if (!nullKey) {
        for (let j = 0; j < rs.length; j++) {
          const row = concatRows(l, rs[j]!, lw, rw)
          if (residual(row)) { out.push(shape(row)); any = true; rightMatched[j] = 1 }
        }
      }
      if (!any && keepLeft) out.push(shape(concatRows(l, null, lw, rw)))
    }
    if (keepRight) for (let j = 0; j < rs.length; j++) if (rightMatched[j] === 0) out.push(shape(concatRows(null, rs[j]!, lw, rw)))
    return out
  })
}

/** LIMIT/OFFSET: the first offset + limit rows (in order when sorted), then offset of them dropped. */
function limitRows (input: DataSet<Row>, limit: number | undefined, offset: number): DataSet<Row> {
  if (limit === 0) return input.filter(() => false)
  const first = limit === undefined ? input : input.first(limit + offset)
  if (offset === 0) return first
  const ordered = first.props.ordered === true
  return first.addOperator<Row>('sql-offset', () => new MapPartitionOperator((rows: Iterable<Row>) => dropFirst(rows, offset)),
    { ordered: true }, { parallelism: ordered || limit !== undefined ? 1 : 1 })
}

function * dropFirst (rows: Iterable<Row>, n: number): Iterable<Row> {
  let i = 0
  for (const r of rows) if (i++ >= n) yield r
}

/**
 * The scan below an aggregate when the aggregation can run in it: the input is a scan, or
 * a projection of one (its expressions substituted into the keys and aggregates).
 */
function fusedScan (node: Extract<LogicalPlan, { kind: 'aggregate' }>): { scan: Extract<LogicalPlan, { kind: 'scan' }>, groupBy: BoundExpr[], aggregates: Extract<LogicalPlan, { kind: 'aggregate' }>['aggregates'] } | undefined {
  let groupBy = [...node.groupBy]
  let aggregates = node.aggregates
  let below = node.input
  if (below.kind === 'project') {
    const exprs = below.exprs
    const sub = (e: BoundExpr): BoundExpr => substitute(e, exprs)
    groupBy = groupBy.map(sub)
    aggregates = aggregates.map(a => a.arg === undefined ? a : { ...a, arg: sub(a.arg) })
    below = below.input
  }
  if (below.kind !== 'scan') return undefined
  return { scan: below, groupBy, aggregates }
}

