/**
 * The bytes fast path of typed CSV reading (typed-csv-bytes.ts) against the text path it
 * stands in for: for any row, the same record, or the same error, or null (the text path
 * decodes it).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import * as fc from 'fast-check'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'
import { TypedCsvDecoder } from '../../../connectors/files/typed-decoders.ts'

const test = suite('CsvBytesDecoder')

const schema: DatasetSchema = {
  columns: [
    { name: 'n', type: 'number' },
    { name: 'ts', type: 'timestamp' },
    { name: 'i', type: 'int64' },
    { name: 's', type: 'string' },
    { name: 'b', type: 'boolean' }
  ]
}

/** What decoding gives: the record, or the error's name and message. */
function outcome (fn: () => unknown): unknown {
  try {
    return { ok: fn() }
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` }
  }
}

/** Decodes `line` both ways (after the header `header`); asserts they agree; returns whether the bytes path took it. */
function same (header: string, line: string): boolean {
  const text = new TypedCsvDecoder(schema)
  text.decode(header)
  const bytes = new TypedCsvDecoder(schema)
  bytes.decode(header)
  const buf = Buffer.from(`xx${line}yy`)
  let fast = true
  const got = outcome(() => {
    const v = bytes.decodeBytes(buf, 2, buf.length - 2)
    if (v !== null) return v
    fast = false
    return bytes.decode(line)
  })
  assert.equal(got, outcome(() => text.decode(line)), line)
  return fast
}

const digits = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max })
const pad2 = (n: number): string => String(n).padStart(2, '0')

const numberText = fc.oneof(
  fc.double().map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).chain(d => fc.integer({ min: 0, max: 8 }).map(k => d.toFixed(k))),
  fc.tuple(fc.constantFrom('', '-', '+'), digits(0, 18), fc.constantFrom('', '.'), digits(0, 18)).map(([s, a, d, b]) => s + a + d + b),
  fc.constantFrom('-0', '1.', '.5', '1e5', ' 1', '1 ', 'NaN', 'Infinity', '0x10', '00.5', '9007199254740993', '123456789012345', '1234567890123456', 'abc')
)

const timestampText = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(([y, m, d]) => `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`),
  fc.tuple(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), fc.constantFrom('T', ' ', 'x'),
    fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.constantFrom('', '.5', '.12', '.123', '.1234', 'x123'),
    fc.constantFrom('', 'Z', 'z', '+02:00', '-0130', 'Q'))
    .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${pad2(mo)}-${pad2(d)}${t}${pad2(h)}:${pad2(mi)}:${pad2(s)}${f}${z}`),
  fc.tuple(fc.constantFrom('', '-'), digits(1, 17)).map(([s, d]) => s + d),
  fc.constantFrom('2024-01-01', '2024-02-29', '2023-02-29', '2024-02-30', '2024-01-01T24:00:00Z', 'March 7', '20240101', '1704067200123', '-5', '-')
)

const int64Text = fc.oneof(
  fc.tuple(fc.constantFrom('', '-', '+'), digits(0, 20)).map(([s, d]) => s + d),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('1.5', '1e3', '-0', '9223372036854775808')
)

const stringText = fc.oneof(
  fc.constantFrom('A', 'N', 'R', 'MAIL', 'REG AIR', 'TRUCK'),
  fc.string({ maxLength: 30 }).map(s => s.replace(/[",\r\n]/g, '')),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map(s => s.replace(/[",\r\n]/g, ''))
)

const booleanText = fc.constantFrom('true', 'false', '1', '0', 'TRUE', 'yes', '')

test('decodes every row as the text path does, or leaves it to it', () => {
  fc.assert(fc.property(numberText, timestampText, int64Text, stringText, booleanText, (n, ts, i, s, b) => {
    same('n,ts,i,s,b', [n, ts, i, s, b].join(','))
    same('b,extra,s,i,ts,n', [b, 'x', s, i, ts, n].join(','))
  }), { numRuns: 3000 })
})

test('takes plain rows itself, and leaves quoted rows and wrong field counts to the text path', () => {
  assert.ok(same('n,ts,i,s,b', '2.5,2024-01-31,42,MAIL,true'))
  assert.ok(same('n,ts,i,s,b', '-0.25,2024-01-01T12:30:15.250Z,-7,ünïcode,0'))
  assert.ok(same('n,ts,i,s,b', ',,,,'), 'empty fields are null')
  assert.not.ok(same('n,ts,i,s,b', '1,2,3,"a,b",true'), 'a quoted field')
  assert.not.ok(same('n,ts,i,s,b', '1,2,3,a'), 'a field short')
  assert.not.ok(same('n,ts,i,s,b', '1,2,3,a,true,x'), 'a field over')
  assert.ok(same('n,ts,i,s,b', 'abc,2024-01-01,1,a,true'), 'a bad value fails as in the text path')
})

test('returns the strings of a column whatever its distinct values (cached or not)', () => {
  const bytes = new TypedCsvDecoder(schema)
  bytes.decode('n,ts,i,s,b')
  for (let k = 0; k < 20_000; k++) {
    // few distinct values at first (cached), then mostly distinct ones (the cache turns off)
    const s = k < 5000 ? `v${k % 7}` : `value-${k}`
    const buf = Buffer.from(`1,2,3,${s},true`)
    assert.is(bytes.decodeBytes(buf, 0, buf.length)?.s, s)
  }
})

test.run()
