/**
 * Hive-style partition directories read back by `fileSource({ format: 'parquet' })`: what
 * parquetSink writes (`dt=…/store=…/part-….parquet`, partition columns only in the
 * directory names) comes back with its partition columns, typed by the schema or as
 * strings, as DuckDB's `hive_partitioning` reads it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment } from 'meshflow'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'
import { fileSource, listPartitionedFiles, parquetSink, parseHiveDirectory, writeParquetFile } from 'meshflow/connectors/files'
import { readAll, readerOf, withTempDir } from './helpers.ts'
import { duck, lit } from './duckdb.ts'

const test = suite('fileSource Hive partitions')

interface Sale { id: number, ts: number, store: string | null, amount: number }

const DAY = 86_400_000
const T0 = Date.UTC(2024, 2, 1)
const STORES = ['rome', 's/0 é', null, 'a=b%']
const sale = (i: number): Sale => ({ id: i, ts: T0 + (i % 3) * DAY + i, store: STORES[i % 4]!, amount: i / 8 })
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10)
const COUNT = 2_000

async function writeLake (dir: string): Promise<void> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  env.fromCollection(Array.from({ length: COUNT }, (_, i) => sale(i)))
    .sinkTo(parquetSink<Sale>({ path: dir, partitionBy: s => ({ dt: day(s.ts), store: s.store }), rollBytes: 8 * 1024 }))
  await env.execute('write-lake')
}

async function readLake<T> (source: ReturnType<typeof fileSource<T>>): Promise<T[]> {
  const env = StreamEnvironment.create({ parallelism: 2 })
  const out = env.fromSource(source, undefined, 'lake').collect()
  await env.execute('read-lake')
  return out.values
}

test('parseHiveDirectory unescapes names and values and reads Hive null', () => {
  assert.equal(parseHiveDirectory('store=s%2F0 é'), { name: 'store', value: 's/0 é' })
  assert.equal(parseHiveDirectory('store=__HIVE_DEFAULT_PARTITION__'), { name: 'store', value: null })
  assert.equal(parseHiveDirectory('a=b%3D%25'), { name: 'a', value: 'b=%' })
  assert.is(parseHiveDirectory('plain'), undefined)
  assert.is(parseHiveDirectory('=x'), undefined)
  assert.is(parseHiveDirectory('.dt=1'), undefined)
})

test('what parquetSink partitioned by a function writes comes back with its partition columns as strings, as DuckDB reads it', async () => {
  await withTempDir(async dir => {
    await writeLake(dir)
    const files = await listPartitionedFiles(dir)
    assert.ok(files.length >= 12, `several parts in 3 × 4 directories (${files.length})`)
    const rows = (await readLake(fileSource<Record<string, unknown>>({ path: dir, format: 'parquet' }))).sort((a, b) => (a.id as number) - (b.id as number))
    assert.equal(rows, Array.from({ length: COUNT }, (_, i) => { const s = sale(i); return { id: s.id, ts: s.ts, amount: s.amount, dt: day(s.ts), store: s.store } }))
    assert.equal(Object.keys(rows[0]!), ['id', 'ts', 'amount', 'dt', 'store'], 'partition columns after the file columns')
    const ducks = await duck(`select id, ts, amount, dt, store from read_parquet(${lit(join(dir, '**', '*.parquet'))}, hive_partitioning = true, hive_types_autocast = false) order by id`)
    assert.equal(ducks, rows, 'the same records DuckDB reads')
  })
})

test('the schema types partition columns; columns may pick partition columns', async () => {
  await withTempDir(async dir => {
    await writeLake(dir)
    const schema: DatasetSchema = { columns: [{ name: 'dt', type: 'timestamp' }, { name: 'store', type: 'string' }] }
    const typed = (await readLake(fileSource<Record<string, unknown>>({ path: dir, format: 'parquet', schema }))).sort((a, b) => (a.id as number) - (b.id as number))
    assert.equal(typed.map(r => r.dt), Array.from({ length: COUNT }, (_, i) => Date.parse(day(sale(i).ts))), 'dt as epoch ms')
    const picked = (await readLake(fileSource<Record<string, unknown>>({ path: dir, format: 'parquet', columns: ['store', 'id'] }))).sort((a, b) => (a.id as number) - (b.id as number))
    assert.equal(picked, Array.from({ length: COUNT }, (_, i) => ({ store: sale(i).store, id: i })))
    assert.equal(Object.keys(picked[0]!), ['store', 'id'])
    const onlyPartitions = await readLake(fileSource<Record<string, unknown>>({ path: dir, format: 'parquet', columns: ['dt'] }))
    assert.is(onlyPartitions.length, COUNT, 'a partition column alone still gives one record per row')
    assert.equal(Object.keys(onlyPartitions[0]!), ['dt'])
  })
})

test('int64 and boolean partition columns are typed, and a restored reader keeps the partition values', async () => {
  await withTempDir(async dir => {
    const fileSchema: DatasetSchema = { columns: [{ name: 'id', type: 'int64' }] }
    for (const [n, ok] of [[1, true], [22, false]] as const) {
      const sub = join(dir, `n=${n}`, `ok=${ok}`)
      await mkdir(sub, { recursive: true })
      await writeParquetFile(join(sub, 'part-0.parquet'), fileSchema, Array.from({ length: 100 }, (_, i) => ({ id: BigInt(n * 1000 + i) })), { rowGroupRows: 40 })
    }
    const schema: DatasetSchema = { columns: [{ name: 'n', type: 'int64' }, { name: 'ok', type: 'boolean' }] }
    const source = fileSource<Record<string, unknown>>({ path: dir, format: 'parquet', schema, batchRows: 16 })
    const first = readerOf(source)
    first.addSplits(await source.createSplits(1))
    const head = await readAll(first, 10, 55)
    const state = JSON.parse(JSON.stringify(first.snapshotSplits()))
    await first.close()
    const second = readerOf(source)
    second.addSplits(state)
    const all = [...head, ...await readAll(second, 7)]
    await second.close()
    const expected = [1, 22].flatMap(n => Array.from({ length: 100 }, (_, i) => ({ id: BigInt(n * 1000 + i), n: BigInt(n), ok: n === 1 })))
    assert.equal(all.sort((a, b) => Number(a.id as bigint) - Number(b.id as bigint)), expected)
  })
})

test('a partition directory that does not fit its schema type fails when the job starts, naming it', async () => {
  await withTempDir(async dir => {
    const sub = join(dir, 'n=abc')
    await mkdir(sub)
    await writeParquetFile(join(sub, 'x.parquet'), { columns: [{ name: 'id', type: 'int64' }] }, [{ id: 1n }])
    try {
      await fileSource({ path: dir, format: 'parquet', schema: { columns: [{ name: 'n', type: 'int64' }] } }).createSplits(1)
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'ParquetError')
      assert.match((err as Error).message, 'n=abc')
      assert.match((err as Error).message, "column 'n': 'abc' is not")
    }
  })
})

test.run()
