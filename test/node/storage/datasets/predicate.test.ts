import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import type { ColumnType, DatasetSchema, Predicate, Scalar } from '../../../../node/api/dataset-schema.ts'
import { compilePredicate, segmentMayMatch, validatePredicate } from '../../../../node/storage/datasets/predicate.ts'
import { selectRows } from '../../../../node/storage/datasets/predicate-select.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import { readSegment } from '../../../../node/storage/datasets/segment-reader.ts'
import { segmentRows } from '../../../../node/storage/datasets/segment-rows.ts'

type Row = Record<string, Scalar | null>

const schema: DatasetSchema = {
  columns: [{ name: 'n', type: 'number' }, { name: 'i', type: 'int64' }, { name: 's', type: 'string' }, { name: 'b', type: 'boolean' }, { name: 't', type: 'timestamp' }, { name: 'u', type: 'string' }]
}

// small domains, so that predicates and rows meet
const DOMAINS: Record<string, readonly Scalar[]> = {
  n: [-1, 0, -0, 1, 2.5, 3, NaN, Infinity],
  i: [-1n, 0n, 1n, 2n, 2n ** 62n],
  s: ['', 'a', 'b', 'é', 'zz'],
  b: [false, true],
  t: [0, 1, 2, 1_700_000_000_000],
  // the 'u' column gets many distinct values, so it is stored plainly (not as a dictionary)
  u: ['', 'a', 'b', 'x1', 'é😀', 'é']
}
const typeOf = (column: string): ColumnType => schema.columns.find(c => c.name === column)!.type

const columnArb = fc.constantFrom('n', 'i', 's', 'b', 't', 'u')
const literalArb = (column: string): fc.Arbitrary<Scalar> => column === 'i'
  ? fc.oneof(fc.constantFrom(...DOMAINS.i!), fc.constantFrom(-1, 0, 1, 2)) // int64 columns take safe integers too
  : fc.constantFrom(...DOMAINS[column]!)

const leafArb: fc.Arbitrary<Predicate> = columnArb.chain(column => fc.oneof(
  fc.record({ op: fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const), column: fc.constant(column), value: literalArb(column) }),
  fc.record({ op: fc.constant('between' as const), column: fc.constant(column), low: literalArb(column), high: literalArb(column) }),
  fc.record({ op: fc.constant('in' as const), column: fc.constant(column), values: fc.array(literalArb(column), { maxLength: 4 }) }),
  fc.record({ op: fc.constantFrom('is-null', 'is-not-null' as const), column: fc.constant(column) })
) as fc.Arbitrary<Predicate>)

const predicateArb: fc.Arbitrary<Predicate> = fc.letrec<{ p: Predicate }>(tie => ({
  p: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.record({ op: fc.constantFrom('and', 'or' as const), args: fc.array(tie('p'), { maxLength: 3 }) }) as fc.Arbitrary<Predicate>,
    fc.record({ op: fc.constant('not' as const), arg: tie('p') }) as fc.Arbitrary<Predicate>)
})).p

/** Conjunctions of leaves: the fast path of selectRows. */
const conjunctionArb: fc.Arbitrary<Predicate> = fc.array(leafArb, { minLength: 1, maxLength: 3 }).map(args => ({ op: 'and', args }))

const rowArb: fc.Arbitrary<Row> = fc.record(Object.fromEntries(Object.entries(DOMAINS).map(([c, values]) => [c, fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.constant(null) })]))) as fc.Arbitrary<Row>
const rowsArb = fc.array(rowArb, { maxLength: 40 })

/** The reference: SQL's three-valued logic written out directly, null for unknown. */
function reference (p: Predicate, row: Row): boolean | null {
  const lit = (column: string, v: Scalar): Scalar => typeOf(column) === 'int64' && typeof v === 'number' ? BigInt(v) : v
  switch (p.op) {
    case 'and': {
      const r = p.args.map(a => reference(a, row))
      return r.includes(false) ? false : r.includes(null) ? null : true
    }
    case 'or': {
      const r = p.args.map(a => reference(a, row))
      return r.includes(true) ? true : r.includes(null) ? null : false
    }
    case 'not': {
      const r = reference(p.arg, row)
      return r === null ? null : !r
    }
    case 'is-null': return row[p.column] === null
    case 'is-not-null': return row[p.column] !== null
  }
  const v = row[p.column]
  if (v === null || v === undefined) return null
  switch (p.op) {
    case '=': return v === lit(p.column, p.value)
    case '!=': return v !== lit(p.column, p.value)
    case '<': return v < lit(p.column, p.value)
    case '<=': return v <= lit(p.column, p.value)
    case '>': return v > lit(p.column, p.value)
    case '>=': return v >= lit(p.column, p.value)
    case 'between': return v >= lit(p.column, p.low) && v <= lit(p.column, p.high)
    case 'in': return p.values.some(x => v === lit(p.column, x))
  }
}

