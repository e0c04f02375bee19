/**
 * The Parquet lake's partitioning and rolling: `parquetSink` partitioned by a function of
 * the record (Hive directories `dt=…/store=…`) and rolled by age (`rollMs`), read back by
 * DuckDB with `read_parquet('…/**' + '/*.parquet', hive_partitioning = true)`.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { writeFile } from 'node:fs/promises'
import { FileSinkWriter, loadParquet, parquetSink, PartitionedSinkWriter, readParquetFile } from 'meshflow/connectors/files'
import { createRecordEncoder } from '../../../connectors/files/record-encoder.ts'
import { BUFFER_ROWS, ParquetEncoder } from '../../../connectors/files/parquet-encoder.ts'
import { withTempDir } from './helpers.ts'
import { duck, lit } from './duckdb.ts'

const test = suite('parquetSink lake')

interface Sale { id: number, ts: number, store: string, amount: number }

const DAY = 86_400_000
const T0 = Date.UTC(2024, 2, 1)
const STORES = ['rome', 'oslo', 'lima']
const sale = (i: number): Sale => ({ id: i, ts: T0 + (i % 5) * DAY + i, store: STORES[i % 3]!, amount: i / 4 })
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10)

/** Visible entries of `dir`, sorted. */
async function visible (dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(n => !n.startsWith('.')).sort()
}

test('partitionBy as a function writes dt=…/store=… directories DuckDB reads back exactly once with checkpoints', async () => {
  await withTempDir(async dir => {
    const count = 6_000
    const env = StreamEnvironment.create({ parallelism: 2, checkpointIntervalMs: 50 })
    env.fromSource(datagen({ count, generate: sale, ratePerSec: 20_000 }), WatermarkStrategy.noWatermarks(), 'sales')
      .sinkTo(parquetSink<Sale>({ path: dir, partitionBy: s => ({ dt: day(s.ts), store: s.store }) }))
    await env.execute('lake-by-function')
    const days = Array.from({ length: 5 }, (_, d) => day(T0 + d * DAY))
    assert.equal(await visible(dir), days.map(d => `dt=${d}`))
    assert.equal(await visible(join(dir, `dt=${days[0]}`)), ['store=lima', 'store=oslo', 'store=rome'])
    const glob = lit(join(dir, '**', '*.parquet'))
    const [total] = await duck(`select count(*)::integer as n, count(distinct id)::integer as ids from read_parquet(${glob}, hive_partitioning = true)`)
    assert.equal(total, { n: count, ids: count }, 'DuckDB counts exactly the input')
    const rows = await duck(`select id, ts, store, amount, dt::varchar as dt from read_parquet(${glob}, hive_partitioning = true) order by id`)
    assert.equal(rows, Array.from({ length: count }, (_, i) => { const s = sale(i); return { ...s, dt: day(s.ts) } }), 'every record under its own partition')
    const columns = await duck(`select column_name from (describe select * from read_parquet(${lit(join(dir, `dt=${days[0]}`, 'store=rome', '*.parquet'))}, hive_partitioning = false))`)
    assert.equal(columns.map(c => c.column_name), ['id', 'ts', 'amount'], 'partition columns are not in the files (store is left out, dt never was a field)')
  })
})

test('partitionBy function results with other columns than the first fail the job naming both', async () => {
  await withTempDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.setRestartStrategy({ kind: 'none' })
    env.fromCollection([sale(0), sale(1), sale(2)])
      .sinkTo(parquetSink<Sale>({ path: dir, partitionBy: s => s.id === 2 ? { store: s.store, dt: day(s.ts) } : { dt: day(s.ts), store: s.store } }))
    try {
      await env.execute('lake-mismatch')
      assert.unreachable()
    } catch (err) {
      assert.match(String((err as Error).message), 'returned the columns (store, dt) after (dt, store)')
    }
    assert.throws(() => parquetSink({ path: dir, partitionBy: '_hidden' }), /not usable as a directory name/)
    assert.throws(() => parquetSink({ path: dir, rollMs: 0 }), /rollMs must be a positive number/)
  })
})

