/**
 * The function registry's type rules, and every function evaluated through the compiled
 * row path: NULL in gives NULL out (except IS, COALESCE, concat, AND/OR, greatest/least),
 * and the edge cases DuckDB (our oracle) decides — the expected values here were read off
 * DuckDB 1.x: `/` is DOUBLE division, a division or remainder by zero is NULL (DuckDB's answer
 * with `ieee_floating_point_ops = false`, which the oracle sets; its default gives Infinity),
 * ROUND is half away from zero, CAST of a DOUBLE to INTEGER half to even, LIKE without
 * ESCAPE has no escape character, overflow is an error.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { aggregateResultType, castError, functionNames, isAggregateFunction, resolveFunction, type ResolvedFunction } from '../../../node/sql/functions.ts'
import { call, constant, input, type BoundExpr } from '../../../node/sql/bound-expression.ts'
import type { SqlType } from '../../../node/sql/sql-types.ts'
import { compileRowExpression } from '../../../node/sql/exec/compile-expression.ts'

const test = suite('functions')

function resolved (name: string, types: readonly SqlType[]): ResolvedFunction {
  const r = resolveFunction(name, types)
  if ('error' in r) throw new Error(r.error)
  return r
}

/** `name(values…)` evaluated over a row holding the values, typed as the registry casts them. */
function run (name: string, types: readonly SqlType[], values: readonly unknown[]): unknown {
  const r = resolved(name, types)
  const args = r.argTypes.map((t, i) => input(i, t, true))
  return compileRowExpression(call(r.fn, args, r.type, true))(values)
}

const D = (iso: string): number => Date.parse(`${iso}T00:00:00Z`)
const TS = (iso: string): number => Date.parse(`${iso.replace(' ', 'T')}Z`)

test('resolveFunction: numbers widen, / is DOUBLE, mixed types are cast, aliases resolve', () => {
  assert.equal(resolved('+', ['INTEGER', 'INTEGER']), { fn: 'add', type: 'INTEGER', argTypes: ['INTEGER', 'INTEGER'], nullable: 'args' })
  assert.equal(resolved('add', ['INTEGER', 'BIGINT']).argTypes, ['BIGINT', 'BIGINT'])
  assert.equal(resolved('MUL', ['BIGINT', 'DOUBLE']).type, 'DOUBLE')
  assert.equal(resolved('/', ['INTEGER', 'INTEGER']), { fn: 'div', type: 'DOUBLE', argTypes: ['DOUBLE', 'DOUBLE'], nullable: 'always' })
  assert.is(resolved('%', ['INTEGER', 'INTEGER']).nullable, 'always')
  assert.equal(resolved('=', ['DATE', 'TIMESTAMP']).argTypes, ['TIMESTAMP', 'TIMESTAMP'])
  assert.equal(resolved('<', ['VARCHAR', 'DATE']).argTypes, ['DATE', 'DATE'])
  assert.equal(resolved('substr', ['VARCHAR', 'BIGINT']), { fn: 'substring', type: 'VARCHAR', argTypes: ['VARCHAR', 'INTEGER'], nullable: 'args' })
  assert.is(resolved('CHAR_LENGTH', ['VARCHAR']).fn, 'length')
  assert.is(resolved('ceiling', ['DOUBLE']).fn, 'ceil')
  assert.is(resolved('strpos', ['VARCHAR', 'VARCHAR']).fn, 'position')
  assert.equal(resolved('extract_year', ['DATE']), { fn: 'year', type: 'BIGINT', argTypes: ['DATE'], nullable: 'args' })
  assert.equal(resolved('+', ['DATE', 'INTERVAL']), { fn: 'ts_add_interval', type: 'TIMESTAMP', argTypes: ['TIMESTAMP', 'INTERVAL'], nullable: 'args' })
  assert.equal(resolved('-', ['DATE', 'DATE']).type, 'BIGINT')
  assert.is(resolved('||', ['VARCHAR', 'INTEGER']).fn, 'concat_op')
  assert.equal(resolved('concat', ['VARCHAR', 'INTEGER', 'NULL']), { fn: 'concat', type: 'VARCHAR', argTypes: ['VARCHAR', 'VARCHAR', 'VARCHAR'], nullable: 'never' })
  assert.equal(resolved('coalesce', ['NULL', 'INTEGER', 'DOUBLE']).argTypes, ['DOUBLE', 'DOUBLE', 'DOUBLE'])
  assert.is(resolved('is_null', ['VARCHAR']).nullable, 'never')
})

