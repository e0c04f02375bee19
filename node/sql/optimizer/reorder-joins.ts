/**
 * Join reordering by size: a tree of three or more inner joins (how `FROM a, b, c WHERE …`
 * arrives after push-down) is rebuilt left-deep, starting from the largest input, which
 * then flows through every join without being shuffled or built into a hash table, and
 * adding at each step the smallest input connected to what is joined so far by an
 * equality the one whose join is estimated smallest (|L|·|R| / the larger distinct count
 * of the keys, see estimateRows; an input connected to nothing comes last, as a cross
 * join). Small inputs are then built (or broadcast, see join-strategy.ts), and a join on a
 * low-cardinality column (which multiplies rows) waits until the inputs that make it a
 * filter are joined. A second plan joins the groups of smaller inputs connected among
 * themselves first (orders with their customers) and each group then once with the
 * largest (a bushy plan, which lets a selective group be broadcast against the largest);
 * the plan whose joins are estimated to move fewer rows is kept.
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

/** A joined group of inputs: its plan, which leaves it holds, and where each flattened column is in its row. */
interface Unit {
  readonly plan: LogicalPlan
  readonly members: ReadonlySet<number>
  /** Flattened column → position in `plan`'s row. */
  readonly position: ReadonlyMap<number, number>
}

interface Problem {
  readonly leaves: readonly Leaf[]
  readonly conditions: readonly BoundExpr[]
  /** The leaves each condition reads. */
  readonly touches: readonly ReadonlySet<number>[]
}

function leafUnit (leaves: readonly Leaf[], i: number): Unit {
  const l = leaves[i]!
  const position = new Map<number, number>()
  for (let c = 0; c < l.width; c++) position.set(l.offset + c, c)
  return { plan: l.plan, members: new Set([i]), position }
}

/** `a ⋈ b` on every pending condition the two complete (removed from `pending` by the caller). */
function joinTwo (p: Problem, a: Unit, b: Unit, pending: ReadonlySet<number>): { unit: Unit, applied: number[] } {
  const members = new Set([...a.members, ...b.members])
  const width = a.plan.columns.length
  const position = new Map(a.position)
  for (const [col, at] of b.position) position.set(col, width + at)
  const applied = [...pending].filter(c => [...p.touches[c]!].every(o => members.has(o)))
  const merged = andOf(applied.map(c => remapInputs(p.conditions[c]!, i => position.get(i)!)))
  const split = merged === undefined ? { leftKeys: [], rightKeys: [], residual: undefined } : splitJoinCondition(merged, width)
  const plan: LogicalPlan = {
    kind: 'join',
    join: split.leftKeys.length === 0 && split.residual === undefined ? 'cross' : 'inner',
    left: a.plan,
    right: b.plan,
    leftKeys: split.leftKeys,
    rightKeys: split.rightKeys,
    condition: split.residual,
    strategy: undefined,
    nullAware: false,
    columns: [...a.plan.columns, ...b.plan.columns]
  }
  return { unit: { plan, members, position }, applied }
}

/**
 * Joins `units` left-deep: the largest first, then at each step the connected unit whose
 * join is estimated smallest (the smaller unit on a tie; an unconnected one only when none
 * is connected).
 */
function greedy (p: Problem, units: readonly Unit[], pending: Set<number>): Unit {
  const rows = (u: Unit): number => estimateRows(u.plan)
  const rest = [...units]
  rest.sort((x, y) => rows(y) - rows(x))
  let current = rest.shift()!
  while (rest.length > 0) {
    const connected = rest.filter(u => [...pending].some(c => [...p.touches[c]!].some(o => u.members.has(o)) && [...p.touches[c]!].every(o => u.members.has(o) || current.members.has(o))))
    const pool = connected.length > 0 ? connected : rest
    let best: { unit: Unit, applied: number[], rows: number, from: Unit } | undefined
    for (const u of pool) {
      const trial = joinTwo(p, current, u, pending)
      const r = rows(trial.unit)
      if (best === undefined || r < best.rows || (r === best.rows && rows(u) < rows(best.from))) best = { ...trial, rows: r, from: u }
    }
    for (const c of best!.applied) pending.delete(c)
    rest.splice(rest.indexOf(best!.from), 1)
    current = best!.unit
  }
  return current
}

/** What a plan's joins cost, estimated: every join's inputs and output, in rows. */
function cost (plan: LogicalPlan): number {
  if (plan.kind !== 'join') return 0
  return estimateRows(plan.left) + estimateRows(plan.right) + estimateRows(plan) + cost(plan.left) + cost(plan.right)
}

/**
 * The other leaves, grouped by the conditions among them that leave the largest out: each
 * group can be joined on its own (a dimension with its own dimensions) before the largest.
 */
function groupsWithout (p: Problem, largest: number): number[][] {
  const others = p.leaves.map((_l, i) => i).filter(i => i !== largest)
  const group = new Map(others.map(i => [i, i]))
  const find = (i: number): number => { let r = i; while (group.get(r) !== r) r = group.get(r)!; return r }
  p.touches.forEach(t => {
    if (t.has(largest) || t.size < 2) return
    const [first, ...rest] = [...t]
    for (const o of rest) group.set(find(o), find(first!))
  })
  const out = new Map<number, number[]>()
  for (const i of others) {
    const r = find(i)
    out.set(r, [...(out.get(r) ?? []), i])
  }
  return [...out.values()]
}

/** Rebuilds one tree of inner joins (see the module comment); `visit` reorders below its inputs. */
function reorder (plan: Extract<LogicalPlan, { kind: 'join' }>, visit: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  const flat: Leaf[] = []
  const conditions: BoundExpr[] = []
  flatten(plan, 0, flat, conditions)
  if (flat.length < 3) return withChildren(plan, [visit(plan.left), visit(plan.right)])
  const leaves = flat.map(l => ({ ...l, plan: visit(l.plan) }))
  const owner = (column: number): number => leaves.findIndex(l => column >= l.offset && column < l.offset + l.width)
  const p: Problem = { leaves, conditions, touches: conditions.map(c => new Set([...inputsOf(c)].map(owner))) }
  const all = (): Set<number> => new Set(conditions.map((_c, i) => i))
  let largest = 0
  leaves.forEach((l, i) => { if (l.rows > leaves[largest]!.rows) largest = i })
  // left-deep from the largest input
  const deepPending = all()
  const deep = greedy(p, leaves.map((_l, i) => leafUnit(leaves, i)), deepPending)
  // or: the groups of smaller inputs joined first, each then one join with the largest (a bushy plan)
  const bushyPending = all()
  const groups = groupsWithout(p, largest).map(g => g.length === 1 ? leafUnit(leaves, g[0]!) : greedy(p, g.map(i => leafUnit(leaves, i)), bushyPending))
  const bushy = groups.length === leaves.length - 1 ? undefined : greedy(p, [leafUnit(leaves, largest), ...groups], bushyPending)
  const [chosen, pending] = bushy !== undefined && cost(bushy.plan) < cost(deep.plan) ? [bushy, bushyPending] : [deep, deepPending]
  let current = chosen.plan
  // conditions over no input (constants) are left: a filter on top
  const leftover = andOf([...pending].map(c => conditions[c]!))
  if (leftover !== undefined) current = { kind: 'filter', input: current, condition: remapInputs(leftover, i => chosen.position.get(i)!), columns: current.columns }
  const source = current
  const exprs = plan.columns.map((c, i) => input(chosen.position.get(i)!, source.columns[chosen.position.get(i)!]!.type, c.nullable))
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
