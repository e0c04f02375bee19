/**
 * The exactly-once Parquet sink, partitioned Hive style, in an embedded job that fails and
 * restarts from its latest checkpoint: DuckDB reads every record exactly once from the
 * committed files, and no hidden part of the job is left in any partition directory it wrote.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { parquetSink } from 'meshflow/connectors/files'
import { withTempDir } from './helpers.ts'
import { duck, lit } from './duckdb.ts'

const test = suite('parquetSink recovery')

const COUNT = 6_000

test('after failures and restarts every record is in the partitioned Parquet output exactly once', async () => {
  await withTempDir(async dir => {
    const failures = [1_500, 3_500]
    let seen = 0
    let failed = 0
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 40 })
    env.setRestartStrategy({ kind: 'fixed-delay', attempts: 5, delayMs: 10 })
    env.fromSource(datagen({ count: COUNT, generate: i => ({ id: i, store: `s${i % 3}`, amount: i / 2 }), ratePerSec: 12_000 }),
      WatermarkStrategy.noWatermarks(), 'sales')
      .map(s => {
        if (failed < failures.length && ++seen >= failures[failed]!) {
          failed++
          throw new Error(`injected failure ${failed}`)
        }
        return s
      }).uid('maybe-fail')
      .sinkTo(parquetSink({ path: dir, partitionBy: 'store', rollBytes: 4_096, schema: { columns: [{ name: 'id', type: 'number' }, { name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] } }))
    const result = await env.execute('parquet-sink-recovery')
    assert.is(result.restarts, 2)
    const rows = await duck(`select id, store, amount from read_parquet(${lit(join(dir, '*', '*.parquet'))}, hive_partitioning = true) order by id`)
    assert.equal(rows, Array.from({ length: COUNT }, (_, i) => ({ id: i, store: `s${i % 3}`, amount: i / 2 })), 'every record exactly once')
    const stores = (await readdir(dir)).filter(n => !n.startsWith('.')).sort()
    assert.equal(stores, ['store=s0', 'store=s1', 'store=s2'])
    for (const store of stores) {
      const files = await readdir(join(dir, store))
      assert.ok(files.filter(f => !f.startsWith('.')).length > 1, `${store} has several committed parts`)
      assert.equal(files.filter(f => f.startsWith('.')), [], `no hidden file left in ${store}`)
    }
  })
})

test.run()
