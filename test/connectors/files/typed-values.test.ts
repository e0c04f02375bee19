import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import * as fc from 'fast-check'
import { convertText, convertJson, inferColumn } from 'meshflow/connectors/files'
import { TYPE_CODE } from '../../../connectors/files/typed-values.ts'

const test = suite('convertText')

const fails = (fn: () => unknown, message: string): void => {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, 'ColumnValueError')
    assert.is((err as Error).message, message)
    return
  }
  assert.unreachable(`expected ColumnValueError: ${message}`)
}

test('converts each type and reads an empty field as null', () => {
  assert.is(convertText('number', '2.5', 'a'), 2.5)
  assert.is(convertText('number', '-1e3', 'a'), -1000)
  assert.ok(Number.isNaN(convertText('number', 'NaN', 'a')))
  assert.is(convertText('number', '-Infinity', 'a'), -Infinity)
  assert.is(convertText('int64', '42', 'a'), 42n)
  assert.is(convertText('int64', '-9223372036854775808', 'a'), -9223372036854775808n)
  assert.is(convertText('int64', '9007199254740993', 'a'), 9007199254740993n)
  assert.is(convertText('boolean', 'true', 'a'), true)
  assert.is(convertText('boolean', '0', 'a'), false)
  assert.is(convertText('timestamp', '1704067200123', 'a'), 1704067200123)
  assert.is(convertText('timestamp', '-5', 'a'), -5)
  assert.is(convertText('timestamp', '2024-01-01', 'a'), 1704067200000)
  assert.is(convertText('timestamp', '2024-01-01T00:00:00.123Z', 'a'), 1704067200123)
  assert.is(convertText('timestamp', '2024-01-01 00:00:00.123', 'a'), 1704067200123, 'no zone is UTC; a space for the T')
  assert.is(convertText('timestamp', '2024-01-01T02:00:00+02:00', 'a'), 1704067200000)
  assert.is(convertText('string', 'x y', 'a'), 'x y')
  for (const type of ['string', 'number', 'int64', 'boolean', 'timestamp'] as const) assert.is(convertText(type, '', 'a'), null)
})

test('names the column and the value of what does not convert', () => {
  fails(() => convertText('number', 'abc', 'amount'), "column 'amount': 'abc' is not a number")
  fails(() => convertText('number', ' 1', 'amount'), "column 'amount': ' 1' is not a number")
  fails(() => convertText('int64', '1.5', 'qty'), "column 'qty': '1.5' is not an int64 (integer)")
  fails(() => convertText('int64', '-', 'qty'), "column 'qty': '-' is not an int64 (integer)")
  fails(() => convertText('int64', '9223372036854775808', 'qty'), "column 'qty': '9223372036854775808' is out of the int64 range")
  fails(() => convertText('boolean', 'yes', 'ok'), "column 'ok': 'yes' is not a boolean (true/false/1/0)")
  fails(() => convertText('timestamp', 'March 7 2020', 'ts'), "column 'ts': 'March 7 2020' is not a timestamp (epoch ms or ISO-8601)")
  fails(() => convertText('timestamp', '2024-13-45', 'ts'), "column 'ts': '2024-13-45' is not a timestamp (epoch ms or ISO-8601)")
})

test('numbers and int64 round-trip through their text', () => {
  fc.assert(fc.property(fc.double(), d => {
    const back = convertText('number', String(d), 'x') as number
    assert.ok(Object.is(back, d) || (d === 0 && back === 0), `${d}`)
  }))
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), b => {
    assert.is(convertText('int64', String(b), 'x'), b)
  }))
  fc.assert(fc.property(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), d => {
    assert.is(convertText('timestamp', d.toISOString(), 'x'), d.getTime())
    assert.is(convertText('timestamp', String(d.getTime()), 'x'), d.getTime())
  }))
})

const json = suite('convertJson')

json('checks JSON values and converts strings like CSV text', () => {
  assert.is(convertJson(TYPE_CODE.number, 2.5, 'a'), 2.5)
  assert.is(convertJson(TYPE_CODE.number, '2.5', 'a'), 2.5)
  assert.is(convertJson(TYPE_CODE.int64, 7, 'a'), 7n)
  assert.is(convertJson(TYPE_CODE.int64, '9007199254740993', 'a'), 9007199254740993n)
  assert.is(convertJson(TYPE_CODE.boolean, 1, 'a'), true)
  assert.is(convertJson(TYPE_CODE.timestamp, '2024-01-01', 'a'), 1704067200000)
  assert.is(convertJson(TYPE_CODE.string, 12, 'a'), '12')
  assert.is(convertJson(TYPE_CODE.string, null, 'a'), null)
  assert.is(convertJson(TYPE_CODE.number, undefined, 'a'), null)
  fails(() => convertJson(TYPE_CODE.number, true, 'amount'), "column 'amount': true is not a number")
  fails(() => convertJson(TYPE_CODE.int64, 1.5, 'qty'), "column 'qty': 1.5 is not an integer")
  fails(() => convertJson(TYPE_CODE.int64, 2 ** 60, 'qty'), "column 'qty': 1152921504606847000 is beyond ±2^53 as a JSON number (write it as a string to keep its digits)")
  fails(() => convertJson(TYPE_CODE.string, { a: 1 }, 'note'), "column 'note': {\"a\":1} is not a string")
})

const infer = suite('inferColumn')

infer('picks the narrowest type every value fits', () => {
  assert.is(inferColumn(['true', '', 'false']), 'boolean')
  assert.is(inferColumn(['1', '2.5', '']), 'number')
  assert.is(inferColumn(['1', '2']), 'number')
  assert.is(inferColumn(['1', '9223372036854775807']), 'int64')
  assert.is(inferColumn(['2024-01-01', '2024-01-02T10:00:00Z']), 'timestamp')
  assert.is(inferColumn(['2024-01-01', 'x']), 'string')
  assert.is(inferColumn(['', '']), 'string')
})

test.run()
json.run()
infer.run()
