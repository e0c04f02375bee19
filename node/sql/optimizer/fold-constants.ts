/**
 * Constant folding: a call, CASE or cast whose inputs are all constants is evaluated once
 * at planning time (with the same compiled code the rows use, so the result is the one a
 * row would get) and becomes a constant; `x AND FALSE`, `x OR TRUE` and the like are
 * simplified. An evaluation that fails (an overflow, a bad cast) is left for run time,
 * where it fails the query with the same error only if a row reaches it.
 *
 * @example
 * foldExpression(call('add', [constant(1, 'INTEGER'), constant(2, 'INTEGER')], 'INTEGER')) // constant(3)
 */
import type { BoundExpr } from '../bound-expression.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import { constant } from '../bound-expression.ts'
import { compileRowExpression } from '../exec/compile-expression.ts'
import { mapExpressions } from './plan-walk.ts'

const TRUE = constant(true, 'BOOLEAN')
const FALSE = constant(false, 'BOOLEAN')

function isConst (e: BoundExpr, value?: unknown): boolean {
  return e.kind === 'const' && (value === undefined || e.value === value)
}

/** `e` with its constant parts evaluated. */
export function foldExpression (e: BoundExpr): BoundExpr {
  switch (e.kind) {
    case 'input':
    case 'const': return e
    case 'cast': {
      const arg = foldExpression(e.arg)
      return evaluate({ ...e, arg }, [arg])
    }
    case 'case': {
      const whens = e.whens.map(w => ({ when: foldExpression(w.when), then: foldExpression(w.then) })).filter(w => !isConst(w.when, false) && !isConst(w.when, null))
      const otherwise = e.else === undefined ? undefined : foldExpression(e.else)
      if (whens.length > 0 && isConst(whens[0]!.when, true)) return whens[0]!.then
      if (whens.length === 0) return otherwise ?? constant(null, e.type)
      return { ...e, whens, else: otherwise }
    }
    case 'call': {
      const args = e.args.map(foldExpression)
      if (e.fn === 'and') {
        if (args.some(a => isConst(a, false))) return FALSE
        const rest = args.filter(a => !isConst(a, true))
        if (rest.length === 0) return TRUE
        if (rest.length === 1 && rest[0]!.type === 'BOOLEAN') return rest[0]!
        return { ...e, args: rest }
      }
      if (e.fn === 'or') {
        if (args.some(a => isConst(a, true))) return TRUE
        const rest = args.filter(a => !isConst(a, false))
        if (rest.length === 0) return FALSE
        if (rest.length === 1 && rest[0]!.type === 'BOOLEAN') return rest[0]!
        return { ...e, args: rest }
      }
      return evaluate({ ...e, args }, args)
    }
  }
}

function evaluate (e: BoundExpr, args: readonly BoundExpr[]): BoundExpr {
  if (!args.every(a => a.kind === 'const')) return e
  try {
    const value = compileRowExpression(e)([])
    return constant(value, e.type)
  } catch {
    return e
  }
}

/** Every expression of the plan folded. */
export function foldConstants (plan: LogicalPlan): LogicalPlan {
  return mapExpressions(plan, foldExpression)
}
