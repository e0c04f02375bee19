/**
 * Projection push-down: each operator is given only the columns the operators above it
 * read, so a dataset scan decodes only those columns of its segments (the rest of a wide
 * table is never touched) and no row carries a value nobody reads. Aggregates whose
 * result is not read are dropped; group keys stay (they define the groups).
 *
 * An operator may keep a few more columns than asked (a scan keeps what its filter reads);
 * the positions of the kept ones are returned as a map from old to new index. Where the
 * exact set of columns matters (DISTINCT, UNION, the query's output) a projection trims it.
 *
 * @example
 * const pruned = pruneColumns(plan)
 */
import type { BoundExpr } from '../bound-expression.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import { input, inputsOf, remapInputs } from '../bound-expression.ts'

interface Pruned {
  readonly plan: LogicalPlan
  /** Old column index → new index (-1: dropped). */
  readonly map: readonly number[]
}

/** The plan reading only the columns it needs (see the module comment). */
export function pruneColumns (plan: LogicalPlan): LogicalPlan {
  return exact(prune(plan, all(plan)), all(plan)).plan
}

function all (plan: LogicalPlan): Set<number> {
  return new Set(plan.columns.map((_c, i) => i))
}

function sorted (s: ReadonlySet<number>): number[] {
  return [...s].sort((a, b) => a - b)
}

function remap (e: BoundExpr, map: readonly number[]): BoundExpr {
  return remapInputs(e, i => {
    const j = map[i]
    if (j === undefined || j < 0) throw new Error(`Column pruning dropped column ${i}, which is still read`)
    return j
  })
}

function union (into: Set<number>, exprs: readonly (BoundExpr | undefined)[]): Set<number> {
  for (const e of exprs) if (e !== undefined) inputsOf(e, into)
  return into
}

function identity (plan: LogicalPlan): Pruned {
  return { plan, map: plan.columns.map((_c, i) => i) }
}

/** `pruned` trimmed to exactly the columns `wanted` (in order), by a projection when it has more. */
function exact (pruned: Pruned, wanted: ReadonlySet<number>): Pruned {
  const keep = sorted(wanted)
  const { plan, map } = pruned
  const positions = keep.map(i => map[i]!)
  if (positions.length === plan.columns.length && positions.every((p, k) => p === k)) {
    const m = new Array<number>(map.length).fill(-1)
    keep.forEach((i, k) => { m[i] = k })
    return { plan, map: m }
  }
  const exprs = positions.map(p => input(p, plan.columns[p]!.type, plan.columns[p]!.nullable))
  const m = new Array<number>(map.length).fill(-1)
  keep.forEach((i, k) => { m[i] = k })
  return { plan: { kind: 'project', input: plan, exprs, columns: positions.map(p => plan.columns[p]!) }, map: m }
}

