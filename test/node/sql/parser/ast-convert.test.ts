/**
 * Statements: query, EXPLAIN, INSERT [OVERWRITE], CREATE TABLE AS SELECT, CREATE TABLE
 * with columns, WATERMARK and WITH options (Flink's DDL), DROP TABLE, SHOW TABLES,
 * DESCRIBE; other statements are SqlUnsupportedError naming them.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseStatement } from '../../../../node/sql/parser/index.ts'
import { shape, id, col, bin, interval, select, thrown } from './support.ts'

const Statements = suite('convertStatement')

Statements('a query, and EXPLAIN of a query or an INSERT with both positions', () => {
  const q = parseStatement('SELECT 1')
  assert.equal([q.kind, q.pos], ['query', { line: 1, column: 1, offset: 0 }])
  const e = parseStatement('EXPLAIN SELECT a FROM t')
  if (e.kind !== 'explain' || e.statement.kind !== 'query') throw new Error('shape')
  assert.equal(shape(e.statement.query.body), shape(select('SELECT a FROM t')))
  assert.equal([e.pos.column, e.statement.pos.column], [1, 9])
  const ei = parseStatement('explain INSERT INTO t SELECT 1')
  assert.ok(ei.kind === 'explain' && ei.statement.kind === 'insert')
})

Statements('INSERT INTO with and without a column list, from SELECT and VALUES; INSERT OVERWRITE', () => {
  const a = parseStatement('INSERT INTO sink (store, total) SELECT store, SUM(amount) FROM sales GROUP BY store')
  if (a.kind !== 'insert') throw new Error('shape')
  assert.equal([shape(a.table), shape(a.columns), a.overwrite], [id('sink'), [id('store'), id('total')], false])
  assert.is(a.query.body.kind, 'select')
  assert.equal(a.table.pos.column, 13)
  const b = parseStatement("INSERT INTO t VALUES (1, 'a')")
  assert.ok(b.kind === 'insert' && b.columns.length === 0 && b.query.body.kind === 'values')
  const c = parseStatement('INSERT OVERWRITE t SELECT * FROM u')
  assert.ok(c.kind === 'insert' && c.overwrite)
  const d = parseStatement('INSERT OVERWRITE TABLE t SELECT * FROM u')
  assert.ok(d.kind === 'insert' && d.overwrite && d.table.name === 't')
})

Statements('CREATE TABLE … AS SELECT, with IF NOT EXISTS', () => {
  const s = parseStatement('CREATE TABLE IF NOT EXISTS totals AS SELECT store, SUM(amount) AS total FROM sales GROUP BY store')
  if (s.kind !== 'create-table-as') throw new Error('shape')
  assert.equal([shape(s.table), s.ifNotExists, s.query.body.kind], [id('totals'), true, 'select'])
  const t = parseStatement('CREATE TABLE totals AS SELECT 1')
  assert.ok(t.kind === 'create-table-as' && !t.ifNotExists)
})

Statements("CREATE TABLE with columns, NOT NULL, WATERMARK and WITH options (Flink's DDL) keeps every option", () => {
  const sql = `CREATE TABLE sales (
  store STRING NOT NULL,
  amount DECIMAL(10, 2),
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'datagen', 'rows-per-second' = '100', 'fields.store.length' = '3', 'number' = 7)`
  const s = parseStatement(sql)
  if (s.kind !== 'create-table') throw new Error('shape')
  assert.equal(shape(s.columns), [
    { name: id('store'), type: { name: 'STRING', args: [] }, notNull: true },
    { name: id('amount'), type: { name: 'DECIMAL', args: [10, 2] }, notNull: false },
    { name: id('ts'), type: { name: 'TIMESTAMP', args: [3] }, notNull: false }
  ])
  assert.equal(shape(s.watermark), { column: id('ts'), expr: bin('-', col('ts'), interval('5', 'SECOND')) })
  assert.equal(s.options, { connector: 'datagen', 'rows-per-second': '100', 'fields.store.length': '3', number: '7' })
  assert.not.ok(s.ifNotExists)
  // Positions inside the blanked clause are those of the text as written.
  assert.equal(s.watermark?.column.pos, { line: 5, column: 17, offset: sql.indexOf('ts AS') })
  assert.equal(s.watermark?.expr.pos, { line: 5, column: 23, offset: sql.indexOf('ts - INTERVAL') })
  assert.equal(s.columns[1]?.type.pos, { line: 3, column: 10, offset: sql.indexOf('DECIMAL') })
})

Statements('CREATE TABLE: a watermark first in the list or on a quoted column, no watermark, no options', () => {
  const first = parseStatement("CREATE TABLE t (WATERMARK FOR `ts` AS `ts`, ts TIMESTAMP(3), k INT) WITH ('connector' = 'files')")
  if (first.kind !== 'create-table') throw new Error('shape')
  assert.equal(first.columns.map(c => c.name.name), ['ts', 'k'])
  assert.equal(shape(first.watermark), { column: id('ts', true), expr: { kind: 'column', table: undefined, name: id('ts', true) } })
  const plain = parseStatement('CREATE TABLE IF NOT EXISTS t (a BIGINT, b VARCHAR(20))')
  if (plain.kind !== 'create-table') throw new Error('shape')
  assert.equal([plain.watermark, plain.options, plain.ifNotExists, shape(plain.columns[1]?.type)], [undefined, {}, true, { name: 'VARCHAR', args: [20] }])
})

Statements('DROP TABLE [IF EXISTS], SHOW TABLES, DESCRIBE', () => {
  assert.equal(shape(parseStatement('DROP TABLE IF EXISTS t')), { kind: 'drop-table', table: id('t'), ifExists: true })
  assert.equal(shape(parseStatement('DROP TABLE t')), { kind: 'drop-table', table: id('t'), ifExists: false })
  assert.equal(shape(parseStatement('SHOW TABLES')), { kind: 'show-tables' })
  assert.equal(shape(parseStatement('DESCRIBE sales')), { kind: 'describe', table: id('sales') })
  assert.equal(shape(parseStatement('DESC sales')), { kind: 'describe', table: id('sales') })
})

Statements('other statements and options are SqlUnsupportedError naming them at their position', () => {
  const cases: [string, string][] = [
    ['UPDATE t SET a = 1', 'The statement UPDATE is not supported at 1:1'],
    ['DELETE FROM t', 'The statement DELETE is not supported at 1:1'],
    ['CREATE VIEW v AS SELECT 1', 'The statement CREATE VIEW is not supported at 1:1'],
    ['DROP VIEW v', 'DROP VIEW is not supported at 1:1'],
    ['DROP TABLE a, b', 'DROP TABLE of several tables is not supported at 1:15'],
    ['CREATE TABLE t (a INT PRIMARY KEY)', "The column option PRIMARY KEY (of 'a') is not supported at 1:17"],
    ['CREATE TABLE t (a INT, PRIMARY KEY (a))', 'A table constraint (PRIMARY KEY, FOREIGN KEY, …) is not supported at 1:14'],
    ['INSERT INTO t SELECT 1 RETURNING a', 'RETURNING is not supported at 1:13'],
    ['EXPLAIN ANALYZE SELECT 1', 'EXPLAIN with options (ANALYZE, VERBOSE, FORMAT) is not supported at 1:1'],
    ["SHOW TABLES LIKE 'a%'", 'SHOW TABLES with a filter or modifier is not supported at 1:1']
  ]
  for (const [sql, message] of cases) {
    const err = thrown(() => parseStatement(sql))
    assert.is(err.name, 'SqlUnsupportedError', sql)
    assert.is(err.message, message, sql)
  }
})

Statements.run()
