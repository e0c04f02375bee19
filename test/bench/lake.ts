/**
 * Benchmark: the Parquet lake sink against the Parquet library used directly. The same N
 * sales rows (id, ts, dt, store, amount, qty, note) are written
 *
 * - by an embedded job `datagen → parquetSink` at p=1 with a checkpoint every second
 *   (exactly-once: parts roll and commit on every checkpoint), unpartitioned, partitioned
 *   by two columns (`dt=…/store=…`, 5 days × 10 stores), and by a function giving the same;
 * - by the library directly in the same run: the rows generated in a loop and written with
 *   `ParquetFileWriter` (writeParquetFile's streaming writer: our Arrow builder +
 *   parquet-wasm), one file, or one file per partition directory;
 * - and by the same job into a sink that discards (what the engine alone costs).
 *
 * One JSON line per case with rows/s and ratioToLibrary; DuckDB counts every output first.
 *
 *   npm run bench -- lake          (MESHFLOW_BENCH_ROWS=1000000 by default)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { StreamEnvironment, WatermarkStrategy, type Sink } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { ParquetFileWriter, loadParquet, parquetSink, type ParquetSinkOptions } from 'meshflow/connectors/files'

const N = Number(process.env.MESHFLOW_BENCH_ROWS ?? 1_000_000)
const CHECKPOINT_MS = 1_000
const CHUNK = 8_192

interface Sale { id: number, ts: number, dt: string, store: string, amount: number, qty: number, note: string }

const schema: DatasetSchema = {
  columns: [
    { name: 'id', type: 'number' },
    { name: 'ts', type: 'timestamp' },
    { name: 'dt', type: 'string' },
    { name: 'store', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'qty', type: 'number' },
    { name: 'note', type: 'string' }
  ]
}
const fileSchema: DatasetSchema = { columns: schema.columns.filter(c => c.name !== 'dt' && c.name !== 'store') }
const DAYS = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05']
const STORES = Array.from({ length: 10 }, (_, i) => `store-${i}`)
const T0 = Date.UTC(2024, 2, 1)

function sale (i: number): Sale {
  const d = i % 5
  return {
    id: i,
    ts: T0 + d * 86_400_000 + (i % 86_400) * 1000,
    dt: DAYS[d]!,
    store: STORES[(i >> 3) % 10]!,
    amount: Math.round((i % 997) * 1.37 * 100) / 100,
    qty: 1 + i % 7,
    note: `order ${i % 4099} ok`
  }
}

function line (o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n')
}

const perSec = (rows: number, ms: number): number => Math.round(rows / ms * 1000)

async function duckCount (glob: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:')
  try {
    const c = await instance.connect()
    try {
      const r = await c.runAndReadAll(`select count(*)::integer as n, count(distinct id)::integer as ids from read_parquet('${glob}', hive_partitioning = true)`)
      const [row] = r.getRowObjects() as Array<{ n: number, ids: number }>
      if (row!.n !== row!.ids) throw new Error(`Duplicates in ${glob}: ${row!.n} rows, ${row!.ids} ids`)
      return row!.n
    } finally {
      c.closeSync()
    }
  } finally {
    instance.closeSync()
  }
}

/** The library directly: rows generated in chunks, one streaming writer per file. */
async function library (dir: string, partitioned: boolean): Promise<number> {
  const started = performance.now()
  const writers = new Map<string, ParquetFileWriter>()
  const writerFor = async (key: string): Promise<ParquetFileWriter> => {
    let w = writers.get(key)
    if (w === undefined) {
      const sub = join(dir, key)
      mkdirSync(sub, { recursive: true })
      w = await ParquetFileWriter.open(join(sub, 'part-0.parquet'), partitioned ? fileSchema : schema)
      writers.set(key, w)
    }
    return w
  }
  // per partition, rows are collected to CHUNK before they are handed over (as a sink buffers)
  const pending = new Map<string, Sale[]>()
  for (let i = 0; i < N; i += CHUNK) {
    const end = Math.min(N, i + CHUNK)
    for (let j = i; j < end; j++) {
      const r = sale(j)
      const key = partitioned ? `dt=${r.dt}/store=${r.store}` : '.'
      let rows = pending.get(key)
      if (rows === undefined) pending.set(key, rows = [])
      rows.push(r)
      if (rows.length >= CHUNK) {
        await (await writerFor(key)).write(rows)
        pending.set(key, [])
      }
    }
  }
  for (const [key, rows] of pending) if (rows.length > 0) await (await writerFor(key)).write(rows)
  for (const w of writers.values()) await w.close()
  return performance.now() - started
}

async function job (sink: Sink<Sale>, name: string): Promise<number> {
  const env = StreamEnvironment.create({ parallelism: 1, checkpointIntervalMs: CHECKPOINT_MS })
  env.fromSource(datagen({ count: N, generate: sale }), WatermarkStrategy.noWatermarks(), 'sales').sinkTo(sink)
  const started = performance.now()
  await env.execute(name)
  return performance.now() - started
}

const discard: Sink<Sale> = { createWriter: () => ({ write: () => {}, finish: () => {}, close: () => {} }) }

await loadParquet()
const root = mkdtempSync(join(tmpdir(), 'meshflow-bench-lake-'))
try {
  // warm up the JIT and the WebAssembly module on a small run of each path
  {
    const warm = join(root, 'warm')
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(datagen({ count: 50_000, generate: sale }), WatermarkStrategy.noWatermarks(), 'warm').sinkTo(parquetSink({ path: join(warm, 'a'), schema, partitionBy: ['dt', 'store'] }))
    await env.execute('warm')
    rmSync(warm, { recursive: true, force: true })
  }
  const engineMs = await job(discard, 'lake-discard')
  const cases: Array<{ what: string, partitionBy?: ParquetSinkOptions<Sale>['partitionBy'] }> = [
    { what: 'unpartitioned' },
    { what: 'partitioned by columns dt,store', partitionBy: ['dt', 'store'] },
    { what: 'partitioned by a function r => ({ dt, store })', partitionBy: r => ({ dt: r.dt, store: r.store }) }
  ]
  for (const { what, partitionBy } of cases) {
    const partitioned = partitionBy !== undefined
    const libDir = join(root, `lib-${partitioned}`)
    const libMs = await library(libDir, partitioned)
    const libRows = await duckCount(join(libDir, '**', '*.parquet'))
    const sinkDir = join(root, `sink-${partitioned}`)
    const sink = parquetSink<Sale>({ path: sinkDir, schema, ...(partitionBy === undefined ? {} : { partitionBy }) })
    const sinkMs = await job(sink, `lake-${partitioned}`)
    const sinkRows = await duckCount(join(sinkDir, partitioned ? '**/*.parquet' : '*.parquet'))
    if (libRows !== N || sinkRows !== N) throw new Error(`Rows written: library ${libRows}, sink ${sinkRows}, expected ${N}`)
    line({
      bench: 'lake',
      case: `parquetSink ${what}, checkpoint every ${CHECKPOINT_MS} ms, p=1`,
      rows: N,
      rowsPerSec: perSec(N, sinkMs),
      libraryRowsPerSec: perSec(N, libMs),
      ratioToLibrary: Math.round(libMs / sinkMs * 100) / 100,
      engineOnlyRowsPerSec: perSec(N, engineMs)
    })
    rmSync(libDir, { recursive: true, force: true })
    rmSync(sinkDir, { recursive: true, force: true })
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
