import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import type { ColumnType, DatasetSchema, Scalar } from '../../../../node/api/dataset-schema.ts'
import type { ColumnStats } from '../../../../node/storage/datasets/dataset-types.ts'
import { INT64_MAX, INT64_MIN } from '../../../../node/storage/datasets/dataset-schema.ts'
import { encodeSegment } from '../../../../node/storage/datasets/segment-codec.ts'
import { readSegment, valueAt } from '../../../../node/storage/datasets/segment-reader.ts'
import { scanSegment, segmentRows } from '../../../../node/storage/datasets/segment-rows.ts'
import { SegmentBuilder } from '../../../../node/storage/datasets/segment-builder.ts'

type Row = Record<string, unknown>

const TYPES: readonly ColumnType[] = ['string', 'number', 'int64', 'boolean', 'timestamp']
const NAMES = ['a', 'store', 'amount', '__proto__', 'toString', 'ünï 😀', 'x y', '"q"']

function valueArb (type: ColumnType): fc.Arbitrary<Scalar> {
  switch (type) {
    case 'string': return fc.oneof(fc.constantFrom('', 'a', 'b', 'é', '😀', 'naïve ☃'), fc.string({ unit: 'grapheme', maxLength: 12 }))
    case 'number': return fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 0.1))
    case 'int64': return fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n))
    case 'boolean': return fc.boolean()
    case 'timestamp': return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 1_700_000_000_000))
  }
}

/** A schema and rows for it: values null, undefined or missing now and then. */
const caseArb: fc.Arbitrary<{ schema: DatasetSchema, rows: Row[] }> = fc.uniqueArray(fc.record({ name: fc.constantFrom(...NAMES), type: fc.constantFrom(...TYPES) }), { minLength: 1, maxLength: 6, selector: c => c.name })
  .chain(columns => {
    const schema: DatasetSchema = { columns }
    const cell = (type: ColumnType): fc.Arbitrary<unknown> => fc.oneof({ weight: 6, arbitrary: valueArb(type) }, { weight: 1, arbitrary: fc.constantFrom(null, undefined, MISSING) })
    const row = fc.tuple(...columns.map(c => cell(c.type))).map(values => {
      const r: Row = {}
      columns.forEach((c, j) => { if (values[j] !== MISSING) Object.defineProperty(r, c.name, { value: values[j], enumerable: true, writable: true, configurable: true }) })
      return r
    })
    return fc.record({ schema: fc.constant(schema), rows: fc.array(row, { maxLength: 70 }) })
  })
const MISSING = Symbol('missing')

function own (row: Row, name: string): unknown {
  return Object.hasOwn(row, name) ? row[name] : undefined
}

function sameValue (a: unknown, b: unknown): boolean {
  return Object.is(a, b)
}

function expectedStats (type: ColumnType, values: unknown[]): ColumnStats {
  const present = values.filter(v => v !== null && v !== undefined) as Scalar[]
  const nulls = values.length - present.length
  if (present.length === 0) return { min: null, max: null, nulls }
  if (present.some(v => typeof v === 'number' && Number.isNaN(v))) return { min: NaN, max: NaN, nulls }
  let min = present[0]!
  let max = present[0]!
  for (const v of present) { if (v < min) min = v; if (v > max) max = v }
  return { min, max, nulls }
}

const roundTrip = suite('encodeSegment')

