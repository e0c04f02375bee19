/**
 * The embedded backend runs a query in process over the peer's datasets (their decoded
 * columns cached by segment): a query run again — now from the cache — gives the same rows;
 * after a write, a query sees the new version (the cache is keyed by segment CID, and a new
 * version lists new segments); a query is cancelled by its signal.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqlSession } from '../../../node/index.ts'
import { SQL_TABLES, writeSqlDatasets } from './fixtures/sql-data.ts'

const test = suite('embedded SQL backend')

let dir = ''
let session: SqlSession

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshflow-embedded-sql-'))
  await writeSqlDatasets(dir)
  session = await SqlSession.open({ dataDir: dir, parallelism: 2 })
})
test.after(async () => {
  await session.close()
  rmSync(dir, { recursive: true, force: true })
})

async function rows (sql: string): Promise<unknown[][]> {
  const r = await session.execute(sql)
  if (r.kind !== 'rows') throw new Error(`${sql} returned ${r.kind}`)
  return r.rows.map(row => [...row])
}

const orders = SQL_TABLES.find(t => t.name === 'orders')!.rows

test('a query run again, from the column cache, gives the same rows', async () => {
  const sql = 'SELECT region, count(*) AS n, sum(amount) AS total, max(ordered_at) AS last FROM orders WHERE amount > 0 GROUP BY region ORDER BY region'
  const first = await rows(sql)
  const again = await rows(sql)
  const narrower = await rows('SELECT count(*) FROM orders WHERE amount > 0')
  assert.equal(again, first)
  assert.is(first.reduce((n, r) => n + Number(r[1]), 0), orders.filter(o => typeof o.amount === 'number' && o.amount > 0).length)
  assert.equal(narrower, [[BigInt(orders.filter(o => typeof o.amount === 'number' && o.amount > 0).length)]])
})

test('after a write a query reads the new version', async () => {
  const before = await rows('SELECT count(*), sum(qty) FROM orders')
  await session.execute('INSERT INTO orders SELECT * FROM orders WHERE region = \'north\'')
  const after = await rows('SELECT count(*), sum(qty) FROM orders')
  const north = orders.filter(o => o.region === 'north')
  assert.is(after[0]![0], (before[0]![0] as bigint) + BigInt(north.length))
  assert.is(after[0]![1], (before[0]![1] as bigint) + north.reduce((s, o) => s + (typeof o.qty === 'bigint' ? o.qty : 0n), 0n))
})

test('a query is cancelled by its signal, before it starts or while it runs', async () => {
  try {
    await session.execute('SELECT count(*) FROM orders', { signal: AbortSignal.abort() })
    assert.unreachable()
  } catch (err) {
    assert.is((err as Error).name, 'JobCancelledError')
  }
  const controller = new AbortController()
  const running = session.execute('SELECT a.order_id, b.order_id FROM orders a, orders b', { signal: controller.signal })
  setTimeout(() => { controller.abort() }, 5)
  try {
    await running
    assert.unreachable('a cross join of 2,000 × 2,000 rows outlasts 5 ms')
  } catch (err) {
    assert.is((err as Error).name, 'JobCancelledError')
  }
})

test.run()