test('FileSinkWriter rolls a part older than rollMs on the next write, and on rollIfOlder', async () => {
  await withTempDir(async dir => {
    let now = 1_000
    const writer = new FileSinkWriter<unknown>({ dir, extension: 'jsonl', encoder: createRecordEncoder('jsonl', {}), rollBytes: 1 << 30, rollMs: 100, now: () => now, jobId: 'job-roll', subtaskIndex: 0 })
    await writer.write([{ a: 1 }])
    now += 99
    await writer.write([{ a: 2 }])
    assert.is(writer.closedParts.length, 0, 'younger than rollMs: no roll')
    now += 1
    await writer.write([{ a: 3 }])
    assert.is(writer.closedParts.length, 1, 'rolled once 100 ms old')
    assert.is(writer.inProgressPath, undefined)
    await writer.write([{ a: 4 }])
    await writer.rollIfOlder()
    assert.is(writer.closedParts.length, 1, 'the new part is young')
    now += 100
    await writer.rollIfOlder()
    assert.is(writer.closedParts.length, 2, 'rollIfOlder rolls an old part without a write')
    await writer.commit(await writer.prepareCommit(1))
    await writer.close()
    assert.equal((await visible(dir)).length, 2)
  })
})

test('PartitionedSinkWriter rolls an idle partition by age when another partition is written', async () => {
  await withTempDir(async dir => {
    await loadParquet()
    let now = 0
    const writer = new PartitionedSinkWriter<Sale>({ root: dir, partitionBy: ['store'], schema: undefined, parquet: undefined, rollBytes: 1 << 30, rollMs: 50, now: () => now, jobId: 'job-idle', subtaskIndex: 0 })
    await writer.write([sale(0)]) // rome
    now = 60
    await writer.write([sale(1)]) // oslo: rome's part is 60 ms old
    await writer.commit(await writer.prepareCommit(7))
    await writer.close()
    assert.equal(await visible(join(dir, 'store=rome')), ['part-job-idle-0-7-0.parquet'])
    const [rome] = await duck(`select count(*)::integer as n from read_parquet(${lit(join(dir, 'store=rome', '*.parquet'))})`)
    assert.is(rome!.n, 1)
  })
})

test('rollMs without checkpoints: several parts per partition, DuckDB counts exactly the input', async () => {
  await withTempDir(async dir => {
    const count = 3_000
    const env = StreamEnvironment.create({ parallelism: 1 })
    // 3 000 records at 10 000/s take at least 300 ms: parts 20 ms old must roll
    env.fromSource(datagen({ count, generate: sale, ratePerSec: 10_000 }), WatermarkStrategy.noWatermarks(), 'sales')
      .sinkTo(parquetSink<Sale>({ path: dir, partitionBy: 'store', rollMs: 20 }))
    await env.execute('lake-roll-ms')
    for (const store of await visible(dir)) {
      const parts = await visible(join(dir, store))
      assert.ok(parts.length > 1, `${store} rolled by age (${parts.length} parts)`)
    }
    const [total] = await duck(`select count(*)::integer as n, count(distinct id)::integer as ids from read_parquet(${lit(join(dir, '**', '*.parquet'))}, hive_partitioning = true)`)
    assert.equal(total, { n: count, ids: count })
  })
})

test('ParquetEncoder collects small writes into batches and writes every record in order', async () => {
  await withTempDir(async dir => {
    await loadParquet()
    const encoder = new ParquetEncoder<Sale>({ path: dir })
    const count = BUFFER_ROWS * 2 + 777
    for (let i = 0; i < count; i += 3) {
      const rows = Array.from({ length: Math.min(3, count - i) }, (_, j) => sale(i + j))
      encoder.encode(rows)
      // records not converted yet count too: four 8-byte columns per record at least
      assert.ok(encoder.bufferedBytes >= (i + rows.length) * 32, `buffered bytes count every record written (${encoder.bufferedBytes} after ${i + rows.length})`)
    }
    const file = join(dir, 'x.parquet')
    await writeFile(file, encoder.finishPart())
    assert.is(encoder.bufferedBytes, 0)
    const back = await readParquetFile(file)
    assert.equal(back.batches.flat(), Array.from({ length: count }, (_, i) => sale(i)))
  })
})

test.run()
