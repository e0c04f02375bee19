/**
 * The comparison harness of the SQL correctness tests (fixtures/compare-results.ts) and its
 * oracle (fixtures/duckdb-oracle.ts), checked without meshflow's engine: every query of
 * queries.ts runs in DuckDB and equals itself with its rows shuffled (within tie groups
 * under ORDER BY) and its doubles nudged by less than the tolerance; and a result changed in
 * any way that matters — a double, a NULL for a value, a dropped or doubled row, a type, a
 * column name, the order under ORDER BY, an int64 past 2^53 — is reported as a difference.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { compareResults, describeQuery, valuesEqual, type ResultLike } from './fixtures/compare-results.ts'
import { DuckDbOracle, jsValueOfDuckDb } from './fixtures/duckdb-oracle.ts'
import { SQL_TABLES } from './fixtures/sql-data.ts'
import { QUERIES, type SqlQuery } from './queries.ts'

const test = suite('compareResults')

let oracle: DuckDbOracle
const results = new Map<string, ResultLike>()

test.before(async () => {
  oracle = await DuckDbOracle.open(SQL_TABLES)
  for (const q of QUERIES) results.set(q.name, await oracle.query(q.sql))
})
test.after(() => { oracle.close() })

/** A deterministic shuffle (so a failure can be reproduced). */
function shuffle<T> (xs: readonly T[], seed: number): T[] {
  const out = [...xs]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0
    const j = s % (i + 1)
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

/** The rows shuffled, only within runs equal on the order keys when the query is ordered. */
function shuffled (q: SqlQuery, r: ResultLike, seed: number): ResultLike {
  if (q.ordered !== true) return { ...r, rows: shuffle(r.rows, seed) }
  const keys = q.orderKeys ?? r.columns.map((_c, i) => i)
  const rows: (readonly unknown[])[] = []
  let start = 0
  while (start < r.rows.length) {
    let end = start + 1
    while (end < r.rows.length && keys.every(k => valuesEqual(r.rows[end]![k], r.rows[start]![k], false))) end++
    rows.push(...shuffle(r.rows.slice(start, end), seed + start))
    start = end
  }
  return { ...r, rows }
}

function result (name: string): ResultLike {
  const r = results.get(name)
  if (r === undefined) throw new Error(`No query named '${name}'`)
  return r
}

function query (name: string): SqlQuery {
  const q = QUERIES.find(x => x.name === name)
  if (q === undefined) throw new Error(`No query named '${name}'`)
  return q
}

/** `r` with row `i`'s column `c` set to `value`. */
function withValue (r: ResultLike, i: number, c: number, value: unknown): ResultLike {
  return { ...r, rows: r.rows.map((row, k) => k === i ? row.map((v, j) => j === c ? value : v) : row) }
}

/** Asserts that comparing `actual` with `expected` reports a difference mentioning every fragment. */
function assertDiffers (expected: ResultLike, actual: ResultLike, q: SqlQuery, fragments: readonly string[]): void {
  const problem = compareResults(expected, actual, q)
  assert.type(problem, 'string', `the change in '${q.name}' is reported`)
  for (const f of fragments) assert.ok(problem!.includes(f), `the report names ${JSON.stringify(f)}:\n${problem}`)
}

test('there are at least 70 queries with distinct names, all of which DuckDB runs', () => {
  assert.ok(QUERIES.length >= 70, `${QUERIES.length} queries`)
  assert.is(new Set(QUERIES.map(q => q.name)).size, QUERIES.length)
  assert.is(results.size, QUERIES.length)
  assert.ok(QUERIES.filter(q => q.ordered === true).length >= 10, 'queries with ORDER BY')
})

test('every query equals itself with its rows shuffled (within tie groups under ORDER BY)', () => {
  let moved = 0
  for (const q of QUERIES) {
    const r = result(q.name)
    for (const seed of [1, 2, 3]) {
      const s = shuffled(q, r, seed)
      if (s.rows.some((row, i) => row !== r.rows[i])) moved++
      const problem = compareResults(r, s, q)
      if (problem !== undefined) assert.unreachable(describeQuery(q.name, q.sql) + problem)
    }
  }
  assert.ok(moved > 100, `the shuffles moved rows (${moved} of ${QUERIES.length * 3})`)
})

test('doubles within the relative tolerance are equal (sums in another order)', () => {
  const q = query('group by with null group')
  const r = result(q.name)
  const nudged: ResultLike = { ...r, rows: r.rows.map(row => row.map((v, i) => r.columns[i]!.type === 'DOUBLE' && typeof v === 'number' ? v * (1 + 1e-12) : v)) }
  assert.ok(nudged.rows.some((row, i) => row.some((v, j) => v !== r.rows[i]![j])), 'some double changed')
  assert.is(compareResults(r, nudged, q), undefined)
  assert.ok(valuesEqual(0, 1e-12, true), 'near zero the tolerance is absolute')
  assert.not.ok(valuesEqual(0.1, 0.1000001, true))
  assert.not.ok(valuesEqual(1, 1 + 1e-12, false), 'other numbers are exact')
})

test('a changed double is a difference', () => {
  const q = query('group by with null group')
  const r = result(q.name)
  assertDiffers(r, withValue(r, 1, 2, (r.rows[1]![2] as number) + 0.01), q, ['rows differ', '1 expected row(s) not in the actual result', 'expected columns: region VARCHAR'])
})

test('a NULL for a value, or a value for a NULL, is a difference', () => {
  const q = query('count star and count column')
  const r = result(q.name)
  assertDiffers(r, withValue(r, 0, 1, null), q, ['- expected [1500n, 1436n, 1462n, 165n]', '+ actual   [1500n, NULL, 1462n, 165n]'])
  const nulls = result('aggregates over nulls only')
  assertDiffers(nulls, withValue(nulls, 0, 2, 0), query('aggregates over nulls only'), ['NULL'])
  assert.not.ok(valuesEqual(null, 0, true))
  assert.not.ok(valuesEqual('', null, false))
  assert.ok(valuesEqual(null, null, false), 'NULL equals NULL in a result')
})

test('a dropped or a doubled row is a difference', () => {
  const q = query('distinct')
  const r = result(q.name)
  assertDiffers(r, { ...r, rows: r.rows.slice(1) }, q, ['1 expected row(s) not in the actual result, 0 actual row(s) not expected'])
  const doubled: ResultLike = { ...r, rows: [...r.rows.slice(1), r.rows[2]!] }
  assertDiffers(r, doubled, q, ['1 expected row(s) not in the actual result, 1 actual row(s) not expected'])
  const ordered = query('limit offset')
  const o = result(ordered.name)
  assertDiffers(o, { ...o, rows: o.rows.slice(0, -1) }, ordered, ['row count differs: expected 7, actual 6'])
})

test('a wrong type, column count or column name is a difference', () => {
  const q = query('count distinct')
  const r = result(q.name)
  const asInteger: ResultLike = { columns: r.columns.map((c, i) => i === 0 ? { ...c, type: 'INTEGER' } : c), rows: r.rows.map(row => [Number(row[0]), ...row.slice(1)]) }
  assertDiffers(r, asInteger, q, ["column 1 ('s') type differs: expected BIGINT, actual INTEGER"])
  assertDiffers(r, { columns: r.columns.slice(1), rows: r.rows.map(row => row.slice(1)) }, q, ['column count differs: expected 3, actual 2'])
  assertDiffers(r, { ...r, columns: r.columns.map((c, i) => i === 2 ? { ...c, name: 'region' } : c) }, q, ["column 3 name differs: expected 'r', actual 'region'"])
  assert.is(compareResults(r, { ...r, columns: r.columns.map(c => ({ ...c, name: c.name.toUpperCase() })) }, q), undefined, 'names compare case-insensitively')
})

test('a bigint past 2^53 that lost precision is a difference', () => {
  const q = query('int64 arithmetic past 2^53')
  const r = result(q.name)
  // a value a double cannot hold (odd, past 2^53)
  const at = r.rows.findIndex(row => BigInt(Number(row[1] as bigint)) !== row[1])
  assert.ok(at >= 0, 'some int64 value is not a double')
  const big = r.rows[at]![1] as bigint
  assert.ok(big > 2n ** 53n || big < -(2n ** 53n), `${big} is past 2^53`)
  assertDiffers(r, withValue(r, at, 1, BigInt(Number(big))), q, ['rows differ', `${big}n`])
  assertDiffers(r, withValue(r, at, 1, Number(big)), q, ['rows differ'])
})

test('rows out of order under ORDER BY are a difference; ties in any order are not', () => {
  const q = query('top n')
  const r = result(q.name)
  const swapped = [...r.rows]
  swapped[3] = r.rows[4]!
  swapped[4] = r.rows[3]!
  assertDiffers(r, { ...r, rows: swapped }, q, ['in order at rows 3..3'])
  assert.is(compareResults(r, { ...r, rows: swapped }, { ...q, ordered: false }), undefined, 'as a multiset it is the same')

  const ties = query('order by with ties')
  const t = result(ties.name)
  const reversed = { ...t, rows: [...t.rows].reverse() }
  assertDiffers(t, reversed, ties, ['(a tie group)', 'expected rows 0..'])
  // rows 0 and 1 share their status: swapping them is allowed; moving the last row first is not
  assert.equal(t.rows[0]![0], t.rows[1]![0])
  assert.is(compareResults(t, { ...t, rows: [t.rows[1]!, t.rows[0]!, ...t.rows.slice(2)] }, ties), undefined)
  assertDiffers(t, { ...t, rows: [t.rows.at(-1)!, ...t.rows.slice(0, -1)] }, ties, ['rows differ in order'])
  // NULLs placed first instead of last
  const desc = query('order by desc nulls last by default')
  const d = result(desc.name)
  const nulls = d.rows.filter(row => row[0] === null)
  assert.ok(nulls.length > 0)
  assertDiffers(d, { ...d, rows: [...nulls, ...d.rows.filter(row => row[0] !== null)] }, desc, ['in order at rows 0..'])
})

test('describeQuery names the query and shows its text', () => {
  assert.is(describeQuery('q', 'SELECT 1\n  FROM t'), "query 'q':\n    SELECT 1\n    FROM t\n")
})

test('DuckDB values become meshflow values: BIGINT bigint, TIMESTAMP and DATE epoch ms, DECIMAL number', async () => {
  const r = await oracle.query("SELECT CAST(1 AS BIGINT) AS b, SUM(x) AS h, TIMESTAMP '2024-02-29 12:00:00.250' AS t, DATE '2024-02-29' AS d, 2.5 AS dec, CAST(3 AS SMALLINT) AS s FROM (SELECT 1 AS x) v")
  assert.equal(r.columns.map(c => c.type), ['BIGINT', 'BIGINT', 'TIMESTAMP', 'DATE', 'DOUBLE', 'INTEGER'])
  assert.equal(r.rows, [[1n, 1n, Date.UTC(2024, 1, 29, 12, 0, 0, 250), Date.UTC(2024, 1, 29), 2.5, 3]])
  assert.is(jsValueOfDuckDb(null, 'BIGINT'), null)
})

test('the oracle holds the generated rows: NULLs of every type, int64 past 2^53, the empty table', async () => {
  for (const table of SQL_TABLES) {
    const r = await oracle.query(`SELECT COUNT(*) AS n FROM ${table.name}`)
    assert.equal(r.rows, [[BigInt(table.rows.length)]], table.name)
  }
  for (const type of ['string', 'number', 'int64', 'boolean', 'timestamp'] as const) {
    const withNulls = SQL_TABLES.flatMap(t => t.schema.columns.filter(c => c.type === type && t.rows.some(row => row[c.name] === null)).map(c => `${t.name}.${c.name}`))
    assert.ok(withNulls.length > 0, `a ${type} column holds NULLs`)
  }
  const orders = SQL_TABLES.find(t => t.name === 'orders')!
  const r = await oracle.query('SELECT big FROM orders WHERE big IS NOT NULL ORDER BY big LIMIT 1')
  const expected = orders.rows.map(row => row.big).filter((b): b is bigint => typeof b === 'bigint').sort((a, b) => a < b ? -1 : a > b ? 1 : 0)[0]
  assert.equal(r.rows, [[expected]])
})

test.run()
