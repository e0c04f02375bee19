import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { SqlColumn, SqlType } from '../../node/sql/sql-types.ts'
import { formatSqlCsv, formatSqlJson, formatSqlTableLines, rowCountLine, tableCell } from '../../node/cli/format-sql.ts'

const test = suite('format-sql')

const col = (name: string, type: SqlType): SqlColumn => ({ name, type, nullable: true })

test('tableCell writes each SQL type as DuckDB prints it', () => {
  assert.is(tableCell(null, 'VARCHAR'), 'NULL')
  assert.is(tableCell(12345678901234567890n, 'BIGINT'), '12345678901234567890')
  assert.is(tableCell(0.1 + 0.2, 'DOUBLE'), '0.30000000000000004')
  assert.is(tableCell(Date.UTC(2024, 1, 29, 23, 5, 9), 'TIMESTAMP'), '2024-02-29 23:05:09')
  assert.is(tableCell(Date.UTC(2024, 1, 29, 23, 5, 9, 7), 'TIMESTAMP'), '2024-02-29 23:05:09.007')
  assert.is(tableCell(Date.UTC(1969, 11, 31), 'DATE'), '1969-12-31')
  assert.is(tableCell(true, 'BOOLEAN'), 'true')
  assert.is(tableCell({ months: 1, ms: 90_000 }, 'INTERVAL'), '1 month 90 s')
  assert.is(tableCell('two\nlines\tand a tab\u0001', 'VARCHAR'), 'two\\nlines\\tand a tab\\u0001')
})

test('formatSqlTableLines right-aligns numbers, pads text and leaves no trailing blanks', () => {
  const lines = formatSqlTableLines([col('name', 'VARCHAR'), col('n', 'BIGINT'), col('note', 'VARCHAR')], [['a', 10n, null], ['longer', null, 'x']])
  assert.equal(lines, ['name       n  note', 'a         10  NULL', 'longer  NULL  x'])
  assert.equal(formatSqlTableLines([col('x', 'INTEGER')], []), ['x'])
})

test('rowCountLine says row or rows and the seconds', () => {
  assert.is(rowCountLine(1, 4), '1 row (0.00 s)')
  assert.is(rowCountLine(0, 1234), '0 rows (1.23 s)')
})

test('formatSqlJson writes safe BIGINTs as numbers, others as strings, non-finite DOUBLEs as strings', () => {
  const text = formatSqlJson([col('a', 'BIGINT'), col('b', 'DOUBLE'), col('t', 'TIMESTAMP'), col('d', 'DATE')], [
    [9007199254740991n, Number.NaN, 0, 0],
    [-9007199254740993n, Number.NEGATIVE_INFINITY, null, null]
  ])
  assert.is(text, '[{"a":9007199254740991,"b":"NaN","t":"1970-01-01T00:00:00.000Z","d":"1970-01-01"},{"a":"-9007199254740993","b":"-Infinity","t":null,"d":null}]\n')
})

test('formatSqlCsv quotes what RFC 4180 says must be quoted and tells an empty string from NULL', () => {
  const text = formatSqlCsv([col('s', 'VARCHAR'), col('n', 'INTEGER')], [['a,b', 1], ['say "x"', null], ['', 2], [' pad', 3], ['line\nbreak', 4]])
  assert.is(text, 's,n\n"a,b",1\n"say ""x""",\n"",2\n" pad",3\n"line\nbreak",4\n')
})

test.run()
