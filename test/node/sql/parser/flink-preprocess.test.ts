/**
 * Flink's streaming SQL: group windows (TUMBLE/HOP/SESSION in GROUP BY with
 * TUMBLE_START…), window table-valued functions in their `TABLE(…)` form with positional
 * and named arguments, the WATERMARK clause — and that blanking keeps every position.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { preprocessFlink } from '../../../../node/sql/parser/flink-preprocess.ts'
import { parseStatement } from '../../../../node/sql/parser/index.ts'
import { shape, id, col, call, interval, table, select, thrown } from './support.ts'

const Preprocess = suite('preprocessFlink')

Preprocess('blanks TABLE( … ) around a window function and the TABLE before its table, keeping the length and lines', () => {
  const sql = "SELECT * FROM TABLE(\n  TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '1' MINUTES))"
  const out = preprocessFlink(sql)
  assert.is(out.text, "SELECT * FROM       \n  TUMBLE(      sales, DESCRIPTOR(ts), INTERVAL '1' MINUTES) ")
  assert.is(out.text.length, sql.length)
  assert.equal([...out.tvfStarts], [[sql.indexOf('TUMBLE'), sql.indexOf('TABLE(')]])
})

Preprocess('leaves strings, comments and other uses of TABLE alone', () => {
  const sql = "SELECT 'TABLE(TUMBLE(TABLE t))' FROM t -- TABLE(TUMBLE(TABLE x))\n"
  assert.is(preprocessFlink(sql).text, sql)
  const ddl = 'CREATE TABLE t (a INT)'
  assert.is(preprocessFlink(ddl).text, ddl)
})

Preprocess('keeps code-point columns when the blanked text holds characters outside the BMP', () => {
  const sql = "CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '😀' SECOND, b INT)"
  const out = preprocessFlink(sql)
  assert.is(Array.from(out.text).length, Array.from(sql).length)
  assert.ok(out.watermark?.exprText.endsWith("ts - INTERVAL '😀' SECOND"))
})

const Windows = suite('Flink windows')

Windows('group windows: TUMBLE, HOP, SESSION in GROUP BY with their _START/_END functions are calls', () => {
  const t = select("SELECT store, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS w, COUNT(*) FROM sales GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), store")
  assert.equal(shape(t.groupBy), [call('TUMBLE', [col('ts'), interval('1', 'MINUTE')]), col('store')])
  assert.equal(shape(t.items[1]?.expr), call('TUMBLE_START', [col('ts'), interval('1', 'MINUTE')]))
  const h = select("SELECT HOP_END(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE), SUM(amount) FROM sales GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)")
  assert.equal(shape(h.groupBy), [call('HOP', [col('ts'), interval('1', 'MINUTE'), interval('5', 'MINUTE')])])
  const s = select("SELECT SESSION_START(ts, INTERVAL '30' SECOND) FROM sales GROUP BY SESSION(ts, INTERVAL '30' SECOND), store")
  assert.equal(shape(s.groupBy[0]), call('SESSION', [col('ts'), interval('30', 'SECOND')]))
})

const descriptor = call('DESCRIPTOR', [col('ts')])

Windows('window TVFs: TUMBLE, HOP (slide then size), CUMULATE, SESSION as table functions with window_start/window_end', () => {
  const sql = "SELECT window_start, window_end, store, SUM(amount) FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '1' MINUTES)) GROUP BY window_start, window_end, store"
  const t = select(sql)
  assert.equal(shape(t.from), { kind: 'table-function', name: id('TUMBLE'), table: table('sales'), args: [descriptor, interval('1', 'MINUTE')], alias: undefined })
  assert.equal(shape(t.groupBy), [col('window_start'), col('window_end'), col('store')])
  assert.equal(t.from?.pos.column, sql.indexOf('TABLE(') + 1, 'the table function starts at TABLE')
  if (t.from?.kind === 'table-function') assert.equal([t.from.name.pos.column, t.from.table.pos.column], [sql.indexOf('TUMBLE') + 1, sql.indexOf('sales') + 1])
  const h = select("SELECT * FROM TABLE(HOP(TABLE sales, DESCRIPTOR(ts), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES)) AS w")
  assert.equal(shape(h.from), { kind: 'table-function', name: id('HOP'), table: table('sales'), args: [descriptor, interval('5', 'MINUTE'), interval('10', 'MINUTE')], alias: id('w') })
  const c = select("SELECT * FROM TABLE(CUMULATE(TABLE sales, DESCRIPTOR(ts), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))")
  assert.equal(shape(c.from), { kind: 'table-function', name: id('CUMULATE'), table: table('sales'), args: [descriptor, interval('2', 'MINUTE'), interval('10', 'MINUTE')], alias: undefined })
  const s = select("SELECT * FROM TABLE(SESSION(TABLE sales, DESCRIPTOR(ts), INTERVAL '5' MINUTES))")
  assert.equal(shape(s.from), { kind: 'table-function', name: id('SESSION'), table: table('sales'), args: [descriptor, interval('5', 'MINUTE')], alias: undefined })
})

Windows('window TVFs with named arguments in any order give the parameter order; without TABLE( … ) too', () => {
  const named = select("SELECT * FROM TABLE(HOP(DATA => TABLE sales, SIZE => INTERVAL '10' MINUTES, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '5' MINUTES))")
  assert.equal(shape(named.from), { kind: 'table-function', name: id('HOP'), table: table('sales'), args: [descriptor, interval('5', 'MINUTE'), interval('10', 'MINUTE')], alias: undefined })
  const bare = select("SELECT * FROM TUMBLE(sales, DESCRIPTOR(ts), INTERVAL '1' MINUTE)")
  assert.equal(shape(bare.from), { kind: 'table-function', name: id('TUMBLE'), table: table('sales'), args: [descriptor, interval('1', 'MINUTE')], alias: undefined })
})

Windows('window TVF mistakes are errors with positions', () => {
  const partition = thrown(() => select("SELECT * FROM TABLE(SESSION(TABLE sales PARTITION BY store, DESCRIPTOR(ts), INTERVAL '5' MINUTES))"))
  assert.equal([partition.name, partition.message], ['SqlUnsupportedError', 'PARTITION BY in a window table function is not supported at 1:41'])
  const missing = thrown(() => select('SELECT * FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts)))'))
  assert.equal([missing.name, missing.message], ['SqlSyntaxError', 'Syntax error at 1:15: TUMBLE is missing its SIZE argument'])
  const badName = thrown(() => select("SELECT * FROM TABLE(TUMBLE(DATA => TABLE sales, TIMECOL => DESCRIPTOR(ts), WIDTH => INTERVAL '1' MINUTE))"))
  assert.equal([badName.name, badName.message], ['SqlSyntaxError', "Syntax error at 1:76: TUMBLE has no parameter 'WIDTH' (it has DATA, TIMECOL, SIZE, OFFSET)"])
  const tooMany = thrown(() => select("SELECT * FROM TABLE(SESSION(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '1' MINUTE))"))
  assert.is(tooMany.message, 'Syntax error at 1:15: SESSION takes DATA, TIMECOL, GAP')
  const other = thrown(() => select('SELECT * FROM TABLE(UNNEST(TABLE t))'))
  assert.is(other.name, 'SqlSyntaxError')
})

Windows('a continuous INSERT INTO a sink from a windowed aggregate', () => {
  const s = parseStatement("INSERT INTO sink SELECT store, window_end, SUM(amount) FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY store, window_start, window_end")
  if (s.kind !== 'insert' || s.query.body.kind !== 'select') throw new Error('shape')
  assert.is(s.query.body.from?.kind, 'table-function')
})

Preprocess.run()
Windows.run()
