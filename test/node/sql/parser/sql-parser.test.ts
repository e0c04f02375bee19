/**
 * parseStatements / parseStatement: several statements with positions in the whole text,
 * exactly one for parseStatement, syntax errors as SqlSyntaxError with the library's
 * position and a short message (never a token list), and bad input that must not crash.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import { parseStatement, parseStatements, formatSqlError, SqlError } from '../../../../node/sql/parser/index.ts'
import { thrown } from './support.ts'

const Parse = suite('parseStatements')

Parse('parses several statements; positions count from the start of the whole text', () => {
  const text = 'SELECT 1;\nSELECT a\n  FROM t;  SHOW TABLES'
  const stmts = parseStatements(text)
  assert.equal(stmts.map(s => s.kind), ['query', 'query', 'show-tables'])
  assert.equal(stmts.map(s => s.pos), [
    { line: 1, column: 1, offset: 0 },
    { line: 2, column: 1, offset: 10 },
    { line: 3, column: 12, offset: text.indexOf('SHOW') }
  ])
  const second = stmts[1]
  if (second?.kind !== 'query' || second.query.body.kind !== 'select') throw new Error('shape')
  assert.equal(second.query.body.from?.pos, { line: 3, column: 8, offset: text.indexOf('t;') })
  assert.equal(parseStatements(' -- only a comment\n'), [])
})

Parse('a syntax error in the second statement is at its place in the whole text', () => {
  const text = 'SELECT 1;\nSELECT a FROM t t t'
  const err = thrown(() => parseStatements(text))
  assert.is(err.name, 'SqlSyntaxError')
  assert.is(err.message, "Syntax error at 2:19: expected end of statement, found 't'")
  assert.equal([err.line, err.column, err.offset], [2, 19, text.lastIndexOf('t')])
  assert.is(err.query, text)
})

const One = suite('parseStatement')

One('takes one statement with or without ;, and refuses none or two', () => {
  assert.is(parseStatement('SELECT 1;').kind, 'query')
  assert.is(parseStatement('  DESCRIBE t  ').kind, 'describe')
  const none = thrown(() => parseStatement(' ; -- x'))
  assert.equal([none.name, none.message], ['SqlSyntaxError', 'Syntax error at 1:1: expected a statement, found end of input'])
  const two = thrown(() => parseStatement('SELECT 1; SELECT 2'))
  assert.equal([two.name, two.message, two.offset], ['SqlSyntaxError', 'Syntax error at 1:11: expected one statement, found another one here', 10])
})

const Syntax = suite('parseStatement syntax errors')

Syntax('say what was expected and found, at the position the library reports', () => {
  const cases: [string, string][] = [
    ['SELECT 1 FROM t t t', "Syntax error at 1:19: expected end of statement, found 't'"],
    ['SELEC 1', "Syntax error at 1:1: expected an SQL statement, found 'SELEC'"],
    ['SELECT a FROM t\nWHERE b = = 1', "Syntax error at 2:11: expected an expression, found '='"],
    ['SELECT CAST(a AS)', "Syntax error at 1:17: expected a data type name, found ')'"],
    ["SELECT 'é😀' || x FROM t WHERE z = 'open", 'Syntax error at 1:35: unterminated string literal'],
    ['SELECT * FROM t JOIN u', "Syntax error at 1:22: expected ON or USING after the joined table 'u'"]
  ]
  for (const [sql, message] of cases) {
    const err = thrown(() => parseStatement(sql))
    assert.is(err.name, 'SqlSyntaxError', sql)
    assert.is(err.message, message, sql)
  }
})

Syntax('at the end of the input the position is just after the last character', () => {
  const err = thrown(() => parseStatement('SELECT a FROM t WHERE   \n'))
  assert.is(err.message, 'Syntax error at 1:22: expected an expression, found end of input')
  assert.is(formatSqlError(err), 'Syntax error at 1:22: expected an expression, found end of input\nSELECT a FROM t WHERE   \n                     ^')
  const second = thrown(() => parseStatements('SELECT 1;\nSELECT 1 +'))
  assert.equal([second.line, second.column, second.offset], [2, 11, 20])
})

Syntax('an empty watermark expression is reported after AS, a bad one at its end', () => {
  const empty = thrown(() => parseStatement("CREATE TABLE t (a INT, WATERMARK FOR a AS ) WITH ('k' = 'v')"))
  assert.is(empty.message, 'Syntax error at 1:42: expected an expression, found end of input')
  const bad = thrown(() => parseStatement("CREATE TABLE t (a INT, WATERMARK FOR a AS a +) WITH ('k' = 'v')"))
  assert.is(bad.message, 'Syntax error at 1:46: expected an expression, found end of input')
})

Syntax('deep nesting, huge and garbage inputs give a SqlSyntaxError, never a crash or a dump', () => {
  const deep = thrown(() => parseStatement('SELECT ' + '('.repeat(5000) + '1' + ')'.repeat(5000)))
  assert.equal([deep.name, deep.message], ['SqlSyntaxError', 'Syntax error at 1:1: the statement is nested too deeply'])
  const garbage = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(32 + (i * 7919) % 90)).join('')
  const err = thrown(() => parseStatements(garbage))
  assert.is(err.name, 'SqlSyntaxError')
  assert.ok(err.message.length < 300, err.message)
  const controls = thrown(() => parseStatement('\u0000\u0001 garbage ☃'))
  assert.is(controls.name, 'SqlSyntaxError')
  fc.assert(fc.property(fc.string({ maxLength: 80 }), text => {
    try {
      parseStatements(text)
    } catch (e) {
      assert.instance(e, SqlError, String(e))
      const error = e as SqlError
      assert.ok(error.message.length < 400, error.message)
      assert.ok(error.offset >= 0 && error.offset <= text.length, `${error.offset} in ${JSON.stringify(text)}`)
    }
  }), { numRuns: 300 })
})

Syntax('a long list of expected tokens is cut short', () => {
  // The library lists 20 object types after DROP and 14 after ALTER.
  for (const sql of ['DROP', 'ALTER']) {
    const err = thrown(() => parseStatement(sql))
    assert.is(err.name, 'SqlSyntaxError')
    assert.ok(err.message.length < 140, err.message)
    assert.match(err.message, /^Syntax error at 1:\d: expected .+ …, found end of input$/)
  }
})

Parse('loads the parser only when first used: importing the module reads no WebAssembly', () => {
  const script = `
    const m = await import(${JSON.stringify(new URL('../../../../node/sql/parser/index.ts', import.meta.url).href)})
    const { createRequire } = await import('node:module')
    const cache = () => Object.keys(createRequire(import.meta.url).cache).some(k => k.includes('sqlparser_rs_wasm'))
    const a = cache()
    m.parseStatement('SELECT 1')
    const b = cache()
    console.log(JSON.stringify({ a, b }))`
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
  assert.is(run.status, 0, run.stderr)
  assert.equal(JSON.parse(run.stdout.trim()), { a: false, b: true })
})

Parse.run()
One.run()
Syntax.run()
