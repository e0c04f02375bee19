import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { parseCsvLine, encodeCsvRow, encodeCsvField, CsvSyntaxError } from 'meshflow/connectors/files'

const parse = suite('parseCsvLine')

parse('splits a plain row on the delimiter', () => {
  assert.equal(parseCsvLine('a,b,c'), ['a', 'b', 'c'])
  assert.equal(parseCsvLine('a;b', ';'), ['a', 'b'])
  assert.equal(parseCsvLine('a||b', '||'), ['a', 'b'])
})

parse('keeps empty fields, including a trailing one', () => {
  assert.equal(parseCsvLine(',a,,'), ['', 'a', '', ''])
  assert.equal(parseCsvLine('""'), [''])
  assert.equal(parseCsvLine('"",""'), ['', ''])
  assert.equal(parseCsvLine('"a",'), ['a', ''])
})

parse('reads delimiters and doubled quotes inside quoted fields', () => {
  assert.equal(parseCsvLine('a,"b,c","say ""hi""",d'), ['a', 'b,c', 'say "hi"', 'd'])
  assert.equal(parseCsvLine('"""",x'), ['"', 'x'])
  assert.equal(parseCsvLine('x;"1;2"', ';'), ['x', '1;2'])
})

parse('keeps line breaks inside quoted fields as written', () => {
  assert.equal(parseCsvLine('a,"x\ny","p\r\nq",b'), ['a', 'x\ny', 'p\r\nq', 'b'])
})

parse('keeps spaces as part of fields', () => {
  assert.equal(parseCsvLine(' a , b '), [' a ', ' b '])
})

function syntaxError (line: string): CsvSyntaxError {
  try {
    parseCsvLine(line)
  } catch (err) {
    assert.instance(err, CsvSyntaxError)
    return err as CsvSyntaxError
  }
  throw new assert.Assertion({ message: `parseCsvLine(${JSON.stringify(line)}) did not throw`, operator: 'throws', actual: undefined, expects: undefined, generated: true })
}

parse('rejects an unterminated quoted field, naming its column', () => {
  const err = syntaxError('a,"open')
  assert.is(err.name, 'CsvSyntaxError')
  assert.is(err.column, 3)
  assert.match(err.message, /Unterminated quoted field \(no quote closes it\) at column 3/)
  assert.is(err.domain, 'user')
  assert.is(err.retriable, false)
})

parse('rejects text after a closing quote', () => {
  assert.match(syntaxError('"a"b,c').message, /after a closing quote at column 4/)
})

parse('rejects a quote inside an unquoted field', () => {
  assert.match(syntaxError('a,b"c"').message, /Quote inside an unquoted field.* at column 4/)
})

parse.run()

const encode = suite('encodeCsvRow')

encode('quotes only fields that hold the delimiter, a quote or a line break', () => {
  assert.is(encodeCsvRow(['a', 'b c', 'd,e', 'say "hi"', 'x\ny', 'r\rs']), 'a,b c,"d,e","say ""hi""","x\ny","r\rs"')
  assert.is(encodeCsvRow(['a;b', 'c,d'], ';'), '"a;b";c,d')
})

encode('writes null and undefined empty, numbers and booleans as text, objects as JSON', () => {
  assert.is(encodeCsvRow([null, undefined, 1.5, true, { a: 1 }, new Date(0)]), ',,1.5,true,"{""a"":1}",1970-01-01T00:00:00.000Z')
  assert.is(encodeCsvField(10n), '10')
})

encode('writes a row of one empty field as "" so that it is not an empty line', () => {
  assert.is(encodeCsvRow(['']), '""')
  assert.equal(parseCsvLine(encodeCsvRow([''])), [''])
})

encode('quotes a field holding part of a multi-character delimiter (found by the property below)', () => {
  assert.is(encodeCsvRow([':', ''], '::'), '":"::')
  assert.equal(parseCsvLine(encodeCsvRow([':', ''], '::'), '::'), [':', ''])
  assert.equal(parseCsvLine(encodeCsvRow(['a', ':b'], '::'), '::'), ['a', ':b'])
})

encode('round-trips any fields without line breaks through parseCsvLine', () => {
  const field = fc.string({ unit: 'grapheme', maxLength: 10 }).map(s => s.replace(/[\r\n]/g, ''))
  fc.assert(fc.property(fc.array(field, { minLength: 1, maxLength: 8 }), fc.constantFrom(',', ';', '\t', '::'), (fields, delimiter) => {
    assert.equal(parseCsvLine(encodeCsvRow(fields, delimiter), delimiter), fields)
  }))
})

encode.run()
