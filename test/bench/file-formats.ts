/**
 * Benchmark: the file connector's formats on N generated TPC-H `lineitem`-like rows (int64
 * keys, doubles, one-letter flags, timestamps, a short comment). Prints one JSON line per
 * result, each with its baseline measured in the same run:
 *
 * - csv: the typed CSV reader (fileSource with a schema, polled directly) against a plain
 *   loop over the same file (readFileSync, split lines, split fields, Number/BigInt/Date.parse)
 *   and against the untyped reader (string fields);
 * - csv-job: the typed CSV source in an embedded job at p=1 into a discarding sink (what an
 *   import runs), against the reader alone;
 * - jsonl: the typed JSON Lines reader against a plain JSON.parse loop;
 * - parquet-write: writeParquetFile against writing the same rows as JSON Lines, and DuckDB
 *   (threads=2) copying the same rows from a table in memory to Parquet;
 * - parquet-read: records from openParquetFile's batches against DuckDB reading the same
 *   file (threads=2, an aggregate over every column: no rows materialised in JS).
 *
 *   npm run bench -- formats          (MESHFLOW_BENCH_ROWS=1000000 by default)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { StreamEnvironment, type Sink } from 'meshflow'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import { encodeCsvRow, fileSource, openParquetFile, writeParquetFile } from 'meshflow/connectors/files'
import { readerOf } from '../connectors/source-readers.ts'

const N = Number(process.env.MESHFLOW_BENCH_ROWS ?? 1_000_000)

const schema: DatasetSchema = {
  columns: [
    { name: 'orderkey', type: 'int64' },
    { name: 'partkey', type: 'number' },
    { name: 'linenumber', type: 'number' },
    { name: 'quantity', type: 'number' },
    { name: 'extendedprice', type: 'number' },
    { name: 'discount', type: 'number' },
    { name: 'tax', type: 'number' },
    { name: 'returnflag', type: 'string' },
    { name: 'linestatus', type: 'string' },
    { name: 'shipdate', type: 'timestamp' },
    { name: 'shipmode', type: 'string' },
    { name: 'comment', type: 'string' }
  ]
}
const MODES = ['AIR', 'MAIL', 'RAIL', 'SHIP', 'TRUCK', 'REG AIR', 'FOB']
const DAY = 86_400_000
const BASE = Date.UTC(1992, 0, 1)

interface LineItem {
  orderkey: bigint, partkey: number, linenumber: number, quantity: number, extendedprice: number, discount: number,
  tax: number, returnflag: string, linestatus: string, shipdate: number, shipmode: string, comment: string
}

function lineitem (i: number): LineItem {
  const q = 1 + (i * 7) % 50
  return {
    orderkey: BigInt(1 + (i >> 2)),
    partkey: 1 + (i * 7919) % 200_000,
    linenumber: 1 + (i & 3),
    quantity: q,
    extendedprice: Math.round(q * (900 + (i % 1000)) * 100) / 100,
    discount: (i % 11) / 100,
    tax: (i % 9) / 100,
    returnflag: 'ANR'[i % 3]!,
    linestatus: i % 2 === 0 ? 'O' : 'F',
    shipdate: BASE + (i % 2500) * DAY,
    shipmode: MODES[i % MODES.length]!,
    comment: `carefully final deposits ${i % 977} haggle`
  }
}

function line (o: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(o) + '\n')
}

const perSec = (rows: number, ms: number): number => Math.round(rows / ms * 1000)

async function time<R> (fn: () => R | Promise<R>): Promise<{ result: R, ms: number }> {
  const started = performance.now()
  const result = await fn()
  return { result, ms: performance.now() - started }
}

async function readWithSource (path: string, format: 'csv' | 'jsonl' | 'parquet', typed: boolean): Promise<number> {
  const source = fileSource<unknown>({ path, format, ...(typed && format !== 'parquet' ? { schema } : {}) } as Parameters<typeof fileSource>[0] & { format: 'csv' })
  const reader = readerOf(source)
  reader.addSplits(await source.createSplits(1))
  let n = 0
  for (;;) {
    let batch = reader.pollNext(1024)
    if (batch instanceof Promise) batch = await batch
    if (batch === null) break
    n += batch.length
  }
  await reader.close()
  return n
}

/** What a hand-written parser does with the same CSV text: split, convert, build an object. */
function plainCsv (path: string): number {
  const lines = readFileSync(path, 'utf8').split('\n')
  let n = 0
  let sink = 0
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!
    if (l.length === 0) continue
    const f = l.split(',')
    const r = {
      orderkey: BigInt(f[0]!), partkey: Number(f[1]), linenumber: Number(f[2]), quantity: Number(f[3]),
      extendedprice: Number(f[4]), discount: Number(f[5]), tax: Number(f[6]), returnflag: f[7]!, linestatus: f[8]!,
      shipdate: Number(f[9]), shipmode: f[10]!, comment: f[11]!
    }
    sink += r.quantity
    n++
  }
  return sink > 0 ? n : 0
}

function plainJsonl (path: string): number {
  const lines = readFileSync(path, 'utf8').split('\n')
  let n = 0
  for (const l of lines) {
    if (l.length === 0) continue
    const r = JSON.parse(l) as Record<string, unknown>
    r.orderkey = BigInt(r.orderkey as number)
    n++
  }
  return n
}

