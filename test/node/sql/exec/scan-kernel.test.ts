/**
 * The column path (ScanKernel over encoded segments: typed arrays, dictionaries, null
 * bitmaps) gives exactly what the row path (the same bound expressions compiled over row
 * arrays) gives, on random data with NULLs, NaN, -0, empty and repeated strings: filters,
 * projections, and aggregates grouped by dictionary, boolean, numeric and computed keys.
 * fast-check draws the rows; each segment is encoded as the dataset writer encodes it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import type { DatasetSchema } from '../../../../node/api/dataset-schema.ts'
import { groupKey } from '../../../../node/api/data-set-keys.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import { readSegment } from '../../../../node/storage/datasets/segment-reader.ts'
import { call, constant, input, type AggregateCall, type BoundExpr } from '../../../../node/sql/bound-expression.ts'
import { ScanKernel } from '../../../../node/sql/exec/scan-kernel.ts'
import { sqlAggregateCombiner } from '../../../../node/sql/exec/sql-aggregates.ts'
import { compileRowPredicate, compileRowProjection } from '../../../../node/sql/exec/compile-expression.ts'

const test = suite('ScanKernel')

const schema: DatasetSchema = { columns: [{ name: 's', type: 'string' }, { name: 'x', type: 'number' }, { name: 'q', type: 'int64' }, { name: 'b', type: 'boolean' }, { name: 't', type: 'timestamp' }] }
const COLUMNS = ['s', 'x', 'q', 'b', 't']
const s = input(0, 'VARCHAR', true)
const x = input(1, 'DOUBLE', true)
const q = input(2, 'BIGINT', true)
const b = input(3, 'BOOLEAN', true)
const t = input(4, 'TIMESTAMP', true)
const bool = (fn: string, args: BoundExpr[]): BoundExpr => call(fn, args, 'BOOLEAN')
const str = (v: string): BoundExpr => constant(v, 'VARCHAR')
const num = (v: number): BoundExpr => constant(v, 'DOUBLE')

type Row = [string | null, number | null, bigint | null, boolean | null, number | null]

const WORDS = ['', 'a', 'ab', 'abc', 'B', 'zz', 'a%b', 'héllo', '😀x']
const rowArb = (strings: fc.Arbitrary<string>): fc.Arbitrary<Row> => fc.tuple(
  fc.option(strings, { nil: null, freq: 5 }),
  fc.option(fc.oneof(fc.double({ noDefaultInfinity: false }), fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(NaN, -0, 0, 0.5, -2.5)), { nil: null, freq: 5 }),
  fc.option(fc.bigInt({ min: -1000n, max: 1000n }), { nil: null, freq: 5 }),
  fc.option(fc.boolean(), { nil: null, freq: 5 }),
  fc.option(fc.integer({ min: -2_000_000, max: 2_000_000 }).map(d => d * 3_600_000), { nil: null, freq: 5 })
)
/** Few distinct strings (a dictionary) or many (plain utf8). */
const rowsArb = fc.oneof(
  fc.array(rowArb(fc.constantFrom(...WORDS)), { maxLength: 300 }),
  fc.array(rowArb(fc.string({ maxLength: 6 })), { maxLength: 300 })
)

const segmentOf = (rows: readonly Row[]): ReturnType<typeof readSegment> => {
  const records = rows.map(r => Object.fromEntries(COLUMNS.map((c, i) => [c, r[i]])))
  return readSegment(encodeSegment(schema, records).bytes, schema, { columns: COLUMNS })
}

const FILTERS: BoundExpr[] = [
  bool('ne', [s, str('abc')]),
  bool('and', [bool('gt', [x, num(0)]), bool('like', [s, str('a%')])]),
  bool('or', [bool('is_null', [x]), bool('lt', [call('add', [q, constant(1n, 'BIGINT')], 'BIGINT'), constant(10n, 'BIGINT')])]),
  bool('and', [bool('in', [s, str(''), str('B'), str('héllo')]), bool('not', [b])]),
  bool('and', [bool('ge', [t, constant(0, 'TIMESTAMP')]), bool('is_true', [bool('eq', [x, x])])]),
  bool('and', [bool('ne', [s, str('zz')]), bool('ge', [x, num(-10)]), bool('le', [x, num(NaN)])])
]

const OUTPUTS: BoundExpr[] = [
  s, x, q, b, t,
  call('mul', [x, call('sub', [num(1), x], 'DOUBLE')], 'DOUBLE'),
  call('upper', [s], 'VARCHAR'),
  call('length', [s], 'BIGINT'),
  call('coalesce', [s, str('none')], 'VARCHAR'),
  call('concat', [{ kind: 'cast', arg: q, type: 'VARCHAR', try: false, nullable: true }, str('/'), s], 'VARCHAR', false),
  { kind: 'case', whens: [{ when: b, then: call('round', [x], 'DOUBLE') }], else: call('neg', [x], 'DOUBLE'), type: 'DOUBLE', nullable: true },
  call('year', [t], 'BIGINT'),
  call('date_trunc', [str('month'), t], 'TIMESTAMP'),
  call('mod', [q, constant(3n, 'BIGINT')], 'BIGINT'),
  call('div', [{ kind: 'cast', arg: q, type: 'DOUBLE', try: false, nullable: true }, x], 'DOUBLE'),
  bool('or', [b, bool('gt', [x, num(1)])]),
  call('substring', [s, constant(2, 'INTEGER')], 'VARCHAR')
]