roundTrip('round-trips random rows of every type with nulls, and computes min/max/null counts', () => {
  fc.assert(fc.property(caseArb, ({ schema, rows }) => {
    const segment = encodeSegment(schema, rows)
    assert.is(segment.rows, rows.length)
    const back = segmentRows(segment.bytes, schema)
    assert.is(back.length, rows.length)
    rows.forEach((row, i) => {
      const got = back[i]!
      assert.equal(Object.keys(got), schema.columns.map(c => c.name))
      for (const c of schema.columns) {
        const want = own(row, c.name) ?? null
        if (!sameValue(own(got, c.name), want)) assert.unreachable(`row ${i} column ${c.name}: ${String(own(got, c.name))} != ${String(want)}`)
      }
      assert.is(Object.getPrototypeOf(got), Object.prototype)
    })
    for (const c of schema.columns) {
      const want = expectedStats(c.type, rows.map(r => own(r, c.name)))
      const got = segment.stats[c.name]!
      assert.is(got.nulls, want.nulls, c.name)
      assert.ok(sameValue(got.min, want.min) || (got.min === 0 && want.min === 0), `${c.name} min ${String(got.min)} != ${String(want.min)}`)
      assert.ok(sameValue(got.max, want.max) || (got.max === 0 && want.max === 0), `${c.name} max ${String(got.max)} != ${String(want.max)}`)
    }
  }), { numRuns: 300 })
})

roundTrip('keeps -0, NaN, infinities and the int64 extremes; NaN makes min and max NaN', () => {
  const schema: DatasetSchema = { columns: [{ name: 'x', type: 'number' }, { name: 'i', type: 'int64' }] }
  const rows = [{ x: -0, i: INT64_MIN }, { x: NaN, i: INT64_MAX }, { x: Infinity, i: 0n }, { x: -Infinity, i: null }, { x: 1, i: 9007199254740993n }]
  const { bytes, stats } = encodeSegment(schema, rows)
  const back = segmentRows(bytes, schema)
  assert.ok(Object.is(back[0]!.x, -0))
  assert.ok(Number.isNaN(back[1]!.x))
  assert.equal(back.map(r => r.i), [INT64_MIN, INT64_MAX, 0n, null, 9007199254740993n])
  assert.ok(Number.isNaN(stats.x!.min) && Number.isNaN(stats.x!.max))
  assert.equal(stats.i, { min: INT64_MIN, max: INT64_MAX, nulls: 1 })
  // -0 keeps the column out of the int32 encoding, which could not hold it
  assert.is(readSegment(encodeSegment(schema, [{ x: -0, i: 1n }, { x: 3, i: 2n }]).bytes, schema).columns.get('x')!.kind, 'float64')
  assert.is(readSegment(encodeSegment(schema, [{ x: 0, i: 1n }, { x: 3, i: 2n }]).bytes, schema).columns.get('x')!.kind, 'int32')
})

roundTrip('encodes an empty segment and all-null columns', () => {
  const schema: DatasetSchema = { columns: TYPES.map(type => ({ name: type, type })) }
  const empty = encodeSegment(schema, [])
  assert.is(empty.rows, 0)
  assert.equal(segmentRows(empty.bytes, schema), [])
  for (const type of TYPES) assert.equal(empty.stats[type], { min: null, max: null, nulls: 0 })
  const nulls = encodeSegment(schema, [{}, { string: null, number: undefined }, {}])
  assert.equal(segmentRows(nulls.bytes, schema), [0, 1, 2].map(() => ({ string: null, number: null, int64: null, boolean: null, timestamp: null })))
  for (const type of TYPES) assert.equal(nulls.stats[type], { min: null, max: null, nulls: 3 })
})

roundTrip('stores strings as UTF-8: a lone surrogate (not well-formed UTF-16) comes back as U+FFFD', () => {
  const schema: DatasetSchema = { columns: [{ name: 's', type: 'string' }] }
  const rows = [{ s: 'ok 😀' }, { s: 'bad \ud800' }]
  assert.equal(segmentRows(encodeSegment(schema, rows).bytes, schema), [{ s: 'ok 😀' }, { s: 'bad \ufffd' }])
})

roundTrip('coerces safe integers to int64 and Dates to timestamps', () => {
  const schema: DatasetSchema = { columns: [{ name: 'i', type: 'int64' }, { name: 't', type: 'timestamp' }] }
  assert.equal(segmentRows(encodeSegment(schema, [{ i: 5, t: new Date(1000) }]).bytes, schema), [{ i: 5n, t: 1000 }])
})

