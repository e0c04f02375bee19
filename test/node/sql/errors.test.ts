/**
 * The SQL errors: messages naming the problem and its line:column, the did-you-mean hint,
 * the caret rendering of formatSqlError, and the subclasses' names and fields.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  SqlError, SqlSyntaxError, SqlUnknownTableError, SqlUnknownColumnError, SqlUnknownFunctionError, SqlTypeError,
  SqlAmbiguousColumnError, SqlAggregateError, SqlUnsupportedError, formatSqlError, didYouMean
} from '../../../node/sql/errors.ts'
import type { Pos } from '../../../node/sql/ast.ts'

const at = (line: number, column: number, offset: number): Pos => ({ line, column, offset })

const Errors = suite('SqlError')

Errors('every subclass names the problem and its position, sets name, keeps the position and the cause', () => {
  const cause = new Error('inner')
  const cases: [SqlError, string, string][] = [
    [new SqlSyntaxError("expected end of statement, found 't'", at(1, 15, 14), { cause }), 'SqlSyntaxError', "Syntax error at 1:15: expected end of statement, found 't'"],
    [new SqlUnknownTableError('sale', at(1, 15, 14), ['sales', 'stores'], { cause }), 'SqlUnknownTableError', "Unknown table 'sale' at 1:15 — did you mean 'sales'?"],
    [new SqlUnknownColumnError('amout', at(1, 15, 14), ['store', 'amount'], { cause }), 'SqlUnknownColumnError', "Unknown column 'amout' at 1:15 — did you mean 'amount'?"],
    [new SqlUnknownFunctionError('sume', at(1, 15, 14), ['SUM', 'AVG'], { cause }), 'SqlUnknownFunctionError', "Unknown function 'sume' at 1:15 — did you mean 'SUM'?"],
    [new SqlTypeError('Cannot compare VARCHAR with INTEGER', at(1, 15, 14), { cause }), 'SqlTypeError', 'Cannot compare VARCHAR with INTEGER at 1:15'],
    [new SqlAmbiguousColumnError('id', at(1, 15, 14), ['a', 'b'], { cause }), 'SqlAmbiguousColumnError', "Ambiguous column 'id' at 1:15 — qualify it: a.id or b.id"],
    [new SqlAggregateError("Aggregate 'SUM' is not allowed in WHERE", at(1, 15, 14), { cause }), 'SqlAggregateError', "Aggregate 'SUM' is not allowed in WHERE at 1:15"],
    [new SqlUnsupportedError('LATERAL VIEW', at(1, 15, 14), { cause }), 'SqlUnsupportedError', 'LATERAL VIEW is not supported at 1:15']
  ]
  for (const [err, name, message] of cases) {
    assert.instance(err, SqlError)
    assert.instance(err, Error)
    assert.is(err.name, name)
    assert.is(err.message, message)
    assert.equal([err.line, err.column, err.offset], [1, 15, 14])
    assert.equal(err.pos, at(1, 15, 14))
    assert.is(err.cause, cause)
  }
})

Errors('without close candidates there is no hint, and the defaults read as messages', () => {
  assert.is(new SqlUnknownColumnError('zzz', at(2, 3, 9), ['store', 'amount']).message, "Unknown column 'zzz' at 2:3")
  assert.is(new SqlUnknownTableError('t', at(1, 1, 0)).message, "Unknown table 't' at 1:1")
  assert.is(new SqlAmbiguousColumnError('id', at(1, 1, 0)).message, "Ambiguous column 'id' at 1:1")
  assert.is(new SqlTypeError(undefined, at(1, 2, 1)).message, 'Type mismatch at 1:2')
  assert.is(new SqlAggregateError(undefined, at(1, 2, 1)).message, 'Invalid use of an aggregate at 1:2')
  assert.is(new SqlSyntaxError('', at(1, 2, 1)).message, 'Syntax error at 1:2')
  assert.is(new SqlUnknownColumnError('a', at(1, 1, 0)).columnName, 'a')
  assert.is(new SqlUnsupportedError('PIVOT', at(1, 1, 0)).construct, 'PIVOT')
})

const Format = suite('formatSqlError')

Format('shows the message, the query line and a caret under the column', () => {
  const query = 'SELECT store, amout FROM sales'
  const err = new SqlUnknownColumnError('amout', at(1, 15, 14), ['store', 'amount'])
  assert.is(formatSqlError(err, query), [
    "Unknown column 'amout' at 1:15 — did you mean 'amount'?",
    'SELECT store, amout FROM sales',
    '              ^'
  ].join('\n'))
})

Format("shows only the error's line of a multi-line query, and uses the error's own query", () => {
  const query = 'SELECT store,\n  amout\nFROM sales'
  const err = new SqlUnknownColumnError('amout', at(2, 3, 16), ['amount'], { query })
  assert.is(formatSqlError(err), "Unknown column 'amout' at 2:3 — did you mean 'amount'?\n  amout\n  ^")
})

Format('keeps tabs under the caret, counts characters not UTF-16 units, and a position past the end points just after it', () => {
  assert.is(formatSqlError(new SqlSyntaxError('x', at(1, 3, 2)), '\tab'), 'Syntax error at 1:3: x\n\tab\n\t ^')
  assert.is(formatSqlError(new SqlSyntaxError('x', at(1, 4, 4)), "'😀' x"), "Syntax error at 1:4: x\n'😀' x\n   ^")
  assert.is(formatSqlError(new SqlSyntaxError('x', at(1, 9, 8)), 'SELECT 1'), 'Syntax error at 1:9: x\nSELECT 1\n        ^')
})

Format('cuts a very long line around the column', () => {
  const query = 'SELECT ' + 'a, '.repeat(200) + 'oops FROM t'
  const column = query.indexOf('oops') + 1
  const lines = formatSqlError(new SqlSyntaxError('x', at(1, column, column - 1)), query).split('\n')
  assert.ok((lines[1] as string).length <= 103, lines[1])
  assert.ok((lines[1] as string).startsWith('…'))
  const caret = (lines[2] as string).indexOf('^')
  assert.is((lines[1] as string).slice(caret, caret + 4), 'oops')
})

Format('without a query, or for another error, it is the message alone', () => {
  assert.is(formatSqlError(new SqlTypeError('Bad', at(1, 1, 0))), 'Bad at 1:1')
  assert.is(formatSqlError(new Error('plain'), 'SELECT 1'), 'plain')
  assert.is(formatSqlError('text'), 'text')
})

const DidYouMean = suite('didYouMean')

DidYouMean('finds the closest name case-insensitively within a typo distance', () => {
  assert.is(didYouMean('amout', ['store', 'amount', 'ts']), 'amount')
  assert.is(didYouMean('AMOUNT', ['store', 'amount']), 'amount')
  assert.is(didYouMean('stroe', ['store', 'amount']), 'store', 'a swap of neighbours is one edit')
  assert.is(didYouMean('sume', ['SUM', 'AVG', 'MIN']), 'SUM')
  assert.is(didYouMean('l_extndedprice', ['l_extendedprice', 'l_discount']), 'l_extendedprice')
  assert.is(didYouMean('amont', ['amount', 'amonut']), 'amount', 'the first of equally close candidates')
})

DidYouMean('suggests nothing when nothing is close, for one-letter names, or without candidates', () => {
  assert.is(didYouMean('price', ['store', 'amount']), undefined)
  assert.is(didYouMean('x', ['y', 'z']), undefined)
  assert.is(didYouMean('X', ['y', 'x']), 'x')
  assert.is(didYouMean('ab', ['xy']), undefined)
  assert.is(didYouMean('amount', []), undefined)
  assert.is(didYouMean('abcdefghij', ['abcdefghijklmnop']), undefined)
})

Errors.run()
Format.run()
DidYouMean.run()
