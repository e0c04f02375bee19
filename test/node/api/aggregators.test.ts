/**
 * compileAggregates against the aggregators' own methods (the reference): the same result
 * for every aggregator over any rows (nulls, undefined, bigints, strings), folded in one
 * accumulator or in two merged ones, also after the accumulator crossed a thread
 * (structured clone); aggregators that are not built-ins are called through their methods.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { avg, compileAggregates, count, countDistinct, max, min, sum, type Aggregator } from '../../../node/api/aggregators.ts'

const Compiled = suite('compileAggregates')

interface Row { n: number | null | undefined, b: bigint | null, s: string | null }

/** What the aggregators give through their own methods over `rows`: the first `split` rows and the rest folded apart, then merged. */
function reference (aggs: readonly Aggregator<Row, any, any>[], rows: readonly Row[], split: number): unknown[] {
  return aggs.map(a => {
    let left = a.create()
    let right = a.create()
    rows.forEach((r, i) => { if (i < split) left = a.add(left, r); else right = a.add(right, r) })
    return a.result(a.merge(left, right))
  })
}

function compiled (aggs: readonly Aggregator<Row, any, any>[], rows: readonly Row[], split: number, clone: boolean): unknown[] {
  const c = compileAggregates(aggs)
  let left = c.create()
  let right = c.create()
  rows.forEach((r, i) => { if (i < split) left = c.add(left, r); else right = c.add(right, r) })
  if (clone) { left = structuredClone(left); right = structuredClone(right) }
  const acc = c.merge(left, right)
  return aggs.map((_a, i) => c.result(acc, i))
}

const custom: Aggregator<Row, number[], number> = { kind: 'product', column: 'n', create: () => [1], add: (acc, r) => { acc[0]! *= r.n ?? 1; return acc }, merge: (a, b) => [a[0]! * b[0]!], result: acc => acc[0]! }

function specs (): Aggregator<Row, any, any>[] {
  return [
    sum('n'), sum(r => r.n === null || r.n === undefined ? null : r.n * 2), sum('b'), count(), count('n'), count(r => r.s),
    avg('n'), avg('b'), min('n'), max('n'), min('s'), max(r => r.s), min('b'), countDistinct('s'),
    custom,
    // a built-in copied with a change is not a built-in any more: its own result applies
    { ...sum<Row>('n'), result: (acc: unknown) => acc === null ? 'none' : `total ${String(acc)}` }
  ]
}

const row = fc.record({
  n: fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(x => x / 8), fc.constant(null), fc.constant(undefined)),
  b: fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.constant(null)),
  s: fc.oneof(fc.constantFrom('a', 'b', 'ab', ''), fc.constant(null))
})

Compiled('gives every aggregator\'s own result, in one accumulator or merged from two, also across a structured clone', () => {
  fc.assert(fc.property(fc.array(row, { maxLength: 60 }), fc.nat(60), fc.boolean(), (rows, split, clone) => {
    const at = Math.min(split, rows.length)
    assert.equal(compiled(specs(), rows, at, clone), reference(specs(), rows, at))
  }), { numRuns: 300 })
})

Compiled('sums and averages of no values are null, counts 0; min and max of nothing null', () => {
  const aggs = [sum<Row>('n'), avg<Row>('n'), count<Row>(), count<Row>('n'), min<Row>('n'), max<Row>('n')]
  const c = compileAggregates(aggs)
  const acc = c.add(c.create(), { n: null, b: null, s: null })
  assert.equal(aggs.map((_a, i) => c.result(acc, i)), [null, null, 1, 0, null, null])
})

Compiled('a column named like code stays a column name', () => {
  const odd = 'x"]; throw new Error("no"); ["'
  const c = compileAggregates<Record<string, number>>([sum(odd as never)])
  assert.is(c.result(c.add(c.create(), { [odd]: 4 }), 0), 4)
})

Compiled.run()
