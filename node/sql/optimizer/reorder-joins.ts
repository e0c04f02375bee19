/**
 * Join reordering by size: a tree of three or more inner joins (how `FROM a, b, c WHERE …`
 * arrives after push-down) is rebuilt left-deep, starting from the largest input, which
 * then flows through every join without being shuffled or built into a hash table, and
 * adding at each step the smallest input connected to what is joined so far by an
 * equality the one whose join is estimated smallest (|L|·|R| / the larger distinct count
 * of the keys, see estimateRows; an input connected to nothing comes last, as a cross
 * join). Small inputs are then built (or broadcast, see join-strategy.ts), and a join on a
 * low-cardinality column (which multiplies rows) waits until the inputs that make it a
 * filter are joined.
 * Every join condition is applied at the first join where all its columns are present,
 * and a projection restores the columns' original order on top.
 *
 * @example
 * const reordered = reorderJoins(pushFilters(plan))
 */
import type { BoundExpr } from '../bound-expression.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import { call, input, inputsOf, remapInputs } from '../bound-expression.ts'
import { andOf, conjuncts, splitJoinCondition } from '../binder/bind-query.ts'
import { estimateRows } from './join-strategy.ts'
import { childrenOf, withChildren } from './plan-walk.ts'

interface Leaf {
  readonly plan: LogicalPlan
  /** Where its columns start in the flattened row. */
  readonly offset: number
  readonly width: number
  readonly rows: number
}

function isInner (p: LogicalPlan): p is Extract<LogicalPlan, { kind: 'join' }> {
  return p.kind === 'join' && (p.join === 'inner' || p.join === 'cross') && p.strategy === undefined
}

/** The inputs of a tree of inner joins and its conditions over their concatenated columns. */
function flatten (plan: LogicalPlan, base: number, leaves: Leaf[], conditions: BoundExpr[]): void {
  if (!isInner(plan)) {
    leaves.push({ plan, offset: base, width: plan.columns.length, rows: estimateRows(plan) })
    return
  }
  const width = plan.left.columns.length
  flatten(plan.left, base, leaves, conditions)
  flatten(plan.right, base + width, leaves, conditions)
  const shift = (e: BoundExpr, by: number): BoundExpr => remapInputs(e, i => i + by)
  plan.leftKeys.forEach((k, i) => { conditions.push(call('eq', [shift(k, base), shift(plan.rightKeys[i]!, base + width)], 'BOOLEAN')) })
  if (plan.condition !== undefined) conditions.push(...conjuncts(shift(plan.condition, base)))
}

/** Rebuilds one tree of inner joins (see the module comment); `visit` reorders below its inputs. */
function reorder (plan: Extract<LogicalPlan, { kind: 'join' }>, visit: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  const flat: Leaf[] = []
  const conditions: BoundExpr[] = []
  flatten(plan, 0, flat, conditions)
  if (flat.length < 3) return withChildren(plan, [visit(plan.left), visit(plan.right)])
  const leaves = flat.map(l => ({ ...l, plan: visit(l.plan) }))
  const owner = (column: number): number => leaves.findIndex(l => column >= l.offset && column < l.offset + l.width)
  const touches = conditions.map(c => new Set([...inputsOf(c)].map(owner)))
  const placed: number[] = []
  const pending = new Set(conditions.map((_c, i) => i))
  let largest = 0
  leaves.forEach((l, i) => { if (l.rows > leaves[largest]!.rows) largest = i })
  placed.push(largest)
  let current = leaves[largest]!.plan
  // the join of what is placed with leaf `next`: the conditions it completes, as keys and a residual
  const step = (next: number): { plan: LogicalPlan, applied: number[] } => {
    const order = [...placed, next]
    const position = new Map<number, number>()
    let at = 0
    for (const i of order) {
      const l = leaves[i]!
      for (let c = 0; c < l.width; c++) position.set(l.offset + c, at + c)
      at += l.width
    }
    const applied = [...pending].filter(c => [...touches[c]!].every(o => order.includes(o)))
    const merged = andOf(applied.map(c => remapInputs(conditions[c]!, i => position.get(i)!)))
    const split = merged === undefined ? { leftKeys: [], rightKeys: [], residual: undefined } : splitJoinCondition(merged, current.columns.length)
    const right = leaves[next]!.plan
    const joined: LogicalPlan = {
      kind: 'join',
      join: split.leftKeys.length === 0 && split.residual === undefined ? 'cross' : 'inner',
      left: current,
      right,
      leftKeys: split.leftKeys,
      rightKeys: split.rightKeys,
      condition: split.residual,
      strategy: undefined,
      nullAware: false,
      columns: [...current.columns, ...right.columns]
    }
    return { plan: joined, applied }
  }
  while (placed.length < leaves.length) {
    const rest = leaves.map((_l, i) => i).filter(i => !placed.includes(i))
    const connected = rest.filter(i => [...pending].some(c => touches[c]!.has(i) && [...touches[c]!].every(o => o === i || placed.includes(o))))
    const pool = connected.length > 0 ? connected : rest
    // the join that stays smallest (by the estimate from row and distinct counts), the smaller input on a tie
    let best: { next: number, plan: LogicalPlan, applied: number[], rows: number } | undefined
    for (const next of pool) {
      const trial = step(next)
      const rows = estimateRows(trial.plan)
      if (best === undefined || rows < best.rows || (rows === best.rows && leaves[next]!.rows < leaves[best.next]!.rows)) best = { next, ...trial, rows }
    }
    current = best!.plan
    for (const c of best!.applied) pending.delete(c)
    placed.push(best!.next)
  }
  // conditions over no input (constants) are left: a filter on top
  const leftover = andOf([...pending].map(c => conditions[c]!))
  const finalPosition = new Map<number, number>()
  let at = 0
  for (const i of placed) {
    const l = leaves[i]!
    for (let c = 0; c < l.width; c++) finalPosition.set(l.offset + c, at + c)
    at += l.width
  }
  if (leftover !== undefined) current = { kind: 'filter', input: current, condition: remapInputs(leftover, i => finalPosition.get(i)!), columns: current.columns }
  const source = current
  const exprs = plan.columns.map((c, i) => input(finalPosition.get(i)!, source.columns[finalPosition.get(i)!]!.type, c.nullable))
  return { kind: 'project', input: source, exprs, columns: plan.columns }
}

/** Every maximal tree of three or more inner joins reordered (see the module comment). */
export function reorderJoins (plan: LogicalPlan): LogicalPlan {
  const memo = new Map<LogicalPlan, LogicalPlan>()
  // top-down: a tree is rebuilt from its root, so a join below another inner join is part of its tree
  const visit = (p: LogicalPlan): LogicalPlan => {
    const done = memo.get(p)
    if (done !== undefined) return done
    const out = isInner(p) ? reorder(p, visit) : withChildren(p, childrenOf(p).map(visit))
    memo.set(p, out)
    return out
  }
  return visit(plan)
}
