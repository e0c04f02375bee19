/**
 * Predicate push-down: every conjunct of a filter moves as far down the plan as it stays
 * correct — through projections (its columns replaced by their expressions), DISTINCT,
 * sorts without a limit and UNION ALL, below an aggregation when it reads only group keys,
 * into the side of a join it reads (the preserved side of an outer join only), and into
 * dataset scans, where it also becomes the storage predicate that prunes segments. An
 * equality across the two sides of a cross or inner join becomes a join key, which is how
 * `FROM a, b WHERE a.k = b.k` becomes a hash join.
 *
 * @example
 * const pushed = pushFilters(plan)
 */
import type { BoundExpr } from '../bound-expression.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import { inputsOf, remapInputs, substitute } from '../bound-expression.ts'
import { andOf, conjuncts, splitJoinCondition } from '../binder/bind-query.ts'
import { scanPredicate } from './scan-predicate.ts'

/** The plan with its filters pushed down (see the module comment). */
export function pushFilters (plan: LogicalPlan): LogicalPlan {
  return push(plan, [], new Map())
}

function on (plan: LogicalPlan, preds: readonly BoundExpr[]): LogicalPlan {
  const condition = andOf(preds)
  return condition === undefined ? plan : { kind: 'filter', input: plan, condition, columns: plan.columns }
}

function push (plan: LogicalPlan, preds: readonly BoundExpr[], shared: Map<LogicalPlan, LogicalPlan>): LogicalPlan {
  // a node read twice (a CTE) is pushed into once, with nothing from above
  if (preds.length === 0) {
    const done = shared.get(plan)
    if (done !== undefined) return done
    const out = pushInto(plan, [], shared)
    shared.set(plan, out)
    return out
  }
  return pushInto(plan, preds, shared)
}

function pushInto (plan: LogicalPlan, preds: readonly BoundExpr[], shared: Map<LogicalPlan, LogicalPlan>): LogicalPlan {
  switch (plan.kind) {
    // a conjunct folded to TRUE filters nothing
    case 'filter': return push(plan.input, [...preds, ...conjuncts(plan.condition).filter(c => !(c.kind === 'const' && c.value === true))], shared)
    case 'scan': {
      const all = [...(plan.filter === undefined ? [] : conjuncts(plan.filter)), ...preds]
      const filter = andOf(all)
      return { ...plan, filter, predicate: scanPredicate(filter, plan.columns) }
    }
    case 'project': {
      const below = preds.map(p => substitute(p, plan.exprs))
      return { ...plan, input: push(plan.input, below, shared) }
    }
    case 'distinct': return { ...plan, input: push(plan.input, preds, shared) }
    case 'sort':
      if (plan.limit !== undefined || plan.offset > 0) return on({ ...plan, input: push(plan.input, [], shared) }, preds)
      return { ...plan, input: push(plan.input, preds, shared) }
    case 'union': return { ...plan, inputs: plan.inputs.map(i => push(i, preds, shared)) }
    case 'aggregate': {
      const keys = plan.groupBy.length
      const down: BoundExpr[] = []
      const up: BoundExpr[] = []
      for (const p of preds) {
        if (keys > 0 && [...inputsOf(p)].every(i => i < keys)) down.push(substitute(p, plan.groupBy))
        else up.push(p)
      }
      return on({ ...plan, input: push(plan.input, down, shared) }, up)
    }
    case 'join': return pushJoin(plan, preds, shared)
    case 'limit': return on({ ...plan, input: push(plan.input, [], shared) }, preds)
    case 'window-aggregate': return on({ ...plan, input: push(plan.input, [], shared) }, preds)
    case 'values':
    case 'table': return on(plan, preds)
  }
}

function pushJoin (plan: Extract<LogicalPlan, { kind: 'join' }>, preds: readonly BoundExpr[], shared: Map<LogicalPlan, LogicalPlan>): LogicalPlan {
  const width = plan.left.columns.length
  const toLeft: BoundExpr[] = []
  const toRight: BoundExpr[] = []
  const cross: BoundExpr[] = []
  const above: BoundExpr[] = []
  const kind = plan.join
  // semi and anti joins output the left row only: every predicate reads the left side
  const leftOk = kind === 'inner' || kind === 'cross' || kind === 'left' || kind === 'semi' || kind === 'anti'
  const rightOk = kind === 'inner' || kind === 'cross' || kind === 'right'
  for (const p of preds) {
    const used = [...inputsOf(p)]
    if (used.length > 0 && used.every(i => i < width) && leftOk) toLeft.push(p)
    else if (used.length > 0 && used.every(i => i >= width) && rightOk) toRight.push(remapInputs(p, i => i - width))
    else if ((kind === 'inner' || kind === 'cross') && used.length > 0) cross.push(p)
    else above.push(p)
  }
  let { leftKeys, rightKeys, condition, join } = plan
  if (kind === 'inner' || kind === 'cross') {
    // the join's own non-key condition is a filter like any other for an inner join
    const residual = [...cross, ...(condition === undefined ? [] : conjuncts(condition))]
    const merged = andOf(residual)
    if (merged !== undefined) {
      const split = splitJoinCondition(merged, width)
      leftKeys = [...leftKeys, ...split.leftKeys]
      rightKeys = [...rightKeys, ...split.rightKeys]
      condition = split.residual
    }
    if (join === 'cross' && leftKeys.length > 0) join = 'inner'
  }
  const left = push(plan.left, toLeft, shared)
  const right = push(plan.right, toRight, shared)
  return on({ ...plan, join, left, right, leftKeys, rightKeys, condition }, above)
}
