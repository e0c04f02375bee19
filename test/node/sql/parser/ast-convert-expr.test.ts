/**
 * Expressions: every Expr kind of node/sql/ast.ts from the SQL that writes it, the shapes
 * the binder reads, and positions of nodes the library gives no span (found from tokens).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { shape, col, num, str, bin, call, interval, expr, thrown, select } from './support.ts'
import type { Expr } from '../../../../node/sql/ast.ts'

const Exprs = suite('convertExpr')

const is = (sql: string, expected: unknown): void => assert.equal(shape(expr(sql)), expected, sql)
const column = (e: Expr): number => e.pos.column

Exprs('literals: numbers keep their text, strings unescape, booleans, NULL, typed strings, intervals', () => {
  is('1', num('1'))
  is('1.50', num('1.50'))
  is('1e3', num('1e3'))
  is("'it''s'", str("it's"))
  is('TRUE', { kind: 'boolean', value: true })
  is('false', { kind: 'boolean', value: false })
  is('NULL', { kind: 'null' })
  is("DATE '1998-12-01'", { kind: 'typed-string', type: { name: 'DATE', args: [] }, value: '1998-12-01' })
  is("TIMESTAMP '2024-01-01 10:00:00'", { kind: 'typed-string', type: { name: 'TIMESTAMP', args: [] }, value: '2024-01-01 10:00:00' })
  is("INTERVAL '90' DAY", interval('90', 'DAY'))
  is("INTERVAL '1' MINUTES", interval('1', 'MINUTE'))
  is("INTERVAL '5' SECOND", interval('5', 'SECOND'))
  is('INTERVAL 3 HOUR', interval('3', 'HOUR'))
  is("INTERVAL '2 hours'", interval('2', 'HOUR'))
})

Exprs('columns, qualified columns and quoted names (double quotes and backquotes)', () => {
  is('amount', col('amount'))
  is('s.amount', col('amount', 's'))
  is('"Amount"', { kind: 'column', table: undefined, name: { name: 'Amount', quoted: true } })
  is('`my col`', { kind: 'column', table: undefined, name: { name: 'my col', quoted: true } })
  is('day', col('day'))
})

Exprs('operators: arithmetic with precedence, ||, %, comparisons, AND/OR/NOT, unary minus, nested parentheses', () => {
  is('1 + 2 * 3', bin('+', num('1'), bin('*', num('2'), num('3'))))
  is('((1 + 2)) * 3', bin('*', bin('+', num('1'), num('2')), num('3')))
  is("a || 'x'", bin('||', col('a'), str('x')))
  is('a % 2', bin('%', col('a'), num('2')))
  is('a / b - c', bin('-', bin('/', col('a'), col('b')), col('c')))
  is('a <> 1 OR b != 2', bin('OR', bin('<>', col('a'), num('1')), bin('<>', col('b'), num('2'))))
  is('a <= 1 AND b >= 2 AND c < 3 AND d > 4 AND e = 5', bin('AND', bin('AND', bin('AND', bin('AND', bin('<=', col('a'), num('1')), bin('>=', col('b'), num('2'))), bin('<', col('c'), num('3'))), bin('>', col('d'), num('4'))), bin('=', col('e'), num('5'))))
  is('NOT a', { kind: 'unary', op: 'NOT', arg: col('a') })
  is('-a', { kind: 'unary', op: '-', arg: col('a') })
  is('-1', { kind: 'unary', op: '-', arg: num('1') })
})

Exprs('predicates: IS [NOT] NULL, IS [NOT] TRUE/FALSE, [NOT] BETWEEN, [NOT] IN, [NOT] LIKE/ILIKE with ESCAPE', () => {
  is('a IS NULL', { kind: 'is-null', arg: col('a'), negated: false })
  is('a IS NOT NULL', { kind: 'is-null', arg: col('a'), negated: true })
  is('a IS TRUE', { kind: 'is-bool', arg: col('a'), value: true, negated: false })
  is('a IS NOT FALSE', { kind: 'is-bool', arg: col('a'), value: false, negated: true })
  is('a IS NOT TRUE', { kind: 'is-bool', arg: col('a'), value: true, negated: true })
  is('a IS FALSE', { kind: 'is-bool', arg: col('a'), value: false, negated: false })
  is('a BETWEEN 1 AND 2', { kind: 'between', arg: col('a'), low: num('1'), high: num('2'), negated: false })
  is('a NOT BETWEEN 1 AND 2', { kind: 'between', arg: col('a'), low: num('1'), high: num('2'), negated: true })
  is("a IN (1, 'x')", { kind: 'in-list', arg: col('a'), list: [num('1'), str('x')], negated: false })
  is('a NOT IN (1)', { kind: 'in-list', arg: col('a'), list: [num('1')], negated: true })
  is("a LIKE 'x%'", { kind: 'like', arg: col('a'), pattern: str('x%'), escape: undefined, negated: false, caseInsensitive: false })
  is("a NOT LIKE 'x!%' ESCAPE '!'", { kind: 'like', arg: col('a'), pattern: str('x!%'), escape: '!', negated: true, caseInsensitive: false })
  is("a ILIKE 'x'", { kind: 'like', arg: col('a'), pattern: str('x'), escape: undefined, negated: false, caseInsensitive: true })
  is("a NOT ILIKE 'x'", { kind: 'like', arg: col('a'), pattern: str('x'), escape: undefined, negated: true, caseInsensitive: true })
})

Exprs('subqueries: [NOT] IN (SELECT …), [NOT] EXISTS, scalar', () => {
  const inQuery = expr('a NOT IN (SELECT b FROM t)')
  assert.is(inQuery.kind, 'in-query')
  if (inQuery.kind !== 'in-query') return
  assert.ok(inQuery.negated)
  assert.equal(shape(inQuery.arg), col('a'))
  assert.equal(shape(inQuery.query.body), shape(select('SELECT b FROM t')))
  const exists = expr('NOT EXISTS (SELECT 1)')
  assert.equal([exists.kind, exists.kind === 'exists' && exists.negated, exists.pos.column], ['exists', true, 8])
  const exists2 = expr('EXISTS (SELECT 1)')
  assert.equal([exists2.kind, exists2.kind === 'exists' && exists2.negated, exists2.pos.column], ['exists', false, 8])
  const scalar = expr('(SELECT max(x) FROM t) + 1')
  assert.is(scalar.kind, 'binary')
  if (scalar.kind === 'binary') {
    assert.is(scalar.left.kind, 'subquery')
    assert.is(scalar.left.pos.column, 8, 'a scalar subquery starts at its parenthesis')
  }
})

Exprs('CASE simple and searched, CAST and TRY_CAST with type arguments, ::, EXTRACT', () => {
  is("CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' ELSE 'z' END", { kind: 'case', operand: col('a'), whens: [{ when: num('1'), then: str('x') }, { when: num('2'), then: str('y') }], else: str('z') })
  is('CASE WHEN a > 1 THEN 1 END', { kind: 'case', operand: undefined, whens: [{ when: bin('>', col('a'), num('1')), then: num('1') }], else: undefined })
  is('CAST(a AS DECIMAL(10, 2))', { kind: 'cast', arg: col('a'), type: { name: 'DECIMAL', args: [10, 2] }, try: false })
  is('TRY_CAST(a AS VARCHAR)', { kind: 'cast', arg: col('a'), type: { name: 'VARCHAR', args: [] }, try: true })
  is('CAST(a AS TIMESTAMP(3))', { kind: 'cast', arg: col('a'), type: { name: 'TIMESTAMP', args: [3] }, try: false })
  is('CAST(a AS DOUBLE PRECISION)', { kind: 'cast', arg: col('a'), type: { name: 'DOUBLE', args: [] }, try: false })
  for (const t of ['BIGINT', 'INTEGER', 'INT', 'SMALLINT', 'TINYINT', 'BOOLEAN', 'DATE', 'STRING', 'REAL', 'FLOAT', 'DOUBLE']) {
    is(`CAST(a AS ${t})`, { kind: 'cast', arg: col('a'), type: { name: t, args: [] }, try: false })
  }
  is('a::BIGINT', { kind: 'cast', arg: col('a'), type: { name: 'BIGINT', args: [] }, try: false })
  is('EXTRACT(YEAR FROM d)', { kind: 'extract', field: 'YEAR', arg: col('d') })
  is('extract(month from d)', { kind: 'extract', field: 'MONTH', arg: col('d') })
})

Exprs('calls: names as written, COUNT(*), COUNT(DISTINCT x), no-argument keywords, special syntaxes as plain calls', () => {
  is('COUNT(*)', call('COUNT', [{ kind: 'star', table: undefined }]))
  is('count(DISTINCT store)', call('count', [col('store')], true))
  is('coalesce(a, 0)', call('coalesce', [col('a'), num('0')]))
  is('upper(lower(s))', call('upper', [call('lower', [col('s')])]))
  is('CURRENT_DATE', call('CURRENT_DATE', []))
  is('now()', call('now', []))
  is('SUBSTRING(s FROM 2 FOR 3)', call('SUBSTRING', [col('s'), num('2'), num('3')]))
  is('substring(s, 2)', call('SUBSTRING', [col('s'), num('2')]))
  is('TRIM(s)', call('TRIM', [col('s')]))
  is("TRIM(LEADING 'x' FROM s)", call('LTRIM', [col('s'), str('x')]))
  is("POSITION('a' IN s)", call('POSITION', [str('a'), col('s')]))
  is('CEIL(x)', call('CEIL', [col('x')]))
  is('floor(x)', call('FLOOR', [col('x')]))
  is('TUMBLE_START(ts, INTERVAL \'1\' MINUTE)', call('TUMBLE_START', [col('ts'), interval('1', 'MINUTE')]))
})

Exprs('positions: leaves from the library, composites at their first leaf or keyword', () => {
  //         1234567890123456789012345678901234567890
  const e = expr("a + CAST(b AS INT) * -c")
  assert.is(column(e), 8)
  if (e.kind !== 'binary' || e.right.kind !== 'binary') throw new Error('shape')
  const cast = e.right.left
  assert.is(column(cast), 12, 'CAST keyword')
  if (cast.kind === 'cast') assert.is(cast.type.pos.column, 22, 'the type after AS')
  assert.is(column(e.right.right), 29, 'unary minus')
  assert.is(column(expr("INTERVAL '1' DAY")), 8)
  assert.is(column(expr("DATE '2020-01-01'")), 8)
  assert.is(column(expr('EXTRACT(YEAR FROM (d))')), 8)
  assert.is(column(expr('NOT (a)')), 8)
  assert.is(column(expr('CASE WHEN a THEN 1 END')), 8)
  const count = expr('count(*)')
  if (count.kind === 'call') assert.equal([count.pos.column, count.args[0]?.pos.column], [8, 14])
  const multi = select('SELECT\n  a,\n  b + 1\nFROM t').items[1]?.expr
  assert.equal(multi?.pos, { line: 3, column: 3, offset: 14 })
})

Exprs('unsupported expressions name the construct and its position', () => {
  const cases: [string, string, number][] = [
    ['sum(x) OVER ()', 'The window function sum(…) OVER is not supported at 1:8', 8],
    ['count(*) FILTER (WHERE x > 1)', 'count(…) FILTER (WHERE …) is not supported at 1:8', 8],
    ['a.b.c', "The name 'a.b.c' (only column or table.column) is not supported at 1:8", 8],
    ['$1', 'The parameter placeholder $1 is not supported at 1:8', 8],
    ["INTERVAL '1' DAY TO SECOND", 'INTERVAL … DAY TO SECOND is not supported at 1:8', 8],
    ['x IS DISTINCT FROM y', 'The expression IS DISTINCT FROM is not supported at 1:8', 8],
    ['CAST(a AS INT[])', 'The type ARRAY is not supported at 1:18', 18]
  ]
  for (const [sql, message, col] of cases) {
    const err = thrown(() => expr(sql))
    assert.is(err.name, 'SqlUnsupportedError', sql)
    assert.is(err.message, message)
    assert.is(err.column, col)
  }
})

Exprs.run()
