/**
 * How each join runs: two scans hash-partitioned alike on the join key, at the job's
 * parallelism, join where they are (co-located: no shuffle at all); else the smaller side of an equi-join is broadcast to every subtask when
 * it is estimated at most BROADCAST_MAX_ROWS rows and the join kind allows it (an outer
 * join may broadcast only the side whose unmatched rows it drops), so the large side is
 * never shuffled; otherwise both sides are repartitioned by key. Sizes are estimates from
 * the datasets' row counts (see estimateRows).
 *
 * @example
 * const planned = chooseJoinStrategies(plan)
 */
import type { LogicalPlan } from '../logical-plan.ts'
import { conjuncts } from '../binder/bind-query.ts'
import { transformUp } from './plan-walk.ts'

/** The largest side (estimated rows) a join broadcasts. */
export const BROADCAST_MAX_ROWS = 100_000

/**
 * A rough row count: a dataset's rows, times 1/10 per equality and 1/3 per other
 * conjunct of its filter (at least 1); a join the larger side; an aggregation a tenth of
 * its input (one row without keys); LIMIT its limit.
 */
export function estimateRows (plan: LogicalPlan): number {
  switch (plan.kind) {
    case 'scan': return Math.max(1, plan.rows * selectivity(plan.filter))
    case 'table': return plan.rows ?? 1_000_000
    case 'values': return plan.rows.length
    case 'filter': return Math.max(1, estimateRows(plan.input) * selectivity(plan.condition))
    case 'project':
    case 'sort':
    case 'distinct': return estimateRows(plan.input)
    case 'limit': return Math.min(plan.limit ?? Infinity, estimateRows(plan.input))
    case 'aggregate':
    case 'window-aggregate': return plan.groupBy.length === 0 ? 1 : Math.max(1, estimateRows(plan.input) / 10)
    case 'union': return plan.inputs.reduce((n, i) => n + estimateRows(i), 0)
    case 'join': {
      const l = estimateRows(plan.left)
      const r = estimateRows(plan.right)
      if (plan.join === 'semi' || plan.join === 'anti') return l
      if (plan.leftKeys.length === 0) return plan.join === 'cross' || plan.join === 'inner' ? l * r : l
      // |L ⋈ R| ≈ |L|·|R| / max(distinct keys of either side), the most selective key pair counting
      let divisor = 1
      plan.leftKeys.forEach((k, i) => {
        divisor = Math.max(divisor, distinctOf(plan.left, k, l), distinctOf(plan.right, plan.rightKeys[i]!, r))
      })
      const inner = (l * r) / divisor
      if (plan.join === 'left') return Math.max(l, inner)
      if (plan.join === 'right') return Math.max(r, inner)
      if (plan.join === 'full') return Math.max(l, r, inner)
      return Math.max(1, inner)
    }
  }
}

/** The scan column a plan's column comes from, through filters, projections of columns and joins. */
function columnOrigin (plan: LogicalPlan, index: number): { scan: Extract<LogicalPlan, { kind: 'scan' }>, column: string } | undefined {
  switch (plan.kind) {
    case 'join': {
      const w = plan.left.columns.length
      const i = plan.outputs === undefined ? index : plan.outputs[index]!
      return i < w ? columnOrigin(plan.left, i) : plan.join === 'semi' || plan.join === 'anti' ? undefined : columnOrigin(plan.right, i - w)
    }
    case 'sort': case 'limit': case 'distinct': return columnOrigin(plan.input, index)
    case 'scan': case 'filter': case 'project': {
      const s = sourceColumn(plan, index)
      if (s !== undefined || plan.kind === 'scan') return s
      if (plan.kind === 'filter') return columnOrigin(plan.input, index)
      const e = plan.exprs[index]
      return e?.kind === 'input' ? columnOrigin(plan.input, e.index) : undefined
    }
    default: return undefined
  }
}

/** The estimated distinct values of a key over a plan of `rows` rows: its scan column's estimate, else every row distinct. */
function distinctOf (plan: LogicalPlan, key: Parameters<typeof conjuncts>[0], rows: number): number {
  if (key.kind !== 'input') return rows
  const source = columnOrigin(plan, key.index)
  const d = source?.scan.distinct?.[source.column]
  return d === undefined ? rows : Math.min(d, rows)
}

function selectivity (filter: Parameters<typeof conjuncts>[0] | undefined): number {
  if (filter === undefined) return 1
  let s = 1
  for (const c of conjuncts(filter)) s *= c.kind === 'call' && c.fn === 'eq' ? 0.1 : 1 / 3
  return s
}

/**
 * The scan a key column comes from unchanged (through filters and projections of plain
 * columns, which run chained to the scan at its parallelism), with that column's name.
 */
function sourceColumn (plan: LogicalPlan, index: number): { scan: Extract<LogicalPlan, { kind: 'scan' }>, column: string } | undefined {
  switch (plan.kind) {
    case 'scan': return { scan: plan, column: plan.columns[index]!.name }
    case 'filter': return sourceColumn(plan.input, index)
    case 'project': {
      const e = plan.exprs[index]
      return e?.kind === 'input' ? sourceColumn(plan.input, e.index) : undefined
    }
    default: return undefined
  }
}

/**
 * The parallelism of a join whose two sides are scans hash-partitioned on their key column
 * into the same number of partitions (the same key type on both sides, so equal keys hash
 * alike): partition q of both is read by scan subtask q % parallelism (split i goes to
 * subtask i % parallelism on both sides), so join subtask s meets every key of its
 * partitions from both sides, and nothing is shuffled.
 */
function colocated (node: Extract<LogicalPlan, { kind: 'join' }>, parallelism: number | undefined): number | undefined {
  if (parallelism === undefined || node.leftKeys.length !== 1) return undefined
  const lk = node.leftKeys[0]!
  const rk = node.rightKeys[0]!
  if (lk.kind !== 'input' || rk.kind !== 'input' || lk.type !== rk.type) return undefined
  const l = sourceColumn(node.left, lk.index)
  const r = sourceColumn(node.right, rk.index)
  if (l === undefined || r === undefined) return undefined
  const lp = l.scan.partitioning
  const rp = r.scan.partitioning
  if (lp.kind !== 'hash' || rp.kind !== 'hash' || lp.column !== l.column || rp.column !== r.column) return undefined
  if (lp.partitions !== rp.partitions) return undefined
  return parallelism
}

/** Every equi-join with its strategy chosen (see the module comment). */
export function chooseJoinStrategies (plan: LogicalPlan, options: { parallelism?: number, broadcastMaxRows?: number } = {}): LogicalPlan {
  const broadcastMax = options.broadcastMaxRows ?? BROADCAST_MAX_ROWS
  return transformUp(plan, node => {
    if (node.kind !== 'join' || node.leftKeys.length === 0 || node.strategy !== undefined) return node
    if (node.join === 'semi' || node.join === 'anti') return node
    if (node.condition === undefined || node.join === 'inner') {
      const partitions = colocated(node, options.parallelism)
      if (partitions !== undefined) return { ...node, strategy: 'co-located', partitions }
    }
    if (node.join === 'full') return node
    const l = estimateRows(node.left)
    const r = estimateRows(node.right)
    const canRight = node.join === 'inner' || node.join === 'left'
    const canLeft = node.join === 'inner' || node.join === 'right'
    if (canRight && r <= broadcastMax && (r <= l || !canLeft)) return { ...node, strategy: 'broadcast-right' }
    if (canLeft && l <= broadcastMax) return { ...node, strategy: 'broadcast-left' }
    return { ...node, strategy: 'shuffle' }
  })
}
