/**
 * Bound expressions compiled to JavaScript functions over rows (arrays), once per
 * expression: the generated code is codegen.ts's (the same the column kernels run), the
 * function is built with `new Function` and cached by the expression's JSON (bounded).
 *
 * @example
 * const f = compileRowPredicate(call('gt', [input(0, 'DOUBLE', true), constant(10, 'DOUBLE')], 'BOOLEAN'))
 * f([12]) // true;  f([null]) // false
 */
import type { BoundExpr } from '../bound-expression.ts'
import type { SqlType } from '../sql-types.ts'
import { Codegen, exprKey, rowLeaf } from './codegen.ts'
import { R } from './runtime.ts'

/** Most compiled functions kept (oldest dropped first). */
const MAX_COMPILED = 512
const compiled = new Map<string, unknown>()

/** The cached function of `key`, or the one `make` builds (then cached). */
export function cached<F> (key: string, make: () => F): F {
  const hit = compiled.get(key)
  if (hit !== undefined) return hit as F
  const f = make()
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, f)
  return f
}

/**
 * Builds a function from generated statements: `params` are its parameters, `lines` the
 * body (`t` is declared as scratch), `K` the constants and `R` the runtime in scope.
 */
export function build<F> (params: readonly string[], lines: readonly string[], consts: readonly unknown[]): F {
  const body = `return function (${params.join(', ')}) {\n  let t\n${lines.map(l => `  ${l}`).join('\n')}\n}`
  // eslint-disable-next-line no-new-func -- generated from a bound expression; names and strings enter only as JSON literals
  return new Function('R', 'K', body)(R, consts) as F
}

/** The value of `e` over a row (null for NULL). */
export function compileRowExpression (e: BoundExpr): (row: readonly unknown[]) => unknown {
  return cached(`x${exprKey(e)}`, () => {
    const g = new Codegen(rowLeaf)
    const v = g.expr(e)
    g.emit(`return ${v}`)
    return build<(row: readonly unknown[]) => unknown>(['row'], g.lines, g.consts)
  })
}

/** Whether `e` is TRUE for a row (FALSE and NULL drop it, as WHERE does). */
export function compileRowPredicate (e: BoundExpr): (row: readonly unknown[]) => boolean {
  return cached(`p${exprKey(e)}`, () => {
    const g = new Codegen(rowLeaf)
    const v = g.expr(e)
    g.emit(`return ${v} === true`)
    return build<(row: readonly unknown[]) => boolean>(['row'], g.lines, g.consts)
  })
}

/** The output row of a projection: one function evaluating every expression into a new array. */
export function compileRowProjection (exprs: readonly BoundExpr[]): (row: readonly unknown[]) => unknown[] {
  return cached(`j${exprKey(exprs)}`, () => {
    const g = new Codegen(rowLeaf)
    const vs = exprs.map(e => g.expr(e))
    g.emit(`return [${vs.join(', ')}]`)
    return build<(row: readonly unknown[]) => unknown[]>(['row'], g.lines, g.consts)
  })
}

/**
 * A hashable key of a row for joins and grouping. One expression: its value as it is
 * (bigint, number, string, boolean; null for NULL). Several: a string, each part typed and
 * length-prefixed (NULL apart from 'null', 1 apart from '1'), flagged at its first
 * character when a part is NULL — see `keyHasNull`.
 */
export function compileKeyExtractor (exprs: readonly BoundExpr[]): (row: readonly unknown[]) => unknown {
  if (exprs.length === 1) return compileRowExpression(exprs[0]!)
  return cached(`k${exprKey(exprs)}`, () => {
    const g = new Codegen(rowLeaf)
    const vs = exprs.map(e => g.expr(e))
    g.emit(`return ${compositeKeyCode(vs, exprs)}`)
    return build<(row: readonly unknown[]) => unknown>(['row'], g.lines, g.consts)
  })
}

/**
 * The expression of a composite key (see compileKeyExtractor) over variables `vs` holding
 * the values of parts typed and nullable as `parts` say.
 */
export function compositeKeyCode (vs: readonly string[], parts: readonly { readonly type: SqlType, readonly nullable: boolean }[]): string {
  const texts = vs.map((v, i) => {
    const type = parts[i]!.type
    const text = type === 'VARCHAR' ? `"s" + ${v}.length + ":" + ${v}` : type === 'INTERVAL' ? `"i" + ${v}.months + ":" + ${v}.ms + ";"` : `"v" + ${v} + ";"`
    return parts[i]!.nullable ? `(${v} === null ? "_;" : ${text})` : text
  })
  const nulls = vs.filter((_, i) => parts[i]!.nullable).map(v => `${v} === null`)
  const flag = nulls.length === 0 ? '"\\u0001"' : `(${nulls.join(' || ')} ? "\\u0000" : "\\u0001")`
  return [flag, ...texts].join(' + ')
}

/** Whether a key of `compileKeyExtractor` over `parts` expressions has a NULL part (NULL never joins). */
export function keyHasNull (key: unknown, parts: number): boolean {
  if (parts === 1) return key === null || key === undefined
  return typeof key === 'string' && key.charCodeAt(0) === 0
}