roundTrip('names the row, column, expected type and value of a value of the wrong type', () => {
  const schema: DatasetSchema = { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
  const rows = [{ store: 'a', amount: 1 }, { store: 'b', amount: '2.5' }]
  try {
    encodeSegment(schema, rows, { firstRow: 100 })
    assert.unreachable('encoded')
  } catch (err) {
    assert.is((err as Error).name, 'RowTypeError')
    assert.is((err as Error).message, "Row 101: column 'amount' expects a number (number), got \"2.5\"")
  }
  assert.throws(() => encodeSegment(schema, [{ store: 'a' }, 7]), (err: Error) => err.name === 'RowTypeError' && /Row 1: .*got 7/.test(err.message))
  assert.throws(() => encodeSegment({ columns: [{ name: 'i', type: 'int64' }] }, [{ i: 2n ** 64n }]), (err: Error) => /column 'i'.*got 18446744073709551616n/.test(err.message))
  assert.throws(() => encodeSegment({ columns: [{ name: 't', type: 'timestamp' }] }, [{ t: Infinity }]), (err: Error) => /column 't' expects epoch milliseconds/.test(err.message))
})

roundTrip('picks dictionaries of 8, 16 and 32-bit indexes, and plain strings when most values differ', () => {
  const schema: DatasetSchema = { columns: [{ name: 's', type: 'string' }] }
  const kindOf = (rows: Row[]): string => {
    const { bytes } = encodeSegment(schema, rows)
    const column = readSegment(bytes, schema).columns.get('s')!
    const back = segmentRows(bytes, schema)
    for (let i = 0; i < rows.length; i++) if (back[i]!.s !== (rows[i]!.s ?? null)) assert.unreachable(`row ${i}`)
    return column.kind === 'dict' ? `dict${column.indexes.BYTES_PER_ELEMENT * 8}` : column.kind
  }
  assert.is(kindOf(Array.from({ length: 1000 }, (_, i) => ({ s: `v${i % 3}` }))), 'dict8')
  assert.is(kindOf(Array.from({ length: 2000 }, (_, i) => ({ s: `v${i % 700}` }))), 'dict16')
  assert.is(kindOf(Array.from({ length: 200_000 }, (_, i) => ({ s: i < 100 && i % 2 === 0 ? null : `v${Math.floor(i / 3)}` }))), 'dict32')
  assert.is(kindOf(Array.from({ length: 1000 }, (_, i) => ({ s: `unique ${i} ☃` }))), 'utf8')
})

roundTrip.run()

const projection = suite('readSegment')

projection('decodes only the projected columns, in the order asked', () => {
  const schema: DatasetSchema = { columns: [{ name: 'a', type: 'string' }, { name: 'b', type: 'number' }, { name: 'c', type: 'boolean' }] }
  const { bytes } = encodeSegment(schema, [{ a: 'x', b: 1.5, c: true }, { a: 'y', b: null, c: false }])
  const view = readSegment(bytes, schema, { columns: ['c', 'b'] })
  assert.equal([...view.columns.keys()], ['c', 'b'])
  assert.equal([0, 1].map(i => valueAt(view.columns.get('b')!, i)), [1.5, null])
  assert.equal(segmentRows(bytes, schema, { columns: ['c', 'a'] }), [{ c: true, a: 'x' }, { c: false, a: 'y' }])
  assert.throws(() => readSegment(bytes, schema, { columns: ['bb'] }), (err: Error) => err.name === 'UnknownColumnError' && /Unknown column 'bb' \(did you mean 'b'\?\)/.test(err.message))
})

projection('reads bytes at an unaligned offset (copying what typed arrays cannot view)', () => {
  const schema: DatasetSchema = { columns: [{ name: 'f', type: 'number' }, { name: 'i', type: 'int64' }, { name: 's', type: 'string' }] }
  const rows = Array.from({ length: 50 }, (_, k) => ({ f: k + 0.5, i: BigInt(k) << 40n, s: `s${k % 5}` }))
  const { bytes } = encodeSegment(schema, rows)
  const shifted = new Uint8Array(bytes.byteLength + 3)
  shifted.set(bytes, 3)
  assert.equal(segmentRows(shifted.subarray(3), schema), rows)
})

projection('scanSegment builds the records a range at a time: the ranges together are segmentRows, with or without a predicate', () => {
  const schema: DatasetSchema = { columns: [{ name: 'k', type: 'number' }, { name: 's', type: 'string' }] }
  const rows = Array.from({ length: 300 }, (_, k) => ({ k, s: k % 3 === 0 ? null : `s${k % 7}` }))
  const { bytes } = encodeSegment(schema, rows)
  for (const scan of [{}, { columns: ['s'] }, { predicate: { op: '>=', column: 'k', value: 100 } as const }, { columns: ['k'], predicate: { op: 'is-not-null', column: 's' } as const }]) {
    const whole = segmentRows(bytes, schema, scan)
    const scanned = scanSegment(bytes, schema, scan)
    assert.is(scanned.rows, whole.length)
    for (const step of [1, 7, 64, 1000]) {
      const parts: unknown[] = []
      for (let from = 0; from < scanned.rows; from += step) parts.push(...scanned.records(from, from + step))
      assert.equal(parts, whole, `ranges of ${step} of ${JSON.stringify(scan)}`)
    }
    assert.equal(scanned.records(scanned.rows, scanned.rows + 5), [], 'past the end: nothing')
  }
})

projection('refuses a segment whose columns are not the schema\'s', () => {
  const { bytes } = encodeSegment({ columns: [{ name: 'a', type: 'number' }] }, [{ a: 1 }])
  assert.throws(() => readSegment(bytes, { columns: [{ name: 'a', type: 'string' }] }), (err: Error) => err.name === 'CorruptSegmentError' && /column 1 is 'a' \(number\) in the segment, 'a' \(string\) in the schema/.test(err.message))
  assert.throws(() => readSegment(bytes, { columns: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] }), (err: Error) => err.name === 'CorruptSegmentError' && /1 columns in the segment, 2 in the schema/.test(err.message))
})