const AGGREGATES: AggregateCall[] = [
  { fn: 'count_star', arg: undefined, distinct: false, type: 'BIGINT' },
  { fn: 'count', arg: x, distinct: false, type: 'BIGINT' },
  { fn: 'sum', arg: q, distinct: false, type: 'BIGINT' },
  { fn: 'sum', arg: x, distinct: false, type: 'DOUBLE' },
  { fn: 'avg', arg: q, distinct: false, type: 'DOUBLE' },
  { fn: 'min', arg: s, distinct: false, type: 'VARCHAR' },
  { fn: 'max', arg: x, distinct: false, type: 'DOUBLE' },
  { fn: 'min', arg: t, distinct: false, type: 'TIMESTAMP' },
  { fn: 'count', arg: s, distinct: true, type: 'BIGINT' },
  { fn: 'sum', arg: q, distinct: true, type: 'BIGINT' }
]

const GROUPS: BoundExpr[][] = [[], [s], [b], [s, b], [q], [s, q], [call('year', [t], 'BIGINT')], [call('coalesce', [s, str('?')], 'VARCHAR'), b]]

/** Values as text: bigints marked, NaN and -0 kept apart, floats as they are. */
const text = (v: unknown): string => JSON.stringify(v, (_k, y: unknown) => typeof y === 'bigint' ? `${y}n` : typeof y === 'number' && (!Number.isFinite(y) || Object.is(y, -0)) ? `#${Object.is(y, -0) ? '-0' : String(y)}` : y)

test('filter + projection: the column path equals the row path', () => {
  fc.assert(fc.property(rowsArb, fc.constantFrom(...FILTERS), (rows, filter) => {
    const view = segmentOf(rows)
    const kernel = new ScanKernel(schema, { columns: COLUMNS, filter, outputs: OUTPUTS })
    const sel = kernel.select(view)
    const got = kernel.rows(view, sel, 0, sel === null ? view.rows : sel.length)
    const keep = compileRowPredicate(filter)
    const expected = rows.filter(r => keep(r)).map(compileRowProjection(OUTPUTS))
    assert.is(text(got), text(expected))
  }), { numRuns: 150 })
})

test('aggregates: the column path\'s partials give the row path\'s groups, keys of every kind', () => {
  fc.assert(fc.property(fc.array(rowsArb, { minLength: 1, maxLength: 3 }), fc.constantFrom(...FILTERS), fc.constantFrom(...GROUPS), (segments, filter, groupBy) => {
    const { key, combiner } = sqlAggregateCombiner(groupBy, AGGREGATES)
    // the filter into a selection first, or inside the folding loop
    const kernels = [0, 2].map(fuseAbove => new ScanKernel(schema, { columns: COLUMNS, filter, aggregate: { groupBy, aggregates: AGGREGATES }, fuseAbove }))
    for (const rows of segments) for (const k of kernels) k.fold(segmentOf(rows))
    const merge = (partials: readonly [unknown, unknown][]): string[] => {
      const groups = new Map<unknown, [unknown, unknown]>()
      for (const [k, acc] of partials) {
        const g = groupKey(k)
        const held = groups.get(g)
        if (held === undefined) groups.set(g, [k, acc])
        else held[1] = combiner.merge(held[1], acc)
      }
      return [...groups.values()].map(([k, acc]) => text(combiner.result(k, acc))).sort()
    }
    const keep = compileRowPredicate(filter)
    const rowPartials = segments.flat().filter(r => keep(r)).map(r => [key?.(r), combiner.first(r)] as [unknown, unknown])
    // sums of doubles are compared after the same order of addition: one partial per row
    const expected = merge(rowPartials)
    const loose = (rows: string[]): string[] => rows.map(r => r.replace(/(\d+\.\d{6})\d+/g, '$1'))
    for (const kernel of kernels) assert.equal(loose(merge(kernel.drain())), loose(expected))
  }), { numRuns: 150 })
})

test('a dictionary conjunct is decided per dictionary entry, NULL included', () => {
  const rows: Row[] = Array.from({ length: 1000 }, (_, i) => [i % 5 === 0 ? null : WORDS[i % WORDS.length]!, i, BigInt(i), i % 2 === 0, i])
  const view = segmentOf(rows)
  assert.is(view.columns.get('s')!.kind, 'dict')
  for (const filter of [bool('is_null', [s]), bool('like', [s, str('%b%')]), bool('and', [bool('ne', [s, str('a')]), bool('lt', [x, num(500)])])]) {
    const kernel = new ScanKernel(schema, { columns: COLUMNS, filter })
    const keep = compileRowPredicate(filter)
    assert.equal([...kernel.select(view)!], rows.flatMap((r, i) => keep(r) ? [i] : []))
  }
})

test.run()
