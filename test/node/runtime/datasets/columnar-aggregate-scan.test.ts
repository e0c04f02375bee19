/**
 * The columnar scan + partial aggregate gives what the row path gives: over random
 * segments (nulls in every column, empty segments, low- and high-cardinality strings so both
 * the dictionary-slot and the Map key paths run), random predicates and projections, and
 * every key shape (none, one column, two, a boolean, a number, a column not projected),
 * the partials of ColumnarAggregateScan merge to the same results as the records of
 * segmentRows folded by PartialAggregateOperator's rule (groupKey of the selected key).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import * as fc from 'fast-check'
import type { DatasetSchema, Predicate } from '../../../../node/api/dataset-schema.ts'
import { avg, count, max, min, sum, type Aggregator } from '../../../../node/api/aggregators.ts'
import { aggregateCombiner } from '../../../../node/api/data-set-support.ts'
import { resolveKey, groupKey } from '../../../../node/api/data-set-keys.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import { segmentRows } from '../../../../node/storage/datasets/segment-rows.ts'
import { ColumnarAggregateScan } from '../../../../node/runtime/datasets/columnar-aggregate-scan.ts'

const test = suite('ColumnarAggregateScan')

const schema: DatasetSchema = {
  columns: [
    { name: 'flag', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'ok', type: 'boolean' },
    { name: 'n', type: 'number' },
    { name: 'qty', type: 'int64' },
    { name: 'ts', type: 'timestamp' }
  ]
}

const row = fc.record({
  flag: fc.option(fc.constantFrom('A', 'N', 'R', ''), { freq: 5 }),
  name: fc.option(fc.string({ minLength: 0, maxLength: 6 }), { freq: 5 }),
  ok: fc.option(fc.boolean(), { freq: 5 }),
  n: fc.option(fc.integer({ min: -50, max: 50 }).map(x => x / 4), { freq: 5 }),
  qty: fc.option(fc.bigInt({ min: -100n, max: 100n }), { freq: 5 }),
  ts: fc.option(fc.integer({ min: 0, max: 1000 }), { freq: 5 })
})

const predicates: (Predicate | undefined)[] = [
  undefined,
  { op: '>', column: 'n', value: 0 },
  { op: 'and', args: [{ op: '>=', column: 'ts', value: 200 }, { op: '<', column: 'ts', value: 800 }, { op: 'between', column: 'n', low: -5, high: 5 }] },
  { op: 'or', args: [{ op: '=', column: 'flag', value: 'A' }, { op: 'is-null', column: 'n' }] },
  { op: 'not', arg: { op: '=', column: 'ok', value: true } },
  { op: 'in', column: 'flag', values: ['N', 'R'] }
]
const keys: string[][] = [[], ['flag'], ['flag', 'ok'], ['ok'], ['n'], ['name'], ['flag', 'name', 'ok'], ['qty']]
const projections: (string[] | undefined)[] = [undefined, ['flag', 'ok', 'n', 'qty', 'name'], ['flag', 'n']]

function aggregates (): Record<string, Aggregator<any, any, any>> {
  return {
    s: sum('n'), c: count(), cn: count('n'), a: avg('n'), lo: min('name'), hi: max('ts'),
    f: sum((r: any) => r.n === null || r.n === undefined ? null : r.n * 2), q: sum('qty'), mq: min('qty')
  }
}

/** The final records from partials, merged per key as FinalAggregateOperator does. */
function finish (partials: readonly [unknown, unknown][], combiner: ReturnType<typeof aggregateCombiner>, grouped: boolean): string[] {
  const merged = new Map<unknown, [unknown, unknown]>()
  for (const [raw, acc] of partials) {
    const k = groupKey(raw)
    const p = merged.get(k)
    if (p === undefined) merged.set(k, [raw, acc])
    else p[1] = combiner.merge(p[1], acc)
  }
  const out = [...merged.values()].map(([raw, acc]) => combiner.result(raw, acc))
  if (!grouped && out.length === 0) out.push(combiner.empty!())
  return out.map(r => JSON.stringify(r, (_k, v) => typeof v === 'bigint' ? `${v}n` : v)).sort()
}

test('gives the row path\'s results for random segments, predicates, projections and keys (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.array(row, { maxLength: 40 }), { minLength: 1, maxLength: 5 }),
    fc.constantFrom(...predicates), fc.constantFrom(...keys), fc.constantFrom(...projections),
    (segments, predicate, keyColumns, columns) => {
      const spec = aggregates()
      const names = Object.keys(spec)
      const key = keyColumns.length === 0 ? undefined : resolveKey<any>('groupBy', keyColumns.length === 1 ? keyColumns[0] : keyColumns)
      const combiner = aggregateCombiner(spec, names, key)
      const scan = { ...(columns === undefined ? {} : { columns }), ...(predicate === undefined ? {} : { predicate }) }
      const encoded = segments.map(rows => encodeSegment(schema, rows).bytes)
      // the row path: records of the scan, one accumulator per groupKey of the selected key
      const expected = new Map<unknown, [unknown, unknown]>()
      for (const bytes of encoded) {
        for (const r of segmentRows(bytes, schema, scan)) {
          const raw = key === undefined ? undefined : key.select(r)
          const k = key === undefined ? 'all' : groupKey(raw)
          const p = expected.get(k)
          if (p === undefined) expected.set(k, [raw, combiner.first(r)])
          else p[1] = combiner.add(p[1], r)
        }
      }
      const fused = new ColumnarAggregateScan({ schema, scan, keyColumns, combiner })
      const partials: [unknown, unknown][] = []
      encoded.forEach((bytes, i) => {
        fused.fold(bytes)
        // drained between segments too, as the source does when it holds too many keys
        if (i % 2 === 1) partials.push(...fused.drain())
      })
      partials.push(...fused.drain())
      assert.equal(finish(partials, combiner, key !== undefined), finish([...expected.values()], combiner, key !== undefined))
    }
  ), { numRuns: 300 })
})

test('folds a segment of no rows and one whose rows the predicate all rules out into nothing', () => {
  const combiner = aggregateCombiner({ c: count() }, ['c'], resolveKey('groupBy', 'flag'))
  const scan = new ColumnarAggregateScan({ schema, scan: { predicate: { op: '>', column: 'n', value: 100 } }, keyColumns: ['flag'], combiner })
  scan.fold(encodeSegment(schema, []).bytes)
  scan.fold(encodeSegment(schema, [{ flag: 'A', name: 'x', ok: true, n: 1, qty: 1n, ts: 1 }]).bytes)
  assert.is(scan.rows, 0)
  assert.is(scan.keys, 0)
  assert.equal(scan.drain(), [])
})

test('keeps a key column that is not projected as the row path does: one null group', () => {
  const key = resolveKey<any>('groupBy', 'flag')
  const combiner = aggregateCombiner({ c: count() }, ['c'], key)
  const scan = new ColumnarAggregateScan({ schema, scan: { columns: ['n'] }, keyColumns: ['flag'], combiner })
  scan.fold(encodeSegment(schema, [{ flag: 'A', n: 1 }, { flag: 'N', n: 2 }]).bytes)
  const partials = scan.drain()
  assert.is(partials.length, 1)
  assert.equal(combiner.result(partials[0]![0], partials[0]![1]), { flag: null, c: 2 })
})

test.run()
