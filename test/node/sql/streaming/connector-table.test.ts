import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseStatement } from '../../../../node/sql/parser/sql-parser.ts'
import { connectorTable } from '../../../../node/sql/streaming/connector-table.ts'
import { datagenRows } from '../../../../node/sql/streaming/datagen-rows.ts'

function declare (text: string) {
  const s = parseStatement(text)
  if (s.kind !== 'create-table') throw new Error('not a CREATE TABLE')
  return connectorTable(s)
}

function fails (text: string, position: string, ...fragments: string[]): void {
  try {
    declare(text)
  } catch (err) {
    const e = err as { name: string, line: number, column: number, message: string }
    assert.ok(e.name === 'SqlDdlError' || e.name === 'SqlTypeError', `${e.name}: ${e.message}`)
    assert.is(`${e.line}:${e.column}`, position, e.message)
    for (const f of fragments) assert.ok(e.message.includes(f), `'${f}' not in: ${e.message}`)
    return
  }
  assert.unreachable(`no error for ${text}`)
}

const test = suite('CREATE TABLE … WITH (connector tables)')

test('a datagen table with a bounded-out-of-orderness watermark', () => {
  const def = declare(`CREATE TABLE clicks (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH ('connector' = 'datagen', 'number-of-rows' = '100')`)
  assert.equal(def.columns.map(c => [c.name, c.type]), [['id', 'BIGINT'], ['ts', 'TIMESTAMP']])
  assert.equal(def.watermark, { column: 1, delayMs: 5000 })
  assert.is(def.connector, 'datagen')
  assert.is(def.bounded, true)
})

test('WATERMARK FOR ts AS ts is ascending timestamps; no number-of-rows is unbounded', () => {
  const def = declare(`CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen')`)
  assert.equal(def.watermark, { column: 0, delayMs: 0 })
  assert.is(def.bounded, false)
})

test('an unknown connector is named with the known ones', () => {
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'kafak')`, '1:1', "Unknown connector 'kafak'", "did you mean 'kafka'", 'datagen, files')
})

test('a missing connector option and a missing connector', () => {
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'files', 'format' = 'json')`, '1:1', "Connector 'files' needs option 'path'")
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'topic' = 'x')`, '1:1', "needs option 'properties.bootstrap.servers'")
  fails(`CREATE TABLE t (a INT) WITH ('path' = 'x')`, '1:1', "needs 'connector'")
})

test('an unknown option names the known ones', () => {
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'rows-per-secnd' = '5')`, '1:1', "Unknown option 'rows-per-secnd'", "did you mean 'rows-per-second'", 'number-of-rows')
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'fields.b.kind' = 'random')`, '1:1', "'fields.b.kind'", 'names no column')
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'files', 'path' = 'p', 'format' = 'parquet')`, '1:1', "'format'", "'json', 'csv'", "got 'parquet'")
})

test('a bad WATERMARK clause', () => {
  fails(`CREATE TABLE t (a INT, ts TIMESTAMP(3), WATERMARK FOR tz AS tz) WITH ('connector' = 'datagen')`, '1:55', "WATERMARK FOR names no column: 'tz'")
  fails(`CREATE TABLE t (a INT, ts TIMESTAMP(3), WATERMARK FOR a AS a) WITH ('connector' = 'datagen')`, '1:55', 'needs a TIMESTAMP column', 'INTEGER')
  fails(`CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts + INTERVAL '1' SECOND) WITH ('connector' = 'datagen')`, '1:54', "must be 'ts' or 'ts - INTERVAL …'")
  fails(`CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MONTH) WITH ('connector' = 'datagen')`, '1:59', 'days or less')
})

test('datagen rows: sequences end the table, random values are in range and the same every time', () => {
  const def = declare(`CREATE TABLE t (id BIGINT, k INT, name VARCHAR, ts TIMESTAMP(3)) WITH ('connector' = 'datagen',
    'fields.id.kind' = 'sequence', 'fields.id.start' = '10', 'fields.id.end' = '19',
    'fields.k.min' = '1', 'fields.k.max' = '3', 'fields.name.length' = '4',
    'fields.ts.kind' = 'random', 'fields.ts.min' = '2026-01-01 00:00:00', 'fields.ts.max' = '2026-01-01 00:00:59')`)
  const { count, generate } = datagenRows(def)
  assert.is(count, 10)
  const rows = Array.from({ length: 10 }, (_, i) => generate(i))
  assert.equal(rows.map(r => r[0]), Array.from({ length: 10 }, (_, i) => BigInt(10 + i)))
  assert.ok(rows.every(r => typeof r[1] === 'number' && r[1] >= 1 && r[1] <= 3))
  assert.equal(new Set(rows.map(r => r[1])).size, 3)
  assert.ok(rows.every(r => typeof r[2] === 'string' && /^[a-z0-9]{4}$/.test(r[2])))
  const t0 = Date.UTC(2026, 0, 1)
  assert.ok(rows.every(r => (r[3] as number) >= t0 && (r[3] as number) < t0 + 60_000))
  assert.equal(datagenRows(def).generate(7), rows[7])
})

test('scan.watermark.idle-timeout is a duration of every source', () => {
  assert.is(declare(`CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'scan.watermark.idle-timeout' = '5 s')`).idleTimeoutMs, 5000)
  assert.is(declare(`CREATE TABLE t (a INT) WITH ('connector' = 'files', 'path' = 'p', 'format' = 'csv', 'scan.watermark.idle-timeout' = '250ms')`).idleTimeoutMs, 250)
  assert.is(declare(`CREATE TABLE t (a INT) WITH ('connector' = 'dataset')`).idleTimeoutMs, undefined)
  fails(`CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'scan.watermark.idle-timeout' = 'soon')`, '1:1', "'scan.watermark.idle-timeout' must be a positive duration", "got 'soon'")
})

test.run()
