/**
 * Bad SQL fails with a clear message (issue 14): the error's `name` says what kind of
 * problem it is (node/sql/errors.ts), `line` and `column` (1-based) point at the offending
 * token, and the message names the problem and that `line:column` — never the parser's list
 * of expected tokens. Runs against a SqlSession over the generated datasets of
 * fixtures/sql-data.ts (tables orders, customers, prices, events, empty_t).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../../../protocol/error-message.ts'
import { SqlSession } from '../../../node/index.ts'
import { writeSqlDatasets } from './fixtures/sql-data.ts'

const test = suite('SqlSession bad SQL')

let dir = ''
let session: SqlSession

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshflow-bad-sql-'))
  await writeSqlDatasets(dir)
  session = await SqlSession.open({ dataDir: dir, parallelism: 2 })
})
test.after(async () => {
  await session.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The 1-based line and column of the first occurrence of `fragment` in `sql` (its `nth` occurrence, from 0). */
function at (sql: string, fragment: string, nth = 0): { line: number, column: number } {
  let offset = -1
  for (let i = 0; i <= nth; i++) {
    offset = sql.indexOf(fragment, offset + 1)
    if (offset < 0) throw new Error(`${JSON.stringify(fragment)} is not in the query ${nth + 1} times`)
  }
  const before = sql.slice(0, offset).split('\n')
  return { line: before.length, column: before.at(-1)!.length + 1 }
}

interface Expected {
  /** The error class's name. */
  readonly name: string
  /** Where the error points; several when either of two positions is a fair choice. */
  readonly where: readonly { line: number, column: number }[]
  /** Fragments the message must contain (case-insensitive). */
  readonly says: readonly string[]
}

/** Runs `sql`, which must fail as `expected` says. */
async function assertFails (sql: string, expected: Expected): Promise<void> {
  let error: unknown
  try {
    await session.execute(sql)
  } catch (err) {
    error = err
  }
  if (error === undefined) assert.unreachable(`${JSON.stringify(sql)} ran; expected ${expected.name}`)
  const err = error as Error & { line?: unknown, column?: unknown }
  const message = errorMessage(err)
  const shown = `${err.name}: ${message}`
  assert.is(err.name, expected.name, shown)
  assert.ok(expected.where.some(w => w.line === err.line && w.column === err.column),
    `position ${String(err.line)}:${String(err.column)}, expected ${expected.where.map(w => `${w.line}:${w.column}`).join(' or ')} — ${shown}`)
  assert.ok(message.includes(`${String(err.line)}:${String(err.column)}`), `the message names the position — ${shown}`)
  for (const s of expected.says) assert.ok(message.toLowerCase().includes(s.toLowerCase()), `the message says ${JSON.stringify(s)} — ${shown}`)
  assert.not.ok(/expected one of|\bexpected:.*,.*,.*,/i.test(message), `no list of expected tokens — ${shown}`)
}

test('a doubled operator is a syntax error at the second operator', async () => {
  const sql = 'SELECT amount FROM orders WHERE amount > > 3'
  await assertFails(sql, { name: 'SqlSyntaxError', where: [at(sql, '>', 1)], says: ['>'] })
})

test('a syntax error on the third line of a statement points at that line', async () => {
  const sql = 'SELECT amount\nFROM orders\nWHERE amount > > 3'
  await assertFails(sql, { name: 'SqlSyntaxError', where: [{ line: 3, column: 16 }], says: [] })
})

test('a missing closing parenthesis is a syntax error at the token found instead', async () => {
  const sql = 'SELECT (amount FROM orders'
  await assertFails(sql, { name: 'SqlSyntaxError', where: [at(sql, 'FROM')], says: [')', 'FROM'] })
})

test('an unterminated string is a syntax error at its opening quote', async () => {
  const sql = "SELECT 'abc FROM orders"
  await assertFails(sql, { name: 'SqlSyntaxError', where: [at(sql, "'")], says: ['string'] })
})

test('a statement that ends too early is a syntax error at its end', async () => {
  const sql = 'SELECT * FROM orders WHERE'
  // the parser reports no position at the end of input: the last character or just past it are both fair
  await assertFails(sql, { name: 'SqlSyntaxError', where: [{ line: 1, column: sql.length + 1 }, { line: 1, column: sql.length }, at(sql, 'WHERE')], says: [] })
})

test('an unknown table is named, with a suggestion', async () => {
  const sql = 'SELECT * FROM ordres'
  await assertFails(sql, { name: 'SqlUnknownTableError', where: [at(sql, 'ordres')], says: ["'ordres'", 'orders'] })
})

test('an unknown table in a join is named', async () => {
  const sql = 'SELECT o.order_id\nFROM orders o JOIN nowhere n ON o.cust_id = n.cust_id'
  await assertFails(sql, { name: 'SqlUnknownTableError', where: [at(sql, 'nowhere')], says: ['nowhere'] })
})

test('an unknown column is named with a did-you-mean', async () => {
  const sql = 'SELECT amout FROM orders'
  await assertFails(sql, { name: 'SqlUnknownColumnError', where: [at(sql, 'amout')], says: ["'amout'", 'did you mean', "'amount'"] })
})

test('an unknown column in WHERE on a later line is found there', async () => {
  const sql = 'SELECT order_id\nFROM orders\nWHERE  stauts = \'Open\''
  await assertFails(sql, { name: 'SqlUnknownColumnError', where: [{ line: 3, column: 8 }], says: ["'stauts'", "'status'"] })
})

