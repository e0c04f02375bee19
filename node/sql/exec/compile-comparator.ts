/**
 * ORDER BY compiled: the sort keys of a row computed once (a projection), and a compare
 * function over two rows' keys unrolled per key — each key ascending or descending, its
 * NULLs first or last as the bound SortKey says (SQL's defaults are made explicit by the
 * binder), DOUBLE NaN above every number as in DuckDB, strings by UTF-16 code unit.
 *
 * @example
 * const { key, compare } = compileSortKeys([{ expr: input(0, 'DOUBLE', true), descending: true, nullsFirst: false }])
 * rows.map(r => [key(r), r]).sort((a, b) => compare(a[0], b[0]))
 */
import type { SortKey } from '../logical-plan.ts'
import { exprKey } from './codegen.ts'
import { build, cached, compileRowProjection } from './compile-expression.ts'

/** The key projection and comparator of an ORDER BY (see the module comment). */
export function compileSortKeys (keys: readonly SortKey[]): { key: (row: readonly unknown[]) => unknown[], compare: (a: readonly unknown[], b: readonly unknown[]) => number } {
  const key = compileRowProjection(keys.map(k => k.expr))
  const compare = cached(`o${exprKey(keys.map(k => [k.expr.type, k.descending, k.nullsFirst, k.expr.nullable]))}`, () => {
    const lines: string[] = []
    keys.forEach((k, i) => {
      const x = `x${i}`
      const y = `y${i}`
      lines.push(`const ${x} = a[${i}]`, `const ${y} = b[${i}]`)
      const sign = k.descending ? -1 : 1
      if (k.expr.nullable) {
        const first = k.nullsFirst ? -1 : 1
        lines.push(`if (${x} === null || ${y} === null) { if (${x} !== ${y}) return ${x} === null ? ${first} : ${-first} } else {`)
      }
      if (k.expr.type === 'DOUBLE') {
        // NaN above every number, equal to itself
        lines.push(`if (${x} !== ${y}) { if (${x} !== ${x}) { if (${y} === ${y}) return ${sign} } else if (${y} !== ${y}) return ${-sign}; else return ${x} < ${y} ? ${-sign} : ${sign} }`)
      } else if (k.expr.type === 'INTERVAL') {
        lines.push(`if (${x}.months !== ${y}.months || ${x}.ms !== ${y}.ms) { const d = ${x}.months * 2592000000 + ${x}.ms - (${y}.months * 2592000000 + ${y}.ms); if (d !== 0) return d < 0 ? ${-sign} : ${sign} }`)
      } else {
        lines.push(`if (${x} !== ${y}) return ${x} < ${y} ? ${-sign} : ${sign}`)
      }
      if (k.expr.nullable) lines.push('}')
    })
    lines.push('return 0')
    return build<(a: readonly unknown[], b: readonly unknown[]) => number>(['a', 'b'], lines, [])
  })
  return { key, compare }
}