function prune (plan: LogicalPlan, required: ReadonlySet<number>): Pruned {
  switch (plan.kind) {
    case 'scan': {
      const need = union(new Set(required), [plan.filter])
      // a scan must read some column to know its row count: the first one then
      if (need.size === 0 && plan.columns.length > 0) need.add(0)
      const keep = sorted(need)
      const map = new Array<number>(plan.columns.length).fill(-1)
      keep.forEach((i, k) => { map[i] = k })
      const filter = plan.filter === undefined ? undefined : remap(plan.filter, map)
      return { plan: { ...plan, columns: keep.map(i => plan.columns[i]!), filter }, map }
    }
    case 'table':
    case 'values':
    case 'window-aggregate': return identity(plan)
    case 'filter': {
      const child = prune(plan.input, union(new Set(required), [plan.condition]))
      return { plan: { ...plan, input: child.plan, condition: remap(plan.condition, child.map), columns: child.plan.columns }, map: child.map }
    }
    case 'project': {
      const keep = sorted(required)
      const child = prune(plan.input, union(new Set(), keep.map(k => plan.exprs[k])))
      const map = new Array<number>(plan.columns.length).fill(-1)
      keep.forEach((i, k) => { map[i] = k })
      return { plan: { ...plan, input: child.plan, exprs: keep.map(k => remap(plan.exprs[k]!, child.map)), columns: keep.map(k => plan.columns[k]!) }, map }
    }
    case 'aggregate': {
      const g = plan.groupBy.length
      const kept = plan.aggregates.map((_a, j) => g === 0 || required.has(g + j))
      const aggregates = plan.aggregates.filter((_a, j) => kept[j])
      const child = prune(plan.input, union(new Set(), [...plan.groupBy, ...aggregates.map(a => a.arg)]))
      const map = new Array<number>(plan.columns.length).fill(-1)
      for (let i = 0; i < g; i++) map[i] = i
      let k = g
      plan.aggregates.forEach((_a, j) => { if (kept[j]) map[g + j] = k++ })
      return {
        plan: {
          ...plan,
          input: child.plan,
          groupBy: plan.groupBy.map(e => remap(e, child.map)),
          aggregates: aggregates.map(a => a.arg === undefined ? a : { ...a, arg: remap(a.arg, child.map) }),
          columns: plan.columns.filter((_c, i) => map[i]! >= 0)
        },
        map
      }
    }
    case 'join': {
      const w = plan.left.columns.length
      const semi = plan.join === 'semi' || plan.join === 'anti'
      const leftNeed = union(new Set([...required].filter(i => i < w)), plan.leftKeys)
      const rightNeed = union(new Set(semi ? [] : [...required].filter(i => i >= w).map(i => i - w)), plan.rightKeys)
      for (const i of plan.condition === undefined ? [] : inputsOf(plan.condition)) {
        if (i < w) leftNeed.add(i)
        else rightNeed.add(i - w)
      }
      const left = prune(plan.left, leftNeed)
      const right = prune(plan.right, rightNeed)
      const lw = left.plan.columns.length
      const joined = (i: number): number => i < w ? left.map[i]! : (right.map[i - w]! < 0 ? -1 : lw + right.map[i - w]!)
      const map = plan.columns.map((_c, i) => joined(i))
      const condition = plan.condition === undefined ? undefined : remapInputs(plan.condition, joined)
      const columns = semi
        ? left.plan.columns
        : [...left.plan.columns.map((c, i) => ({ ...c, nullable: c.nullable || plan.columns[oldOf(left.map, i)]!.nullable })),
            ...right.plan.columns.map((c, i) => ({ ...c, nullable: c.nullable || plan.columns[w + oldOf(right.map, i)]!.nullable }))]
      const pruned: LogicalPlan = {
        ...plan,
        left: left.plan,
        right: right.plan,
        leftKeys: plan.leftKeys.map(e => remap(e, left.map)),
        rightKeys: plan.rightKeys.map(e => remap(e, right.map)),
        condition,
        columns
      }
      // the join emits only what is read above it (its own keys need not ride along)
      if (!semi && condition === undefined) {
        const kept = sorted(new Set([...required].map(i => map[i]!).filter(j => j >= 0)))
        if (kept.length < columns.length) {
          const at = new Map(kept.map((j, k) => [j, k]))
          return { plan: { ...pruned, outputs: kept, columns: kept.map(j => columns[j]!) }, map: map.map(j => at.get(j) ?? -1) }
        }
      }
      return { plan: pruned, map }
    }
    case 'sort': {
      const child = prune(plan.input, union(new Set(required), plan.keys.map(k => k.expr)))
      return { plan: { ...plan, input: child.plan, keys: plan.keys.map(k => ({ ...k, expr: remap(k.expr, child.map) })), columns: child.plan.columns }, map: child.map }
    }
    case 'limit': {
      const child = prune(plan.input, required)
      return { plan: { ...plan, input: child.plan, columns: child.plan.columns }, map: child.map }
    }
    case 'distinct': {
      const child = exact(prune(plan.input, all(plan.input)), all(plan.input))
      return { plan: { ...plan, input: child.plan }, map: child.map }
    }
    case 'union': {
      const inputs = plan.inputs.map(i => exact(prune(i, all(i)), all(i)).plan)
      return identity({ ...plan, inputs })
    }
  }
}

/** The old index that `map` sends to new index `k` (a kept column has one). */
function oldOf (map: readonly number[], k: number): number {
  const i = map.indexOf(k)
  return i < 0 ? 0 : i
}