projection.run()

const corrupt = suite('readSegment (corrupt bytes)')
const fuzzSchema: DatasetSchema = {
  columns: [
    { name: 'dict', type: 'string' }, { name: 'plain', type: 'string' }, { name: 'f', type: 'number' }, { name: 'small', type: 'number' },
    { name: 'i', type: 'int64' }, { name: 'b', type: 'boolean' }, { name: 't', type: 'timestamp' }
  ]
}
const fuzzRows = Array.from({ length: 37 }, (_, k) => ({
  dict: k % 4 === 0 ? null : `d${k % 3}`, plain: `p ${k} é`, f: k % 5 === 0 ? null : k / 3, small: k, i: k % 6 === 0 ? null : BigInt(k) * 3n, b: k % 7 === 0 ? null : k % 2 === 0, t: 1_700_000_000_000 + k
}))
const good = encodeSegment(fuzzSchema, fuzzRows).bytes

function decodesOrCorrupt (bytes: Uint8Array): void {
  try {
    segmentRows(bytes, fuzzSchema)
    segmentRows(bytes, fuzzSchema, { columns: ['plain'], predicate: { op: 'and', args: [{ op: '>', column: 'f', value: 1 }, { op: '=', column: 'dict', value: 'd1' }] } })
  } catch (err) {
    if ((err as Error).name !== 'CorruptSegmentError') throw err
  }
}

function corruptWith (bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => segmentRows(bytes, fuzzSchema), (err: Error) => err.name === 'CorruptSegmentError' && pattern.test(err.message))
}