test('resolveFunction: mismatches are errors naming the call and the types', () => {
  assert.equal(resolveFunction('=', ['VARCHAR', 'INTEGER']), { error: 'Cannot compare VARCHAR with INTEGER' })
  assert.equal(resolveFunction('+', ['VARCHAR', 'INTEGER']), { error: 'Operator + does not apply to VARCHAR and INTEGER' })
  assert.equal(resolveFunction('upper', ['INTEGER']), { error: 'No function upper(INTEGER); upper takes (VARCHAR)' })
  assert.equal(resolveFunction('frobnicate', ['INTEGER']), { error: 'Unknown function frobnicate' })
  assert.equal(resolveFunction('in', ['INTEGER', 'VARCHAR']), { error: 'No function in(INTEGER, VARCHAR): INTEGER and VARCHAR do not mix' })
  assert.ok('error' in resolveFunction('extract_fortnight', ['DATE']))
  assert.ok('error' in resolveFunction('and', ['BOOLEAN', 'INTEGER']))
})

test('aggregates: names and result types', () => {
  assert.ok(isAggregateFunction('COUNT') && isAggregateFunction('avg') && !isAggregateFunction('upper'))
  assert.is(aggregateResultType('count_star', undefined), 'BIGINT')
  assert.is(aggregateResultType('sum', 'INTEGER'), 'BIGINT')
  assert.is(aggregateResultType('sum', 'DOUBLE'), 'DOUBLE')
  assert.is(aggregateResultType('avg', 'BIGINT'), 'DOUBLE')
  assert.is(aggregateResultType('max', 'VARCHAR'), 'VARCHAR')
  assert.ok(typeof aggregateResultType('sum', 'VARCHAR') === 'object')
  assert.ok(functionNames().includes('upper') && functionNames().includes('date_trunc') && !functionNames().includes('add'))
})