function encode (rows: Row[]): Uint8Array {
  // a few distinct extra strings push 'u' over the dictionary threshold when rows are many
  return encodeSegment(schema, rows).bytes
}

const validate = suite('validatePredicate')

validate('names an unknown column with a did-you-mean, and a literal of the wrong type', () => {
  assert.throws(() => { validatePredicate(schema, { op: '=', column: 'N', value: 1 }) }, (err: Error) => err.name === 'UnknownColumnError' && /Unknown column 'N' \(did you mean 'n'\?\)/.test(err.message))
  assert.throws(() => { validatePredicate({ columns: [{ name: 'amount', type: 'number' }] }, { op: 'not', arg: { op: '>', column: 'amuont', value: 1 } }) }, (err: Error) => /did you mean 'amount'/.test(err.message))
  assert.throws(() => { validatePredicate(schema, { op: '=', column: 'n', value: '1' }) }, (err: Error) => err.name === 'InvalidPredicateError' && /compares column 'n' \(number\) with value "1", not a number/.test(err.message))
  assert.throws(() => { validatePredicate(schema, { op: 'in', column: 'i', values: [1n, 1.5] }) }, (err: Error) => /column 'i' \(int64\) with value 1.5/.test(err.message))
  assert.throws(() => { validatePredicate(schema, { op: 'between', column: 's', low: 'a', high: 3 }) }, (err: Error) => /with high 3, not a string/.test(err.message))
  assert.throws(() => { validatePredicate(schema, { op: 'like', column: 's', value: 'a' } as unknown as Predicate) }, (err: Error) => err.name === 'InvalidPredicateError' && /Unknown predicate op "like"/.test(err.message))
  assert.throws(() => { validatePredicate(schema, { op: 'and' } as unknown as Predicate) }, (err: Error) => /needs an args array/.test(err.message))
  validatePredicate(schema, { op: 'and', args: [{ op: '=', column: 'i', value: 3 }, { op: 'is-null', column: 'u' }, { op: 'in', column: 's', values: [] }] })
})

validate.run()

const compile = suite('compilePredicate')

compile('agrees with SQL three-valued logic on random predicates and rows', () => {
  fc.assert(fc.property(predicateArb, rowsArb, (p, rows) => {
    const keep = compilePredicate(schema, p)
    for (const row of rows) assert.is(keep(row), reference(p, row) === true, JSON.stringify(p, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v))
  }), { numRuns: 2000 })
})

compile('treats null comparisons as unknown: not(x = 1) drops null rows, is-null keeps them', () => {
  const rows: Row[] = [{ n: null }, { n: 1 }, { n: 2 }, { n: NaN }]
  const run = (p: Predicate): Row[] => rows.filter(compilePredicate(schema, p))
  assert.equal(run({ op: 'not', arg: { op: '=', column: 'n', value: 1 } }), [{ n: 2 }, { n: NaN }])
  assert.equal(run({ op: 'or', args: [{ op: '=', column: 'n', value: 1 }, { op: 'is-null', column: 'n' }] }), [{ n: null }, { n: 1 }])
  assert.equal(run({ op: '<', column: 'n', value: 5 }), [{ n: 1 }, { n: 2 }])
  assert.equal(run({ op: 'in', column: 'n', values: [NaN, 2] }), [{ n: 2 }])
})

compile.run()

const select = suite('selectRows')

function checkSelect (p: Predicate, rows: Row[]): void {
  const bytes = encode(rows)
  const view = readSegment(bytes, schema)
  const want = rows.flatMap((row, i) => reference(p, row) === true ? [i] : [])
  assert.equal([...selectRows(view, p)], want, JSON.stringify(p, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v))
  // the row path: the projected records of exactly those rows
  assert.equal(segmentRows(bytes, schema, { columns: ['s', 'n'], predicate: p }).map(r => r.s), want.map(i => rows[i]!.s))
}

