/**
 * readFiles/writeFiles: files as DataSets — CSV typed by a schema in, a grouped result out as
 * Parquet, read back (with DuckDB's view of it the same as ours).
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { StreamEnvironment, sum, count } from '../../../node/index.ts'
import { readFiles, writeFiles } from '../../../connectors/files/index.ts'

const files = suite('readFiles / writeFiles')

files('reads a typed CSV as a DataSet and writes a grouped result as Parquet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshflow-data-set-files-'))
  try {
    const lines = ['store,amount']
    const want = new Map<string, { revenue: number, n: number }>()
    for (let i = 0; i < 2_000; i++) {
      const store = `s${i % 7}`
      const amount = (i % 50) + 0.25
      lines.push(`${store},${amount}`)
      const w = want.get(store) ?? { revenue: 0, n: 0 }
      w.revenue += amount
      w.n++
      want.set(store, w)
    }
    writeFileSync(join(dir, 'sales.csv'), lines.join('\n') + '\n')
    const env = StreamEnvironment.create({ parallelism: 2 })
    const sales = readFiles<{ store: string, amount: number }>(env, {
      path: join(dir, 'sales.csv'), format: 'csv', schema: { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
    })
    writeFiles(sales.groupBy('store').aggregate({ revenue: sum('amount'), n: count() }), { path: join(dir, 'out'), format: 'parquet' })
    await env.execute('files')

    const back = StreamEnvironment.create()
    const rows = readFiles<{ store: string, revenue: number, n: number }>(back, { path: join(dir, 'out'), format: 'parquet' }).collect()
    await back.execute('read back')
    assert.equal(rows.values.map(r => r.store).sort(), [...want.keys()].sort())
    for (const r of rows.values) {
      assert.ok(Math.abs(r.revenue - want.get(r.store)!.revenue) < 1e-6, r.store)
      assert.is(Number(r.n), want.get(r.store)!.n)
    }
    const duck = await (await DuckDBInstance.create(':memory:')).connect()
    const total = (await duck.runAndReadAll(`select sum(n)::INTEGER as n from read_parquet('${join(dir, 'out')}/*.parquet')`)).getRowObjects()[0]!
    assert.is(total.n, 2_000)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

files.run()