/** A call of every function with arguments that give a value, and that value. */
const CASES: [string, SqlType[], unknown[], unknown][] = [
  ['+', ['INTEGER', 'INTEGER'], [2, 3], 5], ['-', ['BIGINT', 'BIGINT'], [2n, 3n], -1n], ['*', ['DOUBLE', 'DOUBLE'], [1.5, 2], 3],
  ['/', ['INTEGER', 'INTEGER'], [7, 2], 3.5], ['%', ['INTEGER', 'INTEGER'], [-7, 3], -1], ['neg', ['INTEGER'], [4], -4],
  ['||', ['VARCHAR', 'VARCHAR'], ['a', 'b'], 'ab'], ['=', ['VARCHAR', 'VARCHAR'], ['a', 'a'], true], ['<>', ['DOUBLE', 'DOUBLE'], [1, 2], true],
  ['<', ['VARCHAR', 'VARCHAR'], ['B', 'a'], true], ['<=', ['BIGINT', 'BIGINT'], [2n, 2n], true], ['>', ['TIMESTAMP', 'TIMESTAMP'], [2, 1], true],
  ['>=', ['BOOLEAN', 'BOOLEAN'], [true, false], true], ['not', ['BOOLEAN'], [false], true], ['like', ['VARCHAR', 'VARCHAR'], ['abc', 'a_c'], true],
  ['ilike', ['VARCHAR', 'VARCHAR'], ['ABC', 'a%'], true], ['upper', ['VARCHAR'], ['ab'], 'AB'], ['lower', ['VARCHAR'], ['ÄB'], 'äb'],
  ['length', ['VARCHAR'], ['héllo😀'], 6n], ['substring', ['VARCHAR', 'INTEGER', 'INTEGER'], ['hello', 2, 3], 'ell'],
  ['trim', ['VARCHAR'], ['  a  '], 'a'], ['ltrim', ['VARCHAR', 'VARCHAR'], ['xxaxx', 'x'], 'axx'], ['rtrim', ['VARCHAR'], ['  a  '], '  a'],
  ['replace', ['VARCHAR', 'VARCHAR', 'VARCHAR'], ['abab', 'b', 'c'], 'acac'], ['position', ['VARCHAR', 'VARCHAR'], ['abc', 'c'], 3n],
  ['starts_with', ['VARCHAR', 'VARCHAR'], ['abc', 'ab'], true], ['left', ['VARCHAR', 'INTEGER'], ['hello', 2], 'he'],
  ['right', ['VARCHAR', 'INTEGER'], ['hello', 2], 'lo'], ['lpad', ['VARCHAR', 'INTEGER', 'VARCHAR'], ['hi', 5, 'xy'], 'xyxhi'],
  ['rpad', ['VARCHAR', 'INTEGER', 'VARCHAR'], ['hi', 5, 'xy'], 'hixyx'], ['reverse', ['VARCHAR'], ['abc'], 'cba'],
  ['abs', ['INTEGER'], [-3], 3], ['round', ['DOUBLE'], [2.5], 3], ['floor', ['DOUBLE'], [-3.5], -4], ['ceil', ['DOUBLE'], [-3.5], -3],
  ['sqrt', ['DOUBLE'], [9], 3], ['power', ['DOUBLE', 'DOUBLE'], [2, 10], 1024], ['exp', ['DOUBLE'], [0], 1], ['ln', ['DOUBLE'], [1], 0],
  ['log10', ['DOUBLE'], [1000], 3], ['sign', ['DOUBLE'], [-3.5], -1], ['mod', ['BIGINT', 'BIGINT'], [7n, 3n], 1n],
  ['year', ['DATE'], [D('2020-03-05')], 2020n], ['month', ['DATE'], [D('2020-03-05')], 3n], ['day', ['DATE'], [D('2020-03-05')], 5n],
  ['hour', ['TIMESTAMP'], [TS('2020-03-05 10:11:12.5')], 10n], ['minute', ['TIMESTAMP'], [TS('2020-03-05 10:11:12.5')], 11n],
  ['second', ['TIMESTAMP'], [TS('2020-03-05 10:11:12.5')], 12n], ['quarter', ['DATE'], [D('2020-03-08')], 1n],
  ['dayofweek', ['DATE'], [D('2020-03-08')], 0n], ['dayofyear', ['DATE'], [D('2020-03-08')], 68n], ['millisecond', ['TIMESTAMP'], [TS('2020-01-01 00:00:01.5')], 1500n],
  ['date_trunc', ['VARCHAR', 'TIMESTAMP'], ['month', TS('2020-03-05 10:00:00')], D('2020-03-01')],
  ['+', ['DATE', 'INTERVAL'], [D('2020-01-31'), { months: 1, ms: 0 }], D('2020-02-29')], ['-', ['TIMESTAMP', 'INTERVAL'], [D('2020-03-31'), { months: 1, ms: 0 }], D('2020-02-29')],
  ['-', ['DATE', 'DATE'], [D('2020-03-01'), D('2020-01-01')], 60n], ['+', ['DATE', 'INTEGER'], [D('2020-01-01'), 5], D('2020-01-06')],
  ['nullif', ['INTEGER', 'INTEGER'], [1, 2], 1], ['in', ['INTEGER', 'INTEGER', 'INTEGER'], [1, 2, 1], true]
]

test('every strict function: a value, and NULL for a NULL in any argument', () => {
  for (const [name, types, values, expected] of CASES) {
    assert.equal(run(name, types, values), expected, `${name}(${values.map(String).join(', ')})`)
    if (name === 'nullif') continue
    for (let i = 0; i < values.length; i++) {
      const withNull = values.map((v, j) => j === i ? null : v)
      if (name === 'in' && i > 0) continue // 1 IN (NULL, 1) is TRUE
      assert.is(run(name, types, withNull), null, `${name} with NULL argument ${i + 1}`)
    }
  }
  const covered = new Set(CASES.map(c => resolved(c[0], c[1]).fn))
  for (const n of functionNames()) {
    const fn = (resolveFunction(n, ['VARCHAR']) as { fn?: string }).fn ?? n
    if (['coalesce', 'concat', 'greatest', 'least', 'char_length', 'substr', 'strpos', 'instr', 'ceiling', 'pow', 'dayofmonth'].includes(n)) continue
    assert.ok(covered.has(fn) || covered.has(n), `${n} has a case`)
  }
})

