/**
 * Parquet in and out against DuckDB, the reference: what writeParquetFile and the sinks
 * write, DuckDB reads with the same values and types (int64, double, unicode strings,
 * booleans, timestamps, nulls); what DuckDB writes, fileSource reads back exactly.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import * as fc from 'fast-check'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StreamEnvironment } from 'meshflow'
import type { DatasetSchema } from '../../../node/api/dataset-schema.ts'
import { fileSink, fileSource, parquetSink, readParquetFile, writeParquetFile } from 'meshflow/connectors/files'
import { readAll, readerOf, withTempDir } from './helpers.ts'
import { duck, lit } from './duckdb.ts'

const test = suite('Parquet with DuckDB')

const schema: DatasetSchema = {
  columns: [
    { name: 'id', type: 'int64' },
    { name: 'price', type: 'number' },
    { name: 'name', type: 'string' },
    { name: 'ok', type: 'boolean' },
    { name: 'ts', type: 'timestamp' }
  ]
}

interface Row { id: bigint | null, price: number | null, name: string | null, ok: boolean | null, ts: number | null }

const rowArb = fc.record({
  id: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
  price: fc.option(fc.double({ noNaN: true }), { nil: null }),
  name: fc.option(fc.string({ unit: 'binary', maxLength: 12 }), { nil: null }),
  ok: fc.option(fc.boolean(), { nil: null }),
  // DuckDB's TIMESTAMP range, in whole ms
  ts: fc.option(fc.integer({ min: -2e14, max: 2e14 }), { nil: null })
}, { noNullPrototype: true })

/** The rows DuckDB reads from `path`, with timestamps as epoch ms, in file order. */
async function duckRows (glob: string, extra = ''): Promise<Array<Record<string, unknown>>> {
  return await duck(`select * exclude (ts), epoch_ms(ts) as ts${extra} from read_parquet(${lit(glob)}) order by file_row_number`.replace('read_parquet(' + lit(glob) + ')', `read_parquet(${lit(glob)}, file_row_number = true)`))
}

/** DuckDB's value as our type (its BIGINT epoch_ms is a bigint; -0 is 0 in neither). */
function normal (r: Record<string, unknown>): Row {
  return { id: r.id as bigint | null, price: r.price as number | null, name: r.name as string | null, ok: r.ok as boolean | null, ts: r.ts === null ? null : Number(r.ts) }
}

test('writeParquetFile writes what DuckDB reads back with every value and type (property)', async () => {
  await withTempDir(async dir => {
    let n = 0
    await fc.assert(fc.asyncProperty(fc.array(rowArb, { maxLength: 40 }), async rows => {
      const file = join(dir, `p${n++}.parquet`)
      const result = await writeParquetFile(file, schema, rows, { rowGroupRows: 7 })
      assert.is(result.rows, rows.length)
      const back = (await duckRows(file)).map(r => { const { file_row_number: _, ...rest } = r; return normal(rest) })
      assert.equal(back, rows)
      // and our own reader agrees
      const ours = await readParquetFile(file)
      assert.equal(ours.schema, schema)
      assert.equal(ours.batches.flat(), rows)
    }), { numRuns: 30 })
    const types = await duck(`select column_name, column_type from (describe select * from read_parquet(${lit(join(dir, 'p0.parquet'))}))`)
    assert.equal(types.map(t => [t.column_name, t.column_type]), [['id', 'BIGINT'], ['price', 'DOUBLE'], ['name', 'VARCHAR'], ['ok', 'BOOLEAN'], ['ts', 'TIMESTAMP WITH TIME ZONE']])
  })
})

test('fileSource reads what DuckDB writes, split by row group, with its types', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'duck.parquet')
    await duck(`copy (select i::bigint as id, i / 3 as price, case when i % 5 = 0 then null else 'näme ' || i || ' 🎉' end as name,
        i % 2 = 0 as ok, timestamp '2024-01-01 00:00:00.123' + to_milliseconds(i) as ts, make_timestamptz(1700000000000000 + i * 1000) as tz,
        (i % 100)::integer as small, (i % 7)::float as f, date '2024-01-01' + (i % 3)::integer as day, (i / 100)::decimal(10, 2) as dec
      from range(10000) t(i)) to ${lit(file)} (format parquet, row_group_size 3000)`)
    const source = fileSource<Record<string, unknown>>({ path: file, format: 'parquet', batchRows: 1000 })
    const splits = await source.createSplits(2)
    const groups = await duck(`select count(distinct row_group_id) as n from parquet_metadata(${lit(file)})`)
    assert.ok(splits.length > 1)
    assert.is(splits.length, Number(groups[0]!.n), 'one split per row group')
    const env = StreamEnvironment.create({ parallelism: 2 })
    const out = env.fromSource(source, undefined, 'duck').collect()
    await env.execute('read-duck-parquet')
    const rows = out.values.sort((a, b) => Number(a.id as bigint) - Number(b.id as bigint))
    assert.is(rows.length, 10000)
    const expected = await duck(`select id, price, name, ok, epoch_ms(ts) as ts, epoch_ms(tz) as tz, small, f, epoch_ms(day::timestamp) as day, dec::double as dec from read_parquet(${lit(file)}) order by id`)
    rows.forEach((r, i) => {
      const e = expected[i]!
      assert.equal(r, { id: e.id, price: e.price, name: e.name, ok: e.ok, ts: Number(e.ts), tz: Number(e.tz), small: e.small, f: e.f, day: Number(e.day), dec: e.dec }, `row ${i}`)
    })
    assert.is(typeof rows[1]!.id, 'bigint')
  })
})

