/**
 * An aggregation right after readDataset runs fused into the scan (datasetAggregateSource,
 * column by column) and gives exactly what the row path gives: the same query with a
 * `map(r => r)` between scan and groupBy (which keeps the rows) is the reference. Nulls in
 * keys and values, several segments per partition (two appends), segments pruned by a
 * predicate, composite keys, a whole-set aggregate of no rows, and parallelism 1 and 3.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment, avg, count, max, min, sum, type DataSet } from '../../../../node/index.ts'
import type { Predicate } from '../../../../node/api/dataset-schema.ts'

const test = suite('datasetAggregateSource')

interface Sale { id: number, store: string | null, amount: number | null, qty: bigint, ok: boolean | null, day: number }

function sales (from: number, n: number): Sale[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k
    return { id: i, store: i % 11 === 0 ? null : `s${i % 7}`, amount: i % 9 === 0 ? null : (i % 100) + 0.25, qty: BigInt(i % 13), ok: i % 17 === 0 ? null : i % 3 === 0, day: Math.floor(i / 100) }
  })
}

let dir = ''
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'meshflow-aggregate-source-')) })
test.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

async function write (rows: Sale[], mode: 'append' | 'overwrite'): Promise<void> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const schema = { columns: [{ name: 'id', type: 'number' }, { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }, { name: 'qty', type: 'int64' }, { name: 'ok', type: 'boolean' }, { name: 'day', type: 'timestamp' }] } as const
  env.fromCollection(rows).toDataSet().writeDataset('sales', { mode, schema, partitionBy: 'id', partitions: 3 })
  await env.execute('write sales', { dataDir: dir })
}

const json = (rows: unknown[]): string[] => rows.map(r => JSON.stringify(r, (_k, v) => typeof v === 'bigint' ? `${v}n` : v)).sort()

/** Runs `query` over the scan as it is (fused) and behind a map (the row path); returns both results and the fused job's operator names. */
async function both (query: (scan: DataSet<Sale>) => DataSet<any>, scan: { columns?: string[], predicate?: Predicate }, parallelism: number): Promise<{ fused: string[], rows: string[], operators: string[] }> {
  const run = async (fuse: boolean): Promise<{ values: unknown[], operators: string[] }> => {
    const env = StreamEnvironment.create({ parallelism })
    const input = env.readDataset<Sale>('sales', scan)
    const out = query(fuse ? input : input.map(r => r)).collect()
    const operators = env.getJobGraph().vertices.flatMap(v => v.operators.map(o => o.name))
    await env.execute('aggregate sales', { dataDir: dir })
    return { values: out.values, operators }
  }
  const fused = await run(true)
  const rows = await run(false)
  return { fused: json(fused.values), rows: json(rows.values), operators: fused.operators }
}

const spec = () => ({ revenue: sum<Sale>('amount'), n: count<Sale>(), priced: count<Sale>('amount'), mean: avg<Sale>('amount'), units: sum<Sale>('qty'), first: min<Sale>('id'), top: max<Sale>(r => r.amount === null ? null : r.amount * 2) })

test('groupBy(columns).aggregate over a scan runs fused and equals the row path, at parallelism 1 and 3', async () => {
  await write(sales(0, 3_000), 'overwrite')
  await write(sales(3_000, 1_500), 'append')
  for (const p of [1, 3]) {
    for (const key of ['store', ['store', 'ok'], 'ok', 'day'] as const) {
      const r = await both(s => s.groupBy(key as any).aggregate(spec()), {}, p)
      assert.ok(r.operators.every(o => !o.includes('combine')), `fused, no combiner: ${r.operators.join(', ')}`)
      assert.ok(r.fused.length > 1, 'several groups')
      assert.equal(r.fused, r.rows, `key ${JSON.stringify(key)} at parallelism ${p}`)
    }
  }
})

test('a predicate that prunes segments, and a projection, give the row path\'s groups', async () => {
  await write(sales(0, 2_000), 'overwrite')
  await write(sales(2_000, 2_000), 'append')
  // ids >= 2500: the first version's segments are ruled out by their statistics
  const scan = { columns: ['store', 'amount', 'qty', 'id', 'ok'], predicate: { op: 'and', args: [{ op: '>=', column: 'id', value: 2_500 }, { op: 'is-not-null', column: 'amount' }] } as Predicate }
  const r = await both(s => s.groupBy(['store', 'ok']).aggregate({ revenue: sum<Sale>('amount'), n: count<Sale>(), units: sum<Sale>('qty') }), scan, 2)
  assert.equal(r.fused, r.rows)
  const expected = sales(2_500, 1_500).filter(s => s.amount !== null).length
  assert.is(r.fused.map(x => JSON.parse(x) as { n: number }).reduce((a, x) => a + x.n, 0), expected)
})

test('a whole-set aggregate runs fused; over no rows it is one record of count 0 and nulls', async () => {
  await write(sales(0, 1_000), 'overwrite')
  const all = await both(s => s.aggregate(spec()), {}, 2)
  assert.ok(all.operators.every(o => !o.includes('combine')))
  assert.equal(all.fused, all.rows)
  const none = await both(s => s.aggregate(spec()), { predicate: { op: '>', column: 'id', value: 1e9 } }, 2)
  assert.equal(none.fused, none.rows)
  assert.equal(JSON.parse(none.fused[0]!), { revenue: null, n: 0, priced: 0, mean: null, units: null, first: null, top: null })
})

test.run()