select('selects the rows a random predicate is true for, over every column encoding', () => {
  fc.assert(fc.property(predicateArb, rowsArb, checkSelect), { numRuns: 1500 })
  fc.assert(fc.property(conjunctionArb, rowsArb, checkSelect), { numRuns: 1500 })
})

select('selects over plainly stored strings, int32 numbers and segments past 256 rows', () => {
  fc.assert(fc.property(fc.oneof(predicateArb, conjunctionArb), fc.array(rowArb, { minLength: 300, maxLength: 400 }), (p, generated) => {
    // distinct 'u' strings: stored plainly
    // and only 32-bit integers in 'n': stored as int32
    const int32 = (n: Scalar | null): Scalar | null => typeof n === 'number' && (n | 0) === n && !Object.is(n, -0) ? n : null
    const rows: Row[] = generated.map((r, i) => ({ ...r, n: int32(r.n ?? null), u: i % 4 === 0 ? r.u ?? null : `${String(r.u ?? 'x')}${i}` }))
    const view = readSegment(encode(rows), schema, { columns: ['u', 'n'] })
    assert.is(view.columns.get('u')!.kind, 'utf8')
    assert.is(view.columns.get('n')!.kind, 'int32')
    checkSelect(p, rows)
  }), { numRuns: 150 })
})

select('names a predicate column the view does not hold', () => {
  const view = readSegment(encode([{ n: 1, i: 1n, s: 'a', b: true, t: 0, u: 'a' }]), schema, { columns: ['s'] })
  assert.throws(() => selectRows(view, { op: '=', column: 'n', value: 1 }), (err: Error) => err.name === 'InvalidPredicateError' && /column 'n'/.test(err.message))
})

select.run()

const prune = suite('segmentMayMatch')

prune('never skips a segment holding a matching row', () => {
  fc.assert(fc.property(predicateArb, fc.array(rowArb, { minLength: 1, maxLength: 20 }), (p, rows) => {
    const { stats } = encodeSegment(schema, rows)
    if (rows.some(row => reference(p, row) === true)) assert.ok(segmentMayMatch(stats, rows.length, p), JSON.stringify(p, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v))
  }), { numRuns: 3000 })
})

prune('skips segments that min/max and null counts rule out', () => {
  const stats = { n: { min: 10, max: 20, nulls: 0 }, s: { min: 'b', max: 'd', nulls: 2 }, x: { min: null, max: null, nulls: 5 }, nan: { min: NaN, max: NaN, nulls: 0 } }
  const may = (p: Predicate): boolean => segmentMayMatch(stats, 5, p)
  assert.is(may({ op: '>', column: 'n', value: 20 }), false)
  assert.is(may({ op: '>=', column: 'n', value: 20 }), true)
  assert.is(may({ op: 'between', column: 'n', low: 21, high: 30 }), false)
  assert.is(may({ op: 'in', column: 'n', values: [1, 25] }), false)
  assert.is(may({ op: 'in', column: 'n', values: [1, 15] }), true)
  assert.is(may({ op: '=', column: 's', value: 'a' }), false)
  assert.is(may({ op: 'is-null', column: 'n' }), false)
  assert.is(may({ op: 'is-not-null', column: 'x' }), false)
  assert.is(may({ op: '=', column: 'x', value: 1 }), false)
  assert.is(may({ op: 'not', arg: { op: '=', column: 'x', value: 1 } }), false) // unknown for every row
  assert.is(may({ op: 'not', arg: { op: '>', column: 'n', value: 5 } }), false) // true for every row
  assert.is(may({ op: 'not', arg: { op: '>', column: 'n', value: 15 } }), true)
  assert.is(may({ op: 'and', args: [{ op: '>', column: 'n', value: 15 }, { op: '<', column: 'n', value: 12 }] }), true) // per column, not per row: unsure
  assert.is(may({ op: 'or', args: [{ op: '>', column: 'n', value: 25 }, { op: '=', column: 's', value: 'z' }] }), false)
  assert.is(may({ op: '>', column: 'nan', value: 1e300 }), true) // NaN bounds prove nothing
  assert.is(may({ op: '>', column: 'missing', value: 1 }), true)
  assert.is(may({ op: '>', column: 'n', value: 'a' }), true) // a literal of another kind: unsure
  assert.is(segmentMayMatch(stats, 0, { op: 'is-null', column: 'n' }), false)
})

prune.run()
