/**
 * EXPLAIN's text: the optimized logical plan as an indented tree (each operator with its
 * expressions written with its input's column names, scans with the columns they read,
 * their filter, the predicate that prunes segments and the estimated rows), then the
 * physical plan — the job's tasks (chained operators), their parallelism and the edges
 * between them (forward, hash shuffle, broadcast).
 *
 * @example
 * console.log(explainLogical(plan))
 */
import type { AggregateCall } from './bound-expression.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { JobGraph } from '../graph/job-graph.ts'
import { formatExpr } from './bound-expression.ts'
import { estimateRows } from './optimizer/join-strategy.ts'

function names (plan: LogicalPlan): string[] {
  return plan.columns.map(c => c.name)
}

function aggregateText (a: AggregateCall, inputNames: readonly string[]): string {
  if (a.fn === 'count_star') return 'count(*)'
  return `${a.fn}(${a.distinct ? 'DISTINCT ' : ''}${a.arg === undefined ? '' : formatExpr(a.arg, inputNames)})`
}

function line (plan: LogicalPlan): string {
  const rows = `  (≈${Math.round(estimateRows(plan)).toLocaleString('en-US')} rows)`
  switch (plan.kind) {
    case 'scan': {
      const parts = [`Scan ${plan.table}${plan.version === undefined ? '' : `@${plan.version}`} [${names(plan).join(', ')}]`]
      if (plan.filter !== undefined) parts.push(`filter ${formatExpr(plan.filter, names(plan))}`)
      if (plan.predicate !== undefined) parts.push(`prune ${JSON.stringify(plan.predicate, (_k, v) => typeof v === 'bigint' ? `${v}n` : v)}`)
      return parts.join(' ') + rows
    }
    case 'table': return `Table ${plan.table} [${names(plan).join(', ')}]${plan.bounded ? '' : ' (unbounded)'}`
    case 'values': return `Values ${plan.rows.length} rows`
    case 'filter': return `Filter ${formatExpr(plan.condition, names(plan.input))}${rows}`
    case 'project': return `Project ${plan.exprs.map((e, i) => {
      const text = formatExpr(e, names(plan.input))
      return text === plan.columns[i]!.name ? text : `${text} AS ${plan.columns[i]!.name}`
    }).join(', ')}`
    case 'aggregate': return `Aggregate keys [${plan.groupBy.map(e => formatExpr(e, names(plan.input))).join(', ')}] aggregates [${plan.aggregates.map(a => aggregateText(a, names(plan.input))).join(', ')}]${rows}`
    case 'window-aggregate': return `WindowAggregate ${JSON.stringify(plan.window)} keys [${plan.groupBy.map(e => formatExpr(e, names(plan.input))).join(', ')}] aggregates [${plan.aggregates.map(a => aggregateText(a, names(plan.input))).join(', ')}]`
    case 'join': {
      const both = [...names(plan.left), ...names(plan.right)]
      const keys = plan.leftKeys.map((k, i) => `${formatExpr(k, names(plan.left))} = ${formatExpr(plan.rightKeys[i]!, names(plan.right))}`)
      return `Join ${plan.join}${plan.strategy === undefined ? '' : ` (${plan.strategy})`}${keys.length === 0 ? '' : ` on ${keys.join(' AND ')}`}${plan.condition === undefined ? '' : ` where ${formatExpr(plan.condition, both)}`}${rows}`
    }
    case 'sort': return `Sort ${plan.keys.map(k => `${formatExpr(k.expr, names(plan.input))} ${k.descending ? 'DESC' : 'ASC'}${k.nullsFirst ? ' NULLS FIRST' : ''}`).join(', ')}${plan.limit === undefined ? '' : ` LIMIT ${plan.limit}`}${plan.offset > 0 ? ` OFFSET ${plan.offset}` : ''}`
    case 'limit': return `Limit ${plan.limit ?? 'ALL'}${plan.offset > 0 ? ` OFFSET ${plan.offset}` : ''}`
    case 'distinct': return 'Distinct'
    case 'union': return `Union${plan.all ? ' ALL' : ''}`
  }
}

function children (plan: LogicalPlan): LogicalPlan[] {
  switch (plan.kind) {
    case 'scan': case 'table': case 'values': return []
    case 'join': return [plan.left, plan.right]
    case 'union': return [...plan.inputs]
    default: return [plan.input]
  }
}

/** The logical plan as an indented tree. */
export function explainLogical (plan: LogicalPlan): string {
  const out: string[] = []
  const visit = (p: LogicalPlan, depth: number): void => {
    out.push(`${'  '.repeat(depth)}${line(p)}`)
    for (const c of children(p)) visit(c, depth + 1)
  }
  visit(plan, 0)
  return out.join('\n')
}

/** The job graph: one line per task (its chained operators, parallelism) and its inputs. */
export function explainPhysical (graph: JobGraph): string {
  const out: string[] = []
  const index = new Map(graph.vertices.map((v, i) => [v.id, i + 1]))
  for (const [i, v] of graph.vertices.entries()) {
    const inputs = v.inputs.map(e => `#${index.get(e.from.id)} ${e.partition}`).join(', ')
    out.push(`#${i + 1} ${v.operators.map(o => o.name).join(' -> ')}  (parallelism ${v.parallelism})${inputs === '' ? '' : `  <- ${inputs}`}`)
  }
  return out.join('\n')
}