test('an unknown function is named', async () => {
  const sql = 'SELECT frobnicate(amount) AS f FROM orders'
  await assertFails(sql, { name: 'SqlUnknownFunctionError', where: [at(sql, 'frobnicate')], says: ['frobnicate'] })
})

test('adding a string and a number is a type error', async () => {
  const sql = "SELECT 'a' + 1 AS x"
  // the binary expression's position is its first character; its operator is also fair
  await assertFails(sql, { name: 'SqlTypeError', where: [at(sql, "'a'"), at(sql, '+')], says: ['VARCHAR', 'INTEGER'] })
})

test('comparing a string column with a number is a type error', async () => {
  const sql = 'SELECT order_id FROM orders WHERE status > 5'
  await assertFails(sql, { name: 'SqlTypeError', where: [at(sql, 'status'), at(sql, '>')], says: ['VARCHAR', 'INTEGER'] })
})

test('a column both sides of a join have is ambiguous without a qualifier', async () => {
  const sql = 'SELECT cust_id FROM orders o JOIN customers c ON o.cust_id = c.cust_id'
  await assertFails(sql, { name: 'SqlAmbiguousColumnError', where: [at(sql, 'cust_id')], says: ["'cust_id'"] })
})

test('an aggregate in WHERE is refused', async () => {
  const sql = 'SELECT region FROM orders WHERE SUM(amount) > 10'
  await assertFails(sql, { name: 'SqlAggregateError', where: [at(sql, 'SUM')], says: ['WHERE'] })
})

test('a column neither grouped nor aggregated is refused', async () => {
  const sql = 'SELECT region, status, COUNT(*) AS n FROM orders GROUP BY region'
  await assertFails(sql, { name: 'SqlAggregateError', where: [at(sql, 'status')], says: ["'status'", 'GROUP BY'] })
})

test('a misspelled qualified column is named with a did-you-mean', async () => {
  const sql = 'SELECT o.amout FROM orders o'
  // the qualified column's position is its qualifier or its name
  await assertFails(sql, { name: 'SqlUnknownColumnError', where: [at(sql, 'o.amout'), at(sql, 'amout')], says: ['amout', 'did you mean', 'amount'] })
})

test('a qualifier that names no table in scope is an unknown table', async () => {
  const sql = 'SELECT x.amount FROM orders o'
  await assertFails(sql, { name: 'SqlUnknownTableError', where: [at(sql, 'x.amount')], says: ["'x'"] })
})

test('misspelled columns in ORDER BY and GROUP BY are found there', async () => {
  const order = 'SELECT amount FROM orders ORDER BY amout'
  await assertFails(order, { name: 'SqlUnknownColumnError', where: [at(order, 'amout')], says: ["'amout'", "'amount'"] })
  const group = 'SELECT region, COUNT(*) AS n FROM orders GROUP BY regoin'
  await assertFails(group, { name: 'SqlUnknownColumnError', where: [at(group, 'regoin')], says: ["'regoin'", "'region'"] })
})

test('a function given the wrong argument types is a type error naming the function', async () => {
  const sql = 'SELECT order_id, upper(amount) AS u FROM orders'
  await assertFails(sql, { name: 'SqlTypeError', where: [at(sql, 'upper')], says: ['upper', 'DOUBLE'] })
})

test('a join condition comparing a number with a string is a type error', async () => {
  const sql = 'SELECT o.order_id FROM orders o JOIN customers c ON o.cust_id = c.name'
  await assertFails(sql, { name: 'SqlTypeError', where: [at(sql, 'o.cust_id ='), at(sql, '= c.name')], says: ['DOUBLE', 'VARCHAR'] })
})

test('a WHERE condition that is not BOOLEAN is a type error', async () => {
  const sql = 'SELECT order_id FROM orders WHERE amount'
  await assertFails(sql, { name: 'SqlTypeError', where: [at(sql, 'amount')], says: ['BOOLEAN', 'DOUBLE'] })
})

test('a CAST to a type meshflow does not have is named', async () => {
  const sql = 'SELECT CAST(amount AS BLOB) AS b FROM orders'
  await assertFails(sql, { name: 'SqlTypeError', where: [at(sql, 'BLOB')], says: ['BLOB'] })
})

test('a UNION of queries with different column counts is refused', async () => {
  const sql = 'SELECT order_id FROM orders UNION SELECT order_id, amount FROM orders'
  // a set operation's position is its first character (as a binary expression's), its keyword or its second query
  await assertFails(sql, { name: 'SqlTypeError', where: [{ line: 1, column: 1 }, at(sql, 'UNION'), at(sql, 'SELECT', 1)], says: ['UNION', '1', '2'] })
})

test('an aggregate inside an aggregate, or in GROUP BY, is refused at the inner one', async () => {
  const nested = 'SELECT SUM(MAX(amount)) AS s FROM orders'
  await assertFails(nested, { name: 'SqlAggregateError', where: [at(nested, 'MAX')], says: ['nested'] })
  const grouped = 'SELECT COUNT(*) AS n FROM orders GROUP BY COUNT(*)'
  await assertFails(grouped, { name: 'SqlAggregateError', where: [at(grouped, 'COUNT', 1)], says: ['GROUP BY'] })
})

test('a good query still runs after bad ones', async () => {
  const result = await session.execute('SELECT COUNT(*) AS n FROM orders')
  assert.is(result.kind, 'rows')
  assert.equal(result.kind === 'rows' ? result.rows : undefined, [[1500n]])
})

test.run()
