/**
 * The runtime's dates and text forms against DuckDB itself (the oracle) on random values:
 * date parts, date_trunc at every unit, month arithmetic at month ends, timestamps and
 * dates as text (before 1970 too), DOUBLE as text, and rounding — each compared as the
 * text DuckDB prints for the same value.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { DuckDBInstance } from '@duckdb/node-api'
import { R } from '../../../../node/sql/exec/runtime.ts'

const test = suite('runtime')

async function duck (sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:')
  const c = await instance.connect()
  try {
    return (await c.runAndReadAll(sql)).getRowsJson() as unknown[][]
  } finally {
    c.closeSync()
  }
}

const PARTS = ['year', 'quarter', 'month', 'day', 'dayofweek', 'dayofyear', 'hour', 'minute', 'second', 'millisecond']
const UNITS = ['millennium', 'century', 'decade', 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond']

test('date parts, date_trunc, month arithmetic and text forms equal DuckDB\'s', async () => {
  // 1600..2400, millisecond precision, month ends and leap days included
  const special = [Date.UTC(2020, 0, 31, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28, 12), Date.UTC(1969, 11, 31, 23, 59, 59, 1), 0, -1]
  const random = fc.sample(fc.integer({ min: Date.UTC(1600, 0, 1), max: Date.UTC(2400, 0, 1) }), { numRuns: 300, seed: 14 })
  const values = [...special, ...random]
  const columns = [
    ...PARTS.map(p => `${p}(t)::varchar`),
    ...UNITS.map(u => `date_trunc('${u}', t)::varchar`),
    't::varchar', 't::date::varchar', '(t + INTERVAL 1 MONTH)::varchar', '(t - INTERVAL 13 MONTH)::varchar', '(t::date + INTERVAL 1 MONTH)::varchar'
  ]
  const rows = await duck(`SELECT ${columns.join(', ')} FROM (SELECT make_timestamp(v * 1000) AS t, i FROM (VALUES ${values.map((v, i) => `(${v}::BIGINT, ${i})`).join(', ')}) AS x(v, i)) ORDER BY i`)
  values.forEach((ms, i) => {
    const day = Math.floor(ms / 86_400_000) * 86_400_000
    const ours = [
      ...PARTS.map(p => String(R.datePart(p, ms))),
      ...UNITS.map(u => R.formatTimestamp(R.dateTrunc(u, ms))),
      R.formatTimestamp(ms), R.formatDate(day),
      R.formatTimestamp(R.addInterval(ms, { months: 1, ms: 0 }, 1)), R.formatTimestamp(R.addInterval(ms, { months: 13, ms: 0 }, -1)),
      R.formatTimestamp(R.addInterval(day, { months: 1, ms: 0 }, 1))
    ]
    assert.equal(ours, rows[i], `at ${new Date(ms).toISOString()}`)
  })
})

test('text of timestamps parses back; DOUBLE text and rounding equal DuckDB\'s', async () => {
  const doubles = [...fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { numRuns: 200, seed: 14 }), 1e15, 1e16, 0.0001, 0.00012, 2 ** 53, 0.1 + 0.2, 2.5, -2.5, 1.005, 1234.5]
  const rows = await duck(`SELECT x::varchar, round(x)::varchar, round(x, 2)::varchar, round(x, -2)::varchar FROM (VALUES ${doubles.map((x, i) => `(${x.toExponential()}::DOUBLE, ${i})`).join(', ')}) AS v(x, i) ORDER BY i`)
  doubles.forEach((x, i) => {
    const ours = [R.formatDouble(x), R.formatDouble(R.roundDouble(x, 0)), R.formatDouble(R.roundDouble(x, 2)), R.formatDouble(R.roundDouble(x, -2))]
    assert.equal(ours, rows[i]!.map(v => v === '-0.0' ? '0.0' : v), `x = ${x}`)
  })
  for (const ms of [0, Date.UTC(1999, 11, 31, 23, 59, 59, 123), Date.UTC(1700, 2, 1, 1, 2, 3)]) {
    assert.is(R.parseTime(R.formatTimestamp(ms), 'TIMESTAMP'), ms)
  }
})

test('string functions and LIKE equal DuckDB\'s on random strings and positions', async () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'A', ' ', '%', '_', 'x', 'é', '😀', '\\'), maxLength: 8 })
  const cases = fc.sample(fc.tuple(text, text, fc.integer({ min: -10, max: 10 }), fc.integer({ min: -3, max: 10 })), { numRuns: 300, seed: 14 })
  const lit = (x: string): string => `'${x.replaceAll("'", "''")}'`
  const columns = (s: string, p: string, i: number, n: number): string[] => [
    `substring(${lit(s)}, ${i})`, `substring(${lit(s)}, ${i}, ${n})`, `left(${lit(s)}, ${i})`, `right(${lit(s)}, ${i})`,
    `lpad(${lit(s)}, ${n}, ${lit(p === '' ? 'x' : p)})`, `rpad(${lit(s)}, ${n}, ${lit(p === '' ? 'x' : p)})`, `length(${lit(s)})::varchar`,
    `position(${lit(p)} in ${lit(s)})::varchar`, `upper(${lit(s)})`, `lower(${lit(s)})`, `reverse(${lit(s)})`, `trim(${lit(s)})`,
    `trim(${lit(s)}, ${lit(p)})`, `replace(${lit(s)}, ${lit(p)}, 'Z')`, `(${lit(s)} LIKE ${lit(p)})::varchar`, `(${lit(s)} ILIKE ${lit(p)})::varchar`,
    `starts_with(${lit(s)}, ${lit(p)})::varchar`
  ]
  const rows = await duck(`SELECT * FROM (${cases.map(([s, p, i, n], k) => `SELECT ${k} AS k, ${columns(s, p, i, n).map((c, j) => `${c} AS c${j}`).join(', ')}`).join(' UNION ALL ')}) ORDER BY k`)
  cases.forEach(([s, p, i, n], k) => {
    const ours = [
      R.substring(s, i), R.substring(s, i, n), R.left(s, i), R.right(s, i), R.pad(s, n, p === '' ? 'x' : p, true), R.pad(s, n, p === '' ? 'x' : p, false),
      String(R.length(s)), String(R.position(s, p)), s.toUpperCase(), s.toLowerCase(), R.reverse(s), R.trim(s, undefined, true, true),
      R.trim(s, p, true, true), p === '' ? s : s.replaceAll(p, 'Z'), String(R.likeMatcher(p, null, false)(s)), String(R.likeMatcher(p, null, true)(s)), String(s.startsWith(p))
    ]
    assert.equal([k, ...ours], rows[k], `${JSON.stringify(s)} ${JSON.stringify(p)} ${i} ${n}`)
  })
})

test.run()
