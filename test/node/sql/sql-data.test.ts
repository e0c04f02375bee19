/**
 * The generated tables of the SQL correctness tests (fixtures/sql-data.ts) hold what they
 * promise — duplicate and one-sided join keys, NULLs of every type, awkward strings, int64
 * values past 2^53, ties, negatives and zeros, timestamps over years — and the datasets
 * written from them read back as the same rows, `orders` hash-partitioned on its join key
 * and `events` in many small segments.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment } from '../../../node/index.ts'
import { Peer } from '../../../node/cluster/peer.ts'
import { SQL_TABLES, writeSqlDatasets, type SqlDataRow, type SqlTable } from './fixtures/sql-data.ts'

const test = suite('SQL_TABLES')

const table = (name: string): SqlTable => {
  const t = SQL_TABLES.find(x => x.name === name)
  if (t === undefined) throw new Error(`No table ${name}`)
  return t
}
const values = (name: string, column: string): (SqlDataRow[string])[] => table(name).rows.map(r => r[column] ?? null)
const keyOf = (v: unknown): string => typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)

test('join keys repeat, and some are on one side only', () => {
  const customerIds = values('customers', 'cust_id').filter(v => v !== null)
  assert.ok(customerIds.length > new Set(customerIds).size, 'duplicate customer ids')
  const orderCustomers = new Set(values('orders', 'cust_id'))
  assert.ok([...orderCustomers].some(c => c !== null && !customerIds.includes(c)), 'orders whose customer is missing')
  assert.ok(customerIds.some(c => !orderCustomers.has(c)), 'customers without orders')
  assert.ok(orderCustomers.has(null) && values('customers', 'cust_id').includes(null), 'NULL keys on both sides')
  const pairs = table('prices').rows.map(r => `${String(r.region)}/${String(r.product)}`)
  assert.ok(pairs.length > new Set(pairs).size, 'a duplicated (region, product)')
})

test('every column type holds NULLs; the empty table is empty', () => {
  for (const type of ['string', 'number', 'int64', 'boolean', 'timestamp'] as const) {
    assert.ok(SQL_TABLES.some(t => t.schema.columns.some(c => c.type === type && t.rows.some(r => r[c.name] === null))), type)
  }
  assert.is(table('empty_t').rows.length, 0)
})

test('strings, numbers and timestamps have the awkward cases', () => {
  const names = values('customers', 'name').filter((v): v is string => typeof v === 'string')
  for (const c of ['%', '_', "'", '\\']) assert.ok(names.some(n => n.includes(c)), `a name with ${c}`)
  assert.ok(names.some(n => /[A-Z]/.test(n) && /[a-z]/.test(n)), 'mixed case')
  const amounts = values('orders', 'amount').filter((v): v is number => typeof v === 'number')
  assert.ok(amounts.some(a => a < 0) && amounts.includes(0), 'negative amounts and zeros')
  assert.ok(amounts.length - new Set(amounts).size > 100, 'ties in amount')
  const big = values('orders', 'big').filter((v): v is bigint => typeof v === 'bigint')
  assert.ok(big.some(b => b > 2n ** 53n) && big.some(b => b < -(2n ** 53n)), 'int64 past ±2^53')
  assert.ok(big.some(b => BigInt(Number(b)) !== b), 'int64 values a double cannot hold')
  const years = new Set(values('orders', 'ordered_at').filter((v): v is number => typeof v === 'number').map(t => new Date(t).getUTCFullYear()))
  assert.equal([...years].sort(), [2022, 2023, 2024, 2025])
})

test('the data is the same on every run (a seeded PRNG)', () => {
  assert.equal(SQL_TABLES.map(t => t.rows.length), [116, 1500, 21, 2000, 600, 0])
  assert.equal(table('orders').rows[0], { order_id: 1n, cust_id: 28, region: 'south', product: null, amount: 355, qty: 14n, status: 'Pending', ordered_at: 1684655894805, paid: true, big: null })
})

test('writeSqlDatasets writes datasets that read back as the rows, partitioned as declared', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-sql-data-'))
  try {
    await writeSqlDatasets(dir)
    for (const t of SQL_TABLES) {
      const env = StreamEnvironment.create({ parallelism: 2 })
      const out = env.readDataset<SqlDataRow>(t.name).collect()
      await env.execute(`read ${t.name}`, { dataDir: dir })
      const canon = (rows: readonly SqlDataRow[]): string[] => rows.map(r => t.schema.columns.map(c => keyOf(r[c.name] ?? null)).join('|')).sort()
      assert.equal(canon(out.values), canon(t.rows), t.name)
    }
    const peer = await Peer.start({ dataDir: dir, embedded: true })
    try {
      await peer.mark('test')
      const datasets = peer.jobService.registry.datasets
      assert.equal(datasets.dataset('orders')?.partitioning, { kind: 'hash', column: 'cust_id', partitions: 4 })
      assert.equal(datasets.dataset('payments')?.partitioning, { kind: 'hash', column: 'cust_id', partitions: 2 })
      const segments = (name: string): number => datasets.dataset(name)?.segments ?? 0
      assert.ok(segments('events') >= 20, `events has many small segments (${segments('events')})`)
      assert.is(datasets.dataset('events')?.versions.at(-1)?.rows, 2000)
      assert.is(datasets.dataset('empty_t')?.versions.at(-1)?.rows, 0)
    } finally {
      await peer.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
