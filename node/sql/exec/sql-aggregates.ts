/**
 * SQL aggregates (COUNT, COUNT(*), SUM, AVG, MIN, MAX, DISTINCT) as a Combiner of the
 * DataSet runtime, so PartialAggregateOperator → shuffle → FinalAggregateOperator run them
 * over rows (arrays). Accumulators are plain arrays (aggregate-code.ts); the vectorized
 * scan (sql-scan-source.ts) emits partials of the same shape, so the same merge takes both.
 *
 * The group key of a row: its one group value as it is, an array of them for several,
 * undefined without GROUP BY. The result row is `[...groupValues, ...aggregateValues]`;
 * without GROUP BY there is one row even over no input (COUNT 0, the others NULL).
 *
 * @example
 * const { key, combiner } = sqlAggregateCombiner([input(0, 'VARCHAR', true)], [{ fn: 'sum', arg: input(1, 'DOUBLE', true), distinct: false, type: 'DOUBLE' }])
 * dataSet.aggregatePartial(key, combiner) // [store, sum]
 */
import type { AggregateCall, BoundExpr } from '../bound-expression.ts'
import type { Combiner } from '../../runtime/operators/batch/combiner.ts'
import { aggregateCode } from './aggregate-code.ts'
import { Codegen, exprKey, rowLeaf } from './codegen.ts'
import { build, cached, compileRowExpression, compileRowProjection } from './compile-expression.ts'

type Acc = unknown[]
type Row = readonly unknown[]

interface Compiled {
  readonly init: () => Acc
  readonly add: (acc: Acc, row: Row) => Acc
  readonly merge: (a: Acc, b: Acc) => Acc
  readonly results: (acc: Acc) => unknown[]
}

/** The compiled accumulator functions of an aggregate list (cached by its JSON). */
export function compileAggregates (aggregates: readonly AggregateCall[]): Compiled {
  return cached(`a${exprKey(aggregates)}`, () => {
    const code = aggregateCode(aggregates)
    const init = build<() => Acc>([], [`return ${code.init}`], [])
    const g = new Codegen(rowLeaf)
    code.update(g, 'acc')
    g.emit('return acc')
    const add = build<(acc: Acc, row: Row) => Acc>(['acc', 'row'], g.lines, g.consts)
    const merge = build<(a: Acc, b: Acc) => Acc>(['a', 'b'], [...code.merge('a', 'b'), 'return a'], [])
    const results = build<(acc: Acc) => unknown[]>(['acc'], [`return [${code.results('acc').join(', ')}]`], [])
    return { init, add, merge, results }
  })
}

/**
 * The key and combiner of `SELECT groupBy…, aggregates… GROUP BY groupBy…` over rows
 * (see the module comment).
 */
export function sqlAggregateCombiner (groupBy: readonly BoundExpr[], aggregates: readonly AggregateCall[]): {
  key: ((row: readonly unknown[]) => unknown) | undefined
  combiner: Combiner<readonly unknown[], unknown, unknown[]>
} {
  const c = compileAggregates(aggregates)
  const key = groupBy.length === 0 ? undefined : groupBy.length === 1 ? compileRowExpression(groupBy[0]!) : compileRowProjection(groupBy)
  const width = groupBy.length
  const combiner: Combiner<Row, unknown, unknown[]> = {
    first: row => c.add(c.init(), row),
    add: (acc, row) => c.add(acc as Acc, row),
    merge: (a, b) => c.merge(a as Acc, b as Acc),
    result: (k, acc) => {
      const values = c.results(acc as Acc)
      if (width === 0) return values
      if (width === 1) return [k ?? null, ...values]
      return [...(k as unknown[]), ...values]
    },
    ...(width === 0 ? { empty: () => c.results(c.init()) } : {})
  }
  return { key, combiner }
}
