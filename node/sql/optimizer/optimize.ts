/**
 * The rule-based optimizer: constant folding, predicate push-down (into joins, where
 * cross-side equalities become join keys, and into dataset scans, where they prune
 * segments), folding again what push-down substituted, join reordering by size (largest
 * input first, then the smallest connected one), projection push-down (scans read only the
 * columns the query needs), and the choice of each join's strategy.
 *
 * @example
 * const optimized = optimize(bindQuery(ast, env))
 */
import type { LogicalPlan } from '../logical-plan.ts'
import { foldConstants } from './fold-constants.ts'
import { pushFilters } from './push-filters.ts'
import { pruneColumns } from './prune-columns.ts'
import { chooseJoinStrategies } from './join-strategy.ts'
import { reorderJoins } from './reorder-joins.ts'
import { scanPredicate } from './scan-predicate.ts'
import { transformUp } from './plan-walk.ts'

/** The plan after every rule (see the module comment). */
export function optimize (plan: LogicalPlan, options: { parallelism?: number, broadcastMaxRows?: number } = {}): LogicalPlan {
  let p = foldConstants(plan)
  p = pushFilters(p)
  p = foldConstants(p)
  p = transformUp(p, n => n.kind === 'scan' ? { ...n, predicate: scanPredicate(n.filter, n.columns) } : n)
  p = reorderJoins(p)
  p = pruneColumns(p)
  return chooseJoinStrategies(p, options)
}