corrupt('names a bad magic, an unknown version, truncated bytes and trailing bytes', () => {
  const copy = (): Uint8Array => good.slice()
  const badMagic = copy(); badMagic[0] = 0x58
  corruptWith(badMagic, /bad magic/)
  const version = copy(); version[4] = 9
  corruptWith(version, /unknown format version 9/)
  corruptWith(good.subarray(0, 10), /truncated: 10 bytes, shorter than the 16-byte header/)
  corruptWith(good.subarray(0, good.length - 1), /truncated: the header says/)
  corruptWith(new Uint8Array([...good, 0]), /1 bytes past the declared end/)
  const dictIndex = copy()
  const view = readSegment(good, fuzzSchema, { columns: ['dict'] }).columns.get('dict')!
  assert.is(view.kind, 'dict')
  dictIndex[(view as { indexes: Uint8Array }).indexes.byteOffset + 1] = 200
  corruptWith(dictIndex, /column 'dict': row 1 points past its dictionary of 3 strings/)
})

corrupt('flipped, truncated or extended bytes decode or give CorruptSegmentError, never another error', () => {
  fc.assert(fc.property(fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()), (flips, cut) => {
    const bytes = good.slice()
    for (const { at, value } of flips) bytes[at % bytes.length] = value
    decodesOrCorrupt(bytes)
    if (cut !== null) decodesOrCorrupt(bytes.subarray(0, cut % bytes.length))
  }), { numRuns: 3000 })
  // flips in the header and column entries, where every byte is an offset or a length
  fc.assert(fc.property(fc.nat({ max: 16 + 32 * 7 - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
    const bytes = good.slice()
    bytes[at] = value
    decodesOrCorrupt(bytes)
  }), { numRuns: 3000 })
})

corrupt.run()

const builder = suite('SegmentBuilder')

builder('cuts segments under the target size and keeps every row in order', () => {
  const schema: DatasetSchema = { columns: [{ name: 'k', type: 'number' }, { name: 's', type: 'string' }] }
  const b = new SegmentBuilder(schema, { targetBytes: 4096 })
  const segments = []
  const rows = Array.from({ length: 2000 }, (_, k) => ({ k, s: `row ${k}` }))
  for (const row of rows) segments.push(...b.append(row))
  assert.ok(segments.length > 3)
  assert.ok(b.pendingRows > 0)
  segments.push(...b.flush())
  assert.is(b.pendingRows, 0)
  assert.equal(b.flush(), [])
  for (const s of segments) assert.ok(s.bytes.byteLength <= 4096, `${s.bytes.byteLength}`)
  assert.equal(segments.flatMap(s => segmentRows(s.bytes, schema)), rows)
  assert.is(segments.reduce((n, s) => n + s.rows, 0), rows.length)
})

builder('splits a segment that encodes larger than estimated (multi-byte strings), and refuses a row larger than a segment', () => {
  const schema: DatasetSchema = { columns: [{ name: 's', type: 'string' }] }
  const b = new SegmentBuilder(schema, { targetBytes: 2048 })
  const rows = Array.from({ length: 300 }, (_, k) => ({ s: `☃☃☃☃☃☃☃☃☃☃${k}` }))
  const segments = [...b.appendBatch(rows), ...b.flush()]
  for (const s of segments) assert.ok(s.bytes.byteLength <= 2048, `${s.bytes.byteLength}`)
  assert.equal(segments.flatMap(s => segmentRows(s.bytes, schema)), rows)
  const big = new SegmentBuilder(schema, { targetBytes: 2048 })
  big.append({ s: 'ok' })
  big.append({ s: 'x'.repeat(3000) })
  assert.throws(() => big.flush(), (err: Error) => err.name === 'RowTooLargeError' && /Row 1 alone encodes to \d+ bytes/.test(err.message))
})

builder('names the row number counted over everything appended', () => {
  const schema: DatasetSchema = { columns: [{ name: 'n', type: 'number' }] }
  const b = new SegmentBuilder(schema, { maxRows: 10 })
  assert.throws(() => {
    for (let k = 0; k < 30; k++) b.append({ n: k === 23 ? 'bad' : k })
    b.flush()
  }, (err: Error) => err.name === 'RowTypeError' && /^Row 23: column 'n'/.test(err.message))
})

builder.run()