test('a restored Parquet reader resumes inside its row group without duplicates', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.parquet')
    await writeParquetFile(file, schema, Array.from({ length: 1000 }, (_, i) => ({ id: BigInt(i), price: i, name: `n${i}`, ok: true, ts: i })), { rowGroupRows: 300 })
    const source = fileSource<Row>({ path: file, format: 'parquet', batchRows: 64 })
    for (const cut of [0, 1, 299, 300, 301, 777, 999]) {
      const first = readerOf(source)
      first.addSplits(await source.createSplits(1))
      const head = await readAll(first, 50, cut)
      const state = JSON.parse(JSON.stringify(first.snapshotSplits()))
      await first.close()
      const second = readerOf(source)
      second.addSplits(state)
      const tail = await readAll(second, 33)
      await second.close()
      assert.equal([...head, ...tail].map(r => r.id), Array.from({ length: 1000 }, (_, i) => BigInt(i)), `cut after ${cut}`)
    }
  })
})

test('fileSource parquet reads only the columns asked for, and names a missing one', async () => {
  await withTempDir(async dir => {
    const file = join(dir, 'x.parquet')
    await writeParquetFile(file, schema, [{ id: 1n, price: 2, name: 'a', ok: false, ts: 3 }])
    const source = fileSource({ path: file, format: 'parquet', columns: ['name', 'id'] })
    const reader = readerOf(source)
    reader.addSplits(await source.createSplits(1))
    assert.equal(await readAll(reader), [{ name: 'a', id: 1n }])
    await reader.close()
    try {
      await fileSource({ path: file, format: 'parquet', columns: ['nope'] }).createSplits(1)
      assert.unreachable()
    } catch (err) {
      assert.is((err as Error).name, 'ParquetError')
      assert.match((err as Error).message, "has no column 'nope'")
    }
  })
})

test('fileSink parquet: parts are hidden until committed, and each is a complete file DuckDB reads', async () => {
  await withTempDir(async dir => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ id: BigInt(i), price: i / 4, name: i % 9 === 0 ? null : `名前${i}`, ok: i % 3 === 0, ts: 1_700_000_000_000 + i }))
    const sink = fileSink<Row>({ path: dir, format: 'parquet', schema, rollBytes: 16 * 1024 })
    const writer = await sink.createWriter({ jobName: 'j', jobId: 'abcdef0123456789', subtaskIndex: 0, parallelism: 1, signal: new AbortController().signal })
    for (let i = 0; i < rows.length; i += 500) await writer.write(rows.slice(i, i + 500))
    const prepared = await writer.prepareCommit!(1)
    assert.equal((await readdir(dir)).filter(n => !n.startsWith('.')), [], 'nothing visible before the commit')
    await writer.commit!(prepared)
    await writer.close()
    const parts = (await readdir(dir)).filter(n => !n.startsWith('.'))
    assert.ok(parts.length > 1, `the part rolled (${parts.length} parts)`)
    assert.ok(parts.every(p => p.endsWith('.parquet')))
    const back = await duck(`select id, price, name, ok, epoch_ms(ts) as ts from read_parquet(${lit(join(dir, '*.parquet'))}) order by id`)
    assert.equal(back.map(normal), rows)
  })
})

test('fileSink parquet fails a record that does not fit the schema naming the column', async () => {
  await withTempDir(async dir => {
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromCollection<Record<string, unknown>>([{ id: 1n, price: 1, name: 'a', ok: true, ts: 0 }, { id: 2n, price: 'cheap', name: 'b', ok: true, ts: 0 }])
      .sinkTo(fileSink({ path: dir, format: 'parquet', schema }))
    try {
      await env.execute('misfit')
      assert.unreachable()
    } catch (err) {
      assert.match(String((err as Error).message), "column 'price': 'cheap' is not a number")
    }
    assert.equal((await readdir(dir)).filter(n => !n.startsWith('.')), [], 'nothing of the failed job is visible')
  })
})

test('parquetSink infers the schema and writes Hive-style partitions DuckDB reads back', async () => {
  await withTempDir(async dir => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: BigInt(i), store: i % 4 === 3 ? null : `s/${i % 4} é`, amount: i * 1.5, day: new Date(Date.UTC(2024, 0, 1 + (i % 2))) }))
    const env = StreamEnvironment.create({ parallelism: 2 })
    env.fromCollection(rows).sinkTo(parquetSink({ path: dir, partitionBy: 'store' }))
    await env.execute('partitioned')
    const dirs = (await readdir(dir)).filter(n => !n.startsWith('.')).sort()
    assert.equal(dirs, ['store=__HIVE_DEFAULT_PARTITION__', 'store=s%2F0 é', 'store=s%2F1 é', 'store=s%2F2 é'])
    const back = await duck(`select id, store, amount, epoch_ms(day) as day from read_parquet(${lit(join(dir, '**', '*.parquet'))}, hive_partitioning = true, hive_types_autocast = false) order by id`)
    assert.equal(back.map(r => ({ ...r, day: new Date(Number(r.day)) })), rows)
    const columns = await duck(`select column_name, column_type from (describe select * from read_parquet(${lit(join(dir, 'store=s%2F0 é', '*.parquet'))}, hive_partitioning = false))`)
    assert.equal(columns.map(c => [c.column_name, c.column_type]), [['id', 'BIGINT'], ['amount', 'DOUBLE'], ['day', 'TIMESTAMP WITH TIME ZONE']], 'the partition column is not in the files')
  })
})

test.run()
