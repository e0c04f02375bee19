/**
 * PartialAggregateOperator and FinalAggregateOperator driven directly: the combiner emits
 * its partials when it holds maxKeys keys (bounded memory) and the merge still gives one
 * exact result per key; whole-set reductions; watermarks are held until the output.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { harness } from '../../harness.ts'
import { PartialAggregateOperator } from '../../../../../node/runtime/operators/batch/partial-aggregate-operator.ts'
import { FinalAggregateOperator } from '../../../../../node/runtime/operators/batch/final-aggregate-operator.ts'
import { countCombiner, reduceCombiner } from '../../../../../node/runtime/operators/batch/combiner.ts'
import { NO_TIMESTAMP } from '../../../../../node/runtime/stream-element.ts'
import fc from 'fast-check'
import { resolveKey } from '../../../../../node/api/data-set-keys.ts'

const Aggregate = suite('PartialAggregateOperator / FinalAggregateOperator')

Aggregate('a combiner over maxKeys keys emits partials early, and the merge still gives exact sums per key', async () => {
  const combiner = reduceCombiner<{ k: number, v: number }>((a, b) => ({ k: a.k, v: a.v + b.v }))
  const partial = await harness(new PartialAggregateOperator({ key: r => (r as { k: number }).k, combiner, maxKeys: 3 }))
  const rows = Array.from({ length: 200 }, (_, i) => ({ k: (i * 7) % 10, v: i }))
  partial.op.processBatch(rows.map(r => ({ ...r })), rows.map(() => NO_TIMESTAMP), rows.length)
  const early = partial.out.length
  assert.ok(early > 0, 'partials were emitted before the end of input')
  partial.op.endInput()
  const partials = partial.take()
  assert.ok(partials.length > 10, `more partials (${partials.length}) than keys: the combiner flushed`)
  for (const p of partials) assert.ok(Array.isArray(p) && p.length === 2)

  const final = await harness(new FinalAggregateOperator({ grouped: true, combiner }))
  final.op.processBatch(partials, partials.map(() => NO_TIMESTAMP), partials.length)
  assert.is(final.out.length, 0, 'nothing before the end of input')
  final.op.endInput()
  const got = new Map((final.take() as { k: number, v: number }[]).map(r => [r.k, r.v]))
  const want = new Map<number, number>()
  for (const r of rows) want.set(r.k, (want.get(r.k) ?? 0) + r.v)
  assert.equal([...got.entries()].sort(), [...want.entries()].sort())
  assert.ok(final.out.every(e => e.timestamp === NO_TIMESTAMP))
})

Aggregate('a whole-set count emits nothing from an empty combiner and 0 from an empty merge; a watermark follows the output', async () => {
  const partial = await harness(new PartialAggregateOperator({ key: undefined, combiner: countCombiner() }))
  partial.op.processWatermark(Number.POSITIVE_INFINITY)
  assert.equal(partial.watermarks, [], 'the watermark is held back')
  partial.op.endInput()
  assert.equal(partial.take(), [])
  assert.equal(partial.watermarks, [Number.POSITIVE_INFINITY])

  const final = await harness(new FinalAggregateOperator({ grouped: false, combiner: countCombiner() }))
  final.op.endInput()
  assert.equal(final.take(), [0])

  const final2 = await harness(new FinalAggregateOperator({ grouped: false, combiner: countCombiner() }))
  final2.op.processBatch([[undefined, 3], [undefined, 4]], [0, 0], 2)
  final2.op.endInput()
  assert.equal(final2.take(), [7])
})

Aggregate('a composite column key groups through one Map per column exactly as through its composite string key', async () => {
  // parts that a sloppy Map key would merge or split: 1 and '1', null and undefined, -0 and 0,
  // NaN, bigints, objects (by JSON) against strings that look like their JSON or the escape
  const part = fc.constantFrom<unknown>(1, '1', null, undefined, 0, -0, Number.NaN, 2n, true, 'true', [1], '[1]', { a: 1 }, '\u0000j[1]', '\u0000s', '')
  const combiner = countCombiner()
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(part, part, part), { maxLength: 80 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 20 }), async (tuples, width, maxKeys) => {
    const columns = ['a', 'b', 'c'].slice(0, width)
    const rows = tuples.map(([a, b, c]) => ({ a, b, c }))
    const key = resolveKey<Record<string, unknown>>('groupBy', columns)
    /** The partials, each as [its composite string key, its count], in a canonical order. */
    const partials = async (init: { columns?: readonly string[] }): Promise<[unknown, number][]> => {
      const h = await harness(new PartialAggregateOperator({ key: key.select, group: key.group, combiner, maxKeys, ...init }))
      h.op.processBatch(rows, rows.map(() => NO_TIMESTAMP), rows.length)
      h.op.endInput()
      return (h.take() as [unknown[], number][])
        .map(([raw, n]): [unknown, number] => [key.group!(Object.fromEntries(columns.map((c, i) => [c, raw[i]]))), n])
        .sort((x, y) => String(x[0]) < String(y[0]) ? -1 : String(x[0]) > String(y[0]) ? 1 : x[1] - y[1])
    }
    const nested = await partials({ columns })
    assert.equal(nested, await partials({}), 'the same partials (the same flushes)')
    // one partial per composite string key between flushes: none merged, none split
    if (maxKeys > rows.length) assert.is(new Set(nested.map(p => p[0])).size, nested.length)
    assert.is(nested.reduce((n, p) => n + p[1], 0), rows.length)
  }), { numRuns: 200 })
})

Aggregate('an error in the reduce function names the operator', async () => {
  const op = new PartialAggregateOperator({ key: () => 1, combiner: reduceCombiner(() => { throw new Error('boom') }) })
  const h = await harness(op, [], 'reduce-combine')
  assert.throws(() => { h.op.processBatch([1, 2], [0, 0], 2) }, (e: Error) => e.name === 'OperatorError' && e.message === "Operator 'reduce-combine' failed: boom")
})

Aggregate.run()
