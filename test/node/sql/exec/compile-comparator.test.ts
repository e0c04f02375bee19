/**
 * ORDER BY keys and their comparator: ascending and descending, NULLS FIRST and LAST,
 * NaN above every number (DuckDB), several keys, checked against DuckDB's ORDER BY.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { DuckDBInstance } from '@duckdb/node-api'
import { input } from '../../../../node/sql/bound-expression.ts'
import { compileSortKeys } from '../../../../node/sql/exec/compile-comparator.ts'

const test = suite('compileSortKeys')

test('orders as DuckDB does: directions, NULL placement, NaN, strings by code unit, ties by the next key', async () => {
  const rows = fc.sample(fc.tuple(
    fc.option(fc.constantFrom(1.5, -2, 0, NaN, Infinity, -Infinity, 7), { nil: null }),
    fc.option(fc.constantFrom('a', 'B', 'b', '', 'é', 'aa'), { nil: null }),
    fc.option(fc.bigInt({ min: -5n, max: 5n }), { nil: null })
  ), { numRuns: 200, seed: 14 }).map((r, i) => [...r, i] as [number | null, string | null, bigint | null, number])
  const instance = await DuckDBInstance.create(':memory:')
  const c = await instance.connect()
  const values = rows.map(([x, s, b, i]) => `(${x === null ? 'NULL' : Number.isNaN(x) ? "'nan'::DOUBLE" : Number.isFinite(x) ? `${x}::DOUBLE` : `'${x > 0 ? 'inf' : '-inf'}'::DOUBLE`}, ${s === null ? 'NULL' : `'${s}'`}, ${b === null ? 'NULL' : `${b}::BIGINT`}, ${i})`).join(', ')
  const orders = [
    { sql: 'x ASC, i', keys: [{ i: 0, type: 'DOUBLE', descending: false, nullsFirst: false }] },
    { sql: 'x DESC NULLS FIRST, i', keys: [{ i: 0, type: 'DOUBLE', descending: true, nullsFirst: true }] },
    { sql: 's DESC NULLS LAST, b ASC NULLS FIRST, i', keys: [{ i: 1, type: 'VARCHAR', descending: true, nullsFirst: false }, { i: 2, type: 'BIGINT', descending: false, nullsFirst: true }] },
    { sql: 'b DESC, x ASC NULLS FIRST, i', keys: [{ i: 2, type: 'BIGINT', descending: true, nullsFirst: false }, { i: 0, type: 'DOUBLE', descending: false, nullsFirst: true }] }
  ] as const
  for (const order of orders) {
    const expected = (await c.runAndReadAll(`SELECT i FROM (VALUES ${values}) AS t(x, s, b, i) ORDER BY ${order.sql}`)).getRowsJson().map(r => Number(r[0]))
    const { key, compare } = compileSortKeys([...order.keys.map(k => ({ expr: input(k.i, k.type, true), descending: k.descending, nullsFirst: k.nullsFirst })), { expr: input(3, 'INTEGER', false), descending: false, nullsFirst: false }])
    const got = rows.map(r => [key(r), r[3]] as const).sort((a, b) => compare(a[0], b[0])).map(([, i]) => i)
    assert.equal(got, expected, order.sql)
  }
  c.closeSync()
})

test.run()
