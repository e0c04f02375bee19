/**
 * Walking a logical plan: rebuilding it with every expression (or every child) mapped,
 * keeping shared nodes shared (a CTE named twice stays one node).
 *
 * @example
 * const folded = mapExpressions(plan, foldExpression)
 */
import type { AggregateCall, BoundExpr } from '../bound-expression.ts'
import type { LogicalPlan } from '../logical-plan.ts'

/** The children of a node. */
export function childrenOf (plan: LogicalPlan): LogicalPlan[] {
  switch (plan.kind) {
    case 'scan': case 'table': case 'values': return []
    case 'join': return [plan.left, plan.right]
    case 'union': return [...plan.inputs]
    default: return [plan.input]
  }
}

/** The node with its children replaced (in childrenOf's order). */
export function withChildren (plan: LogicalPlan, children: readonly LogicalPlan[]): LogicalPlan {
  switch (plan.kind) {
    case 'scan': case 'table': case 'values': return plan
    case 'join': return { ...plan, left: children[0]!, right: children[1]! }
    case 'union': return { ...plan, inputs: children }
    default: return { ...plan, input: children[0]! } as LogicalPlan
  }
}

/** Rebuilds the plan bottom-up through `f`, each shared node once. */
export function transformUp (plan: LogicalPlan, f: (node: LogicalPlan) => LogicalPlan, memo = new Map<LogicalPlan, LogicalPlan>()): LogicalPlan {
  const done = memo.get(plan)
  if (done !== undefined) return done
  const children = childrenOf(plan)
  const mapped = children.map(c => transformUp(c, f, memo))
  const rebuilt = mapped.every((c, i) => c === children[i]) ? plan : withChildren(plan, mapped)
  const out = f(rebuilt)
  memo.set(plan, out)
  return out
}

function mapAggregate (a: AggregateCall, f: (e: BoundExpr) => BoundExpr): AggregateCall {
  return a.arg === undefined ? a : { ...a, arg: f(a.arg) }
}

/** Every expression of every node mapped through `f`. */
export function mapExpressions (plan: LogicalPlan, f: (e: BoundExpr) => BoundExpr): LogicalPlan {
  return transformUp(plan, node => {
    switch (node.kind) {
      case 'scan': return node.filter === undefined ? node : { ...node, filter: f(node.filter) }
      case 'values': return { ...node, rows: node.rows.map(r => r.map(f)) }
      case 'filter': return { ...node, condition: f(node.condition) }
      case 'project': return { ...node, exprs: node.exprs.map(f) }
      case 'aggregate': return { ...node, groupBy: node.groupBy.map(f), aggregates: node.aggregates.map(a => mapAggregate(a, f)) }
      case 'window-aggregate': return { ...node, groupBy: node.groupBy.map(f), aggregates: node.aggregates.map(a => mapAggregate(a, f)) }
      case 'join': return { ...node, leftKeys: node.leftKeys.map(f), rightKeys: node.rightKeys.map(f), condition: node.condition === undefined ? undefined : f(node.condition) }
      case 'sort': return { ...node, keys: node.keys.map(k => ({ ...k, expr: f(k.expr) })) }
      default: return node
    }
  })
}