test('the non-strict ones: IS, COALESCE, concat, greatest/least, NULLIF, IN, three-valued AND/OR', () => {
  assert.is(run('is_null', ['INTEGER'], [null]), true)
  assert.is(run('is_not_null', ['INTEGER'], [null]), false)
  assert.is(run('is_true', ['BOOLEAN'], [null]), false)
  assert.is(run('is_false', ['BOOLEAN'], [false]), true)
  assert.is(run('coalesce', ['INTEGER', 'INTEGER', 'INTEGER'], [null, 2, 3]), 2)
  assert.is(run('coalesce', ['INTEGER', 'INTEGER'], [null, null]), null)
  assert.is(run('concat', ['VARCHAR', 'VARCHAR', 'VARCHAR'], ['a', null, '1']), 'a1')
  assert.is(run('concat', ['VARCHAR'], [null]), '')
  assert.is(run('greatest', ['INTEGER', 'INTEGER', 'INTEGER'], [1, null, 3]), 3)
  assert.is(run('least', ['INTEGER', 'INTEGER'], [null, null]), null)
  assert.is(run('nullif', ['INTEGER', 'INTEGER'], [1, 1]), null)
  assert.is(run('nullif', ['INTEGER', 'INTEGER'], [1, null]), 1)
  assert.is(run('in', ['INTEGER', 'INTEGER', 'INTEGER'], [1, 2, null]), null)
  assert.is(run('in', ['INTEGER', 'INTEGER', 'INTEGER'], [1, null, 1]), true)
  assert.is(run('in', ['INTEGER', 'INTEGER'], [1, 2]), false)
  const T = true; const F = false; const N = null
  const and = [[T, T, T], [T, F, F], [T, N, N], [F, N, F], [N, F, F], [N, N, N], [F, F, F], [N, T, N]]
  for (const [a, b, r] of and) assert.is(run('and', ['BOOLEAN', 'BOOLEAN'], [a, b]), r, `${a} AND ${b}`)
  const or = [[T, T, T], [T, F, T], [T, N, T], [F, N, N], [N, T, T], [N, N, N], [F, F, F], [N, F, N]]
  for (const [a, b, r] of or) assert.is(run('or', ['BOOLEAN', 'BOOLEAN'], [a, b]), r, `${a} OR ${b}`)
  assert.is(run('and', ['BOOLEAN', 'BOOLEAN', 'BOOLEAN'], [T, N, F]), false)
})

