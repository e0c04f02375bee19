/**
 * The SQL aggregates as a Combiner: results typed as SQL says (COUNT and integer SUM as
 * BIGINT, AVG as DOUBLE), NULLs skipped, one row over no input without GROUP BY, DISTINCT
 * merged across partials that crossed a thread or a peer (structured clone, CBOR).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { input, type AggregateCall } from '../../../../node/sql/bound-expression.ts'
import { sqlAggregateCombiner } from '../../../../node/sql/exec/sql-aggregates.ts'
import { decodeCbor, encodeCbor } from '../../../../protocol/cbor.ts'

const test = suite('sqlAggregateCombiner')

const agg = (fn: AggregateCall['fn'], index: number | undefined, type: AggregateCall['type'], argType: AggregateCall['type'] = 'BIGINT', distinct = false): AggregateCall =>
  ({ fn, arg: index === undefined ? undefined : input(index, argType, true), distinct, type })

test('results: COUNT and SUM of integers are BIGINT and exact, AVG DOUBLE, NULLs skipped', () => {
  const { key, combiner } = sqlAggregateCombiner([input(0, 'VARCHAR', true)], [
    agg('count_star', undefined, 'BIGINT'), agg('count', 1, 'BIGINT'), agg('sum', 1, 'BIGINT'), agg('avg', 1, 'DOUBLE'),
    agg('min', 1, 'BIGINT'), agg('max', 2, 'VARCHAR', 'VARCHAR'), agg('sum', 3, 'BIGINT', 'INTEGER')
  ])
  const rows = [['k', 9007199254740993n, 'b', 1], ['k', null, 'a', null], ['k', 2n, null, 2147483647]]
  let acc = combiner.first(rows[0]!)
  for (const r of rows.slice(1)) acc = combiner.add(acc, r)
  assert.equal(combiner.result(key!(rows[0]!), acc), ['k', 3n, 2n, 9007199254740995n, 4503599627370498, 2n, 'b', 2147483648n])
})

test('no GROUP BY: one row over no input, COUNT 0 and the others NULL', () => {
  const { key, combiner } = sqlAggregateCombiner([], [agg('count_star', undefined, 'BIGINT'), agg('sum', 0, 'DOUBLE', 'DOUBLE'), agg('count', 0, 'BIGINT', 'DOUBLE', true), agg('max', 0, 'DOUBLE', 'DOUBLE')])
  assert.is(key, undefined)
  assert.equal(combiner.empty!(), [0n, null, 0n, null])
})

test('DISTINCT: values kept per group and merged across partials that crossed threads and peers', () => {
  const { combiner } = sqlAggregateCombiner([], [agg('count', 0, 'BIGINT', 'BIGINT', true), agg('sum', 0, 'BIGINT', 'BIGINT', true), agg('avg', 0, 'DOUBLE', 'BIGINT', true)])
  const part = (values: (bigint | null)[]): unknown => values.slice(1).reduce((acc, v) => combiner.add(acc, [v]), combiner.first([values[0]!]))
  const a = part([1n, 2n, 2n, null, 3n])
  const b = structuredClone(part([3n, 4n, 1n]))
  const c = decodeCbor('test', encodeCbor(part([5n, 5n, 4n])))
  let merged = combiner.merge(a, b)
  merged = combiner.merge(merged, c)
  assert.equal(combiner.result(undefined, merged), [5n, 15n, 3])
  // after crossing, adding to a merged accumulator still dedupes
  assert.equal(combiner.result(undefined, combiner.add(structuredClone(merged), [2n])), [5n, 15n, 3])
})

test.run()
