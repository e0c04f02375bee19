/**
 * Row functions compiled from bound expressions: predicates keep only TRUE, projections
 * build one array, and join/group keys keep NULL apart from 'null', types apart, and
 * NULL parts detectable (NULL never joins).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { call, constant, input } from '../../../../node/sql/bound-expression.ts'
import { compileKeyExtractor, compileRowPredicate, compileRowProjection, keyHasNull } from '../../../../node/sql/exec/compile-expression.ts'

const test = suite('compileExpression')

test('compileRowPredicate: true only when TRUE; FALSE and NULL drop the row', () => {
  const p = compileRowPredicate(call('gt', [input(0, 'DOUBLE', true), constant(1, 'DOUBLE')], 'BOOLEAN'))
  assert.equal([p([2]), p([1]), p([null]), p([undefined as unknown as null])], [true, false, false, false])
})

test('compileRowProjection: one output array per row, inputs read once', () => {
  const f = compileRowProjection([input(1, 'VARCHAR', true), call('add', [input(0, 'BIGINT', false), constant(1n, 'BIGINT')], 'BIGINT'), constant(null, 'INTEGER')])
  assert.equal(f([41n, 'a']), ['a', 42n, null])
  assert.equal(f([0n, undefined]), [null, 1n, null])
})

test('compileKeyExtractor: one key is its value; several a text that keeps NULL, types and boundaries apart', () => {
  const one = compileKeyExtractor([input(0, 'BIGINT', true)])
  assert.is(one([5n]), 5n)
  assert.ok(keyHasNull(one([null]), 1) && !keyHasNull(one([0n]), 1))
  const two = compileKeyExtractor([input(0, 'VARCHAR', true), input(1, 'VARCHAR', true)])
  const keys = [two(['a', 'bc']), two(['ab', 'c']), two([null, 'x']), two(['null', 'x']), two(['', 'x'])]
  assert.is(new Set(keys).size, keys.length)
  assert.equal(keys.map(k => keyHasNull(k, 2)), [false, false, true, false, false])
  assert.is(two(['a', 'bc']), two(['a', 'bc']))
  const mixed = compileKeyExtractor([input(0, 'DOUBLE', true), input(1, 'BOOLEAN', true)])
  assert.is(mixed([1, true]), compileKeyExtractor([input(0, 'BIGINT', true), input(1, 'BOOLEAN', true)])([1n, true]), 'a number and a bigint of one value join')
  assert.is.not(mixed([1, true]), mixed([1, false]))
})

test.run()