test('numbers: division by zero, integer modulo by zero, rounding, NaN ordering, overflow', () => {
  assert.is(run('/', ['INTEGER', 'INTEGER'], [1, 0]), null)
  assert.is(run('/', ['DOUBLE', 'DOUBLE'], [-1, 0]), null)
  assert.is(run('/', ['DOUBLE', 'DOUBLE'], [0, 0]), null)
  assert.is(run('%', ['DOUBLE', 'DOUBLE'], [1.5, 0]), null)
  assert.is(run('%', ['INTEGER', 'INTEGER'], [5, 0]), null)
  assert.is(run('%', ['BIGINT', 'BIGINT'], [5n, 0n]), null)
  assert.is(run('%', ['INTEGER', 'INTEGER'], [7, -3]), 1)
  assert.is(run('%', ['DOUBLE', 'DOUBLE'], [-7.5, 2]), -1.5)
  for (const [x, d, r] of [[2.5, 0, 3], [-2.5, 0, -3], [0.5, 0, 1], [-0.5, 0, -1], [1.25, 1, 1.3], [-1.25, 1, -1.3], [1234.5, -2, 1200], [1.005, 2, 1]] as const) {
    assert.is(run('round', ['DOUBLE', 'INTEGER'], [x, d]), r, `round(${x}, ${d})`)
  }
  assert.is(run('round', ['INTEGER', 'INTEGER'], [15, -1]), 20)
  assert.is(run('round', ['INTEGER', 'INTEGER'], [-15, -1]), -20)
  assert.is(run('round', ['BIGINT', 'INTEGER'], [-25n, -1]), -30n)
  assert.is(run('=', ['DOUBLE', 'DOUBLE'], [NaN, NaN]), true)
  assert.is(run('>', ['DOUBLE', 'DOUBLE'], [NaN, 1e300]), true)
  assert.is(run('<', ['DOUBLE', 'DOUBLE'], [NaN, Infinity]), false)
  assert.throws(() => run('+', ['BIGINT', 'BIGINT'], [9223372036854775807n, 1n]), /Overflow in addition of BIGINT/)
  assert.throws(() => run('*', ['BIGINT', 'BIGINT'], [9223372036854775807n, 2n]), /Overflow in multiplication of BIGINT/)
  assert.throws(() => run('neg', ['BIGINT'], [-9223372036854775808n]), /BIGINT/)
  assert.throws(() => run('+', ['INTEGER', 'INTEGER'], [2147483647, 1]), /Overflow in addition of INTEGER/)
  assert.throws(() => run('sqrt', ['DOUBLE'], [-1]), /square root of a negative/)
  assert.throws(() => run('ln', ['DOUBLE'], [0]), /logarithm of zero/)
  assert.is(run('abs', ['BIGINT'], [-5n]), 5n)
  assert.is(run('sign', ['BIGINT'], [0n]), 0)
})

test('strings: LIKE wildcards and ESCAPE, substring and friends at their edges', () => {
  const like = (s: string, p: string, esc?: string): unknown => esc === undefined ? run('like', ['VARCHAR', 'VARCHAR'], [s, p]) : run('like', ['VARCHAR', 'VARCHAR', 'VARCHAR'], [s, p, esc])
  assert.is(like('a%b', 'a\\%b', '\\'), true)
  assert.is(like('axb', 'a\\%b', '\\'), false)
  assert.is(like('a\\b', 'a\\b'), true)
  assert.is(like('a_c', 'a!_c', '!'), true)
  assert.is(like('abc', 'a!_c', '!'), false)
  assert.is(like('', '%'), true)
  assert.is(like('', '_'), false)
  assert.is(like('a.c', 'a.c'), true)
  assert.is(like('abc', 'a.c'), false)
  assert.is(like('line\nbreak', 'line%'), true)
  assert.is(like('x(y)', '%(y)'), true)
  assert.is(run('ilike', ['VARCHAR', 'VARCHAR'], ['ÄBC', 'äb_']), true)
  const sub = (...a: unknown[]): unknown => run('substring', a.length === 2 ? ['VARCHAR', 'INTEGER'] : ['VARCHAR', 'INTEGER', 'INTEGER'], a)
  assert.equal([sub('hello', 0, 2), sub('hello', -2), sub('hello', 2), sub('hello', -3, 2), sub('hello', 10), sub('hello', 2, -1), sub('a😀b', 2, 1)], ['h', 'lo', 'ello', 'll', '', 'h', '😀'])
  assert.is(run('trim', ['VARCHAR'], [' \ta ']), '\ta')
  assert.is(run('left', ['VARCHAR', 'INTEGER'], ['hello', -2]), 'hel')
  assert.is(run('right', ['VARCHAR', 'INTEGER'], ['hello', -2]), 'llo')
  assert.is(run('lpad', ['VARCHAR', 'INTEGER', 'VARCHAR'], ['hello', 3, 'x']), 'hel')
  assert.is(run('replace', ['VARCHAR', 'VARCHAR', 'VARCHAR'], ['abc', '', 'x']), 'abc')
  assert.is(run('position', ['VARCHAR', 'VARCHAR'], ['abc', 'z']), 0n)
  assert.is(run('position', ['VARCHAR', 'VARCHAR'], ['😀b', 'b']), 2n)
  assert.is(run('length', ['VARCHAR'], ['']), 0n)
})