/** The CSV and JSON Lines inputs, written from a function so that their text is garbage once written. */
function writeInputs (rows: readonly LineItem[], csvPath: string, jsonlPath: string): void {
  const names = schema.columns.map(c => c.name)
  const chunks: string[] = []
  let csv = names.join(',') + '\n'
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]! as unknown as Record<string, unknown>
    csv += encodeCsvRow(names.map(n => r[n])) + '\n'
    if (csv.length > 1 << 20) { chunks.push(csv); csv = '' }
  }
  chunks.push(csv)
  writeFileSync(csvPath, chunks.join(''))
  writeFileSync(jsonlPath, rows.map(r => JSON.stringify({ ...r, orderkey: Number(r.orderkey) })).join('\n') + '\n')
}

const dir = mkdtempSync(join(tmpdir(), 'meshflow-bench-formats-'))
try {
  const rows = Array.from({ length: N }, (_, i) => lineitem(i))
  const csvPath = join(dir, 'lineitem.csv')
  const jsonlPath = join(dir, 'lineitem.jsonl')
  writeInputs(rows, csvPath, jsonlPath)

  // CSV
  const plain = await time(() => plainCsv(csvPath))
  const untyped = await time(() => readWithSource(csvPath, 'csv', false))
  const typed = await time(() => readWithSource(csvPath, 'csv', true))
  if (typed.result !== N || untyped.result !== N || plain.result !== N) throw new Error(`CSV rows: typed ${typed.result}, untyped ${untyped.result}, plain ${plain.result}, expected ${N}`)
  line({ bench: 'formats', case: 'csv-typed-read', rows: N, rowsPerSec: perSec(N, typed.ms), untypedRowsPerSec: perSec(N, untyped.ms), plainJsRowsPerSec: perSec(N, plain.ms), ratioToPlainJs: +(plain.ms / typed.ms).toFixed(2) })

  // CSV through a job (an import's shape: source -> sink), p=1
  let seen = 0
  const discard: Sink<unknown> = { createWriter: () => ({ write (v) { seen += v.length }, finish () {}, close () {} }) }
  const job = await time(async () => {
    const env = StreamEnvironment.create({ parallelism: 1 })
    env.fromSource(fileSource({ path: csvPath, format: 'csv', schema }), undefined, 'lineitem').sinkTo(discard)
    await env.execute('csv-import')
  })
  if (seen !== N) throw new Error(`CSV job saw ${seen} rows, expected ${N}`)
  line({ bench: 'formats', case: 'csv-typed-job-p1', rows: N, rowsPerSec: perSec(N, job.ms), readerRowsPerSec: perSec(N, typed.ms), ratioToReader: +(typed.ms / job.ms).toFixed(2) })

  // JSON Lines
  const plainJ = await time(() => plainJsonl(jsonlPath))
  const typedJ = await time(() => readWithSource(jsonlPath, 'jsonl', true))
  const untypedJ = await time(() => readWithSource(jsonlPath, 'jsonl', false))
  if (typedJ.result !== N) throw new Error(`JSONL rows ${typedJ.result}, expected ${N}`)
  line({ bench: 'formats', case: 'jsonl-typed-read', rows: N, rowsPerSec: perSec(N, typedJ.ms), untypedRowsPerSec: perSec(N, untypedJ.ms), plainJsRowsPerSec: perSec(N, plainJ.ms), ratioToPlainJs: +(plainJ.ms / typedJ.ms).toFixed(2) })

  // Parquet write
  const parquetPath = join(dir, 'lineitem.parquet')
  const write = await time(() => writeParquetFile(parquetPath, schema, rows))
  const jsonWrite = await time(() => writeFileSync(join(dir, 'copy.jsonl'), rows.map(r => JSON.stringify({ ...r, orderkey: Number(r.orderkey) })).join('\n')))
  const duck = await DuckDBInstance.create(':memory:', { threads: '2' })
  const db = await duck.connect()
  await db.run(`create table lineitem as select * from read_parquet('${parquetPath}')`)
  const duckWrite = await time(() => db.run(`copy lineitem to '${join(dir, 'duck.parquet')}' (format parquet)`))
  line({ bench: 'formats', case: 'parquet-write', rows: N, bytes: write.result.bytes, rowsPerSec: perSec(N, write.ms), jsonlWriteRowsPerSec: perSec(N, jsonWrite.ms), duckDbRowsPerSec: perSec(N, duckWrite.ms), ratioToJsonl: +(jsonWrite.ms / write.ms).toFixed(2), ratioToDuckDb: +(duckWrite.ms / write.ms).toFixed(2) })

  // Parquet read
  const read = await time(async () => {
    const file = await openParquetFile(parquetPath)
    let n = 0
    for await (const batch of file.batches()) n += batch.length
    file.close()
    return n
  })
  const viaSource = await time(() => readWithSource(parquetPath, 'parquet', false))
  const duckRead = await time(() => db.runAndReadAll(`select count(*), sum(orderkey), sum(extendedprice), count(distinct returnflag), max(shipdate), max(comment), max(shipmode) from read_parquet('${parquetPath}')`))
  if (read.result !== N || viaSource.result !== N) throw new Error(`Parquet rows ${read.result}/${viaSource.result}, expected ${N}`)
  line({ bench: 'formats', case: 'parquet-read', rows: N, rowsPerSec: perSec(N, read.ms), sourceRowsPerSec: perSec(N, viaSource.ms), duckDbRowsPerSec: perSec(N, duckRead.ms), ratioToDuckDb: +(duckRead.ms / read.ms).toFixed(2) })
  db.closeSync()
  duck.closeSync()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