test('casts as DuckDB: half to even into integers, text forms, failures and TRY_CAST', () => {
  const cast = (v: unknown, from: SqlType, to: SqlType, tryCast = false): unknown =>
    compileRowExpression({ kind: 'cast', arg: input(0, from, true), type: to, try: tryCast, nullable: true })([v])
  assert.equal([cast(2.5, 'DOUBLE', 'INTEGER'), cast(-2.5, 'DOUBLE', 'INTEGER'), cast(3.5, 'DOUBLE', 'BIGINT')], [2, -2, 4n])
  assert.equal([cast(1, 'DOUBLE', 'VARCHAR'), cast(1e20, 'DOUBLE', 'VARCHAR'), cast(0.1, 'DOUBLE', 'VARCHAR'), cast(1.5e-7, 'DOUBLE', 'VARCHAR')], ['1.0', '1e+20', '0.1', '1.5e-07'])
  assert.is(cast(TS('2020-01-01 10:00:00.123'), 'TIMESTAMP', 'VARCHAR'), '2020-01-01 10:00:00.123')
  assert.is(cast(D('2020-01-01'), 'DATE', 'VARCHAR'), '2020-01-01')
  assert.is(cast(TS('2020-01-01 10:00:00'), 'TIMESTAMP', 'DATE'), D('2020-01-01'))
  assert.is(cast('2020-01-01 10:00:00', 'VARCHAR', 'TIMESTAMP'), TS('2020-01-01 10:00:00'))
  assert.is(cast(' 12 ', 'VARCHAR', 'INTEGER'), 12)
  assert.is(cast('1e3', 'VARCHAR', 'DOUBLE'), 1000)
  assert.is(cast('9223372036854775807', 'VARCHAR', 'BIGINT'), 9223372036854775807n)
  assert.is(cast('t', 'VARCHAR', 'BOOLEAN'), true)
  assert.is(cast(true, 'BOOLEAN', 'VARCHAR'), 'true')
  assert.is(cast(null, 'VARCHAR', 'INTEGER'), null)
  assert.throws(() => cast('abc', 'VARCHAR', 'INTEGER'), /Could not convert string 'abc' to INTEGER/)
  assert.throws(() => cast('2020-02-30', 'VARCHAR', 'DATE'), /to DATE/)
  assert.throws(() => cast(1e10, 'DOUBLE', 'INTEGER'), /out of range for INTEGER/)
  assert.is(cast('abc', 'VARCHAR', 'INTEGER', true), null)
  assert.is(cast(3000000000n, 'BIGINT', 'INTEGER', true), null)
})

test('castError: the casts it allows are exactly those that compile', () => {
  const types: SqlType[] = ['BOOLEAN', 'INTEGER', 'BIGINT', 'DOUBLE', 'VARCHAR', 'TIMESTAMP', 'DATE', 'INTERVAL', 'NULL']
  for (const from of types) {
    for (const to of types) {
      if (to === 'NULL') continue
      const compile = (): unknown => compileRowExpression({ kind: 'cast', arg: input(0, from, true), type: to, try: false, nullable: true })
      if (castError(from, to) === undefined) compile()
      else assert.throws(compile, /Cannot cast/, `${from} to ${to}`)
    }
  }
  assert.is(castError('BOOLEAN', 'DATE'), 'Cannot cast BOOLEAN to DATE')
})

test('constants, CASE and expressions nest; an expression compiles once', () => {
  const x = input(0, 'INTEGER', true)
  const e: BoundExpr = {
    kind: 'case',
    whens: [
      { when: call('lt', [x, constant(0, 'INTEGER')], 'BOOLEAN'), then: constant('neg', 'VARCHAR') },
      { when: call('eq', [x, constant(0, 'INTEGER')], 'BOOLEAN'), then: constant('zero', 'VARCHAR') }
    ],
    else: call('concat_op', [constant('pos', 'VARCHAR'), { kind: 'cast', arg: x, type: 'VARCHAR', try: false, nullable: true }], 'VARCHAR'),
    type: 'VARCHAR',
    nullable: true
  }
  const f = compileRowExpression(e)
  assert.equal([f([-1]), f([0]), f([7]), f([null])], ['neg', 'zero', 'pos7', null])
  assert.is(compileRowExpression(JSON.parse(JSON.stringify(e)) as BoundExpr), f)
})

test.run()
