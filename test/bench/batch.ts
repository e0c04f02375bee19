/**
 * Benchmark: TPC-H-like batch queries through the DataSet API (`npm run bench -- batch`).
 * Generates `lineitem` (MESHFLOW_BENCH_ROWS rows, 6M by default), `orders` (a quarter of
 * that) and `customer` (a tenth of the orders) with the columns of TPC-H Q1, Q3 and Q6
 * (test/bench/batch/tpch-data.ts), loads them into datasets of an embedded peer's store
 * (lineitem and orders hash-partitioned on the order key, PARTITIONS each; import rows/s
 * reported, not part of the queries), then runs Q1 (scan + group + aggregates), Q6
 * (selective filter + sum) and a Q3-like join + group + top 10:
 *
 * - `dataset-api`: the DataSet API on the embedded runtime at p=2 (`env.execute` with the
 *   store's `dataDir`), pushing projection and predicate into `readDataset`. `ms` is the
 *   job's run time (submit to finish, `netRuntimeMs`), `executeMs` adds the embedded peer's
 *   start and stop, `cpuMs` is the CPU time of the process (all threads) during `execute`;
 *   every subtask runs on the calling thread (the pipeline is declared in this process);
 * - `dataset-api-threads`: the same query as a job module (fixtures/batch-job.ts) on an
 *   embedded peer with one task thread per subtask, as `meshflow run` runs it; `ms` is
 *   submit to result;
 * - `plain-js`: the same work as plain loops over the same rows already decoded into
 *   objects in memory (the baseline of `ratioToPlainJs`);
 * - `plain-js-segments`: plain loops that also decode the stored segments themselves with
 *   `segmentRows` (same projection and predicate), from their bytes in memory;
 * - `duckdb`: DuckDB (`@duckdb/node-api`, threads=2, the same rows in memory).
 *
 * - `dataset-api-mesh`: the same queries as job modules on a mesh of `--mesh-peers` (3)
 *   `meshflow node` processes at parallelism 3, the data generated into the mesh's datasets
 *   by a job first (`import-mesh`); `ms` is submit (bundling included) to the job's end.
 *
 * Every query runs MESHFLOW_BENCH_RUNS times (3) per system; the best run is reported. All
 * systems' results are compared (float tolerance); a difference fails the run. One JSON
 * line per query and system, with `rowsPerSec` (rows of the tables read / s),
 * `ratioToPlainJs` and `ratioToDuckDb`; `loadavg` is the machine's load when it ran.
 *
 *   npm run bench -- batch                     (MESHFLOW_BENCH_ROWS=6000000)
 *   MESHFLOW_BENCH_ROWS=1000000 npm run bench -- batch --queries=q1,q6 --systems=dataset-api --runs=1
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { Peer } from '../../node/cluster/peer.ts'
import { decodeDatasetManifest } from '../../node/storage/datasets/dataset-manifest.ts'
import { isLargeValueManifest } from '../../node/storage/chunking.ts'
import { segmentRows } from '../../node/storage/datasets/segment-rows.ts'
import type { DatasetSchema } from '../../node/api/dataset-schema.ts'
import {
  CUSTOMER_SCHEMA, LINEITEM_SCHEMA, ORDERS_SCHEMA, customerAt, customersFor, lineitemAt, orderAt, ordersFor,
  type Customer, type LineItem, type Order
} from './batch/tpch-data.ts'
import { PlainQ1, PlainQ3, PlainQ6, QUERIES, SCANS, SQL, dataSetQuery, normalise, sameResult, type QueryName, type QueryResult } from './batch/queries.ts'
import { DuckDb } from './batch/duckdb.ts'
import { MeshRun } from './batch/mesh-run.ts'

const flag = (name: string): string | undefined => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const N = Number(flag('rows') ?? process.env.MESHFLOW_BENCH_ROWS ?? 6_000_000)
const RUNS = Number(flag('runs') ?? process.env.MESHFLOW_BENCH_RUNS ?? 3)
const PARALLELISM = Number(flag('parallelism') ?? 2)
/** Partitions of lineitem and orders (hash on the order key, so a co-located join can use them) and customer. */
const PARTITIONS = Number(flag('partitions') ?? 6)
/** Peers of the mesh run (`meshflow node` processes; 0 skips it); its queries run at this parallelism. */
const MESH_PEERS = Number(flag('mesh-peers') ?? 3)
const queries = (flag('queries')?.split(',') ?? QUERIES) as QueryName[]
/** The systems measured besides plain JS over decoded rows (`--systems=dataset-api` when profiling). */
const systems = flag('systems')?.split(',') ?? ['plain-js-segments', 'duckdb', 'dataset-api', 'dataset-api-threads']
const ORDERS = ordersFor(N)
const CUSTOMERS = customersFor(ORDERS)
/** Rows of the tables each query reads (the rows/s of every system counts these). */
const INPUT_ROWS: Record<QueryName, number> = { q1: N, q6: N, q3: N + ORDERS + CUSTOMERS }

/** `--data-dir=DIR` keeps the store (and reuses what an earlier run with the same rows imported): for profiling. */
const keptDir = flag('data-dir')
const root = mkdtempSync(join(tmpdir(), 'meshflow-bench-batch-'))
const dataDir = keptDir ?? join(root, 'store')
const imported = join(dataDir, 'bench-imported-rows')
const load = (): number => Number(loadavg()[0]!.toFixed(2))
const line = (o: Record<string, unknown>): void => { console.log(JSON.stringify({ bench: 'batch', ...o })) }

/** Generates `count` rows of `generate` into dataset `name` (a job on the embedded peer). */
async function importDataset<T> (name: string, count: number, generate: (i: number) => T, schema: DatasetSchema, partitionBy: string): Promise<void> {
  const env = StreamEnvironment.create({ parallelism: PARALLELISM })
  env.fromSource(datagen({ count, generate }), WatermarkStrategy.noWatermarks<T>(), name)
    .toDataSet({ estimatedRows: count })
    .writeDataset(name, { mode: 'overwrite', schema, partitionBy, partitions: PARTITIONS })
  const started = performance.now()
  await env.execute(`import ${name}`, { dataDir })
  const ms = performance.now() - started
  line({ variant: 'import', dataset: name, rows: count, partitions: PARTITIONS, partitionBy, parallelism: PARALLELISM, ms: Math.round(ms), rowsPerSec: Math.round(count / (ms / 1000)), loadavg: load() })
}

interface Stored { schema: DatasetSchema, segments: Uint8Array[], bytes: number }

/** The segments of each dataset's latest version, read from the store into memory. */
async function readStored (names: readonly string[]): Promise<Map<string, Stored>> {
  const peer = await Peer.start({ dataDir, embedded: true })
  try {
    await peer.mark('bench: read the catalog') // the log is applied once the mark is
    const jobs = peer.jobService
    const out = new Map<string, Stored>()
    for (const name of names) {
      const ref = jobs.registry.datasets.latest(name)
      if (ref === undefined) throw new Error(`Dataset '${name}' was not imported`)
      const manifest = decodeDatasetManifest(await jobs.storage.fetchBlock(ref.cid))
      const segments: Uint8Array[] = []
      let bytes = 0
      for (const part of manifest.partitions) {
        for (const s of part) {
          let b = await jobs.storage.fetchBlock(s.cid)
          if (isLargeValueManifest(s.cid, b)) b = await jobs.storage.fetchLarge(s.cid, { from: [] })
          segments.push(b)
          bytes += b.length
        }
      }
      out.set(name, { schema: manifest.schema, segments, bytes })
    }
    return out
  } finally {
    await peer.stop()
  }
}

/** CPU time of this process (all its threads) since `from`, in ms. */
function cpuMsSince (from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return Math.round((d.user + d.system) / 1000)
}

/** The best of RUNS runs of `run` (ms), and the result of the last one. */
async function best<R> (run: () => Promise<{ ms: number, result: R, extra?: Record<string, number> }>): Promise<{ ms: number, result: R, extra: Record<string, number> }> {
  let bestRun: { ms: number, result: R, extra: Record<string, number> } | undefined
  for (let i = 0; i < RUNS; i++) {
    const r = await run()
    if (bestRun === undefined || r.ms < bestRun.ms) bestRun = { ms: r.ms, result: r.result, extra: r.extra ?? {} }
  }
  return bestRun!
}

function plainDecoded (q: QueryName, data: { lineitems: LineItem[], orders: Order[], customers: Customer[] }): QueryResult {
  switch (q) {
    case 'q1': { const p = new PlainQ1(); p.add(data.lineitems); return p.result() }
    case 'q6': { const p = new PlainQ6(); p.add(data.lineitems); return p.result() }
    case 'q3': { const p = new PlainQ3(); p.addCustomers(data.customers); p.addOrders(data.orders); p.addLineitems(data.lineitems); return p.result() }
  }
}

function plainSegments (q: QueryName, stored: Map<string, Stored>): QueryResult {
  const rows = <T>(name: string, scan: object): Generator<T[]> => (function * () {
    const s = stored.get(name)!
    for (const bytes of s.segments) yield segmentRows(bytes, s.schema, scan) as unknown as T[]
  })()
  switch (q) {
    case 'q1': { const p = new PlainQ1(); for (const r of rows<LineItem>('lineitem', { ...SCANS.q1.lineitem, columns: [...SCANS.q1.lineitem.columns, 'l_shipdate'] })) p.add(r); return p.result() }
    case 'q6': { const p = new PlainQ6(); for (const r of rows<LineItem>('lineitem', { ...SCANS.q6.lineitem, columns: [...SCANS.q6.lineitem.columns, 'l_shipdate', 'l_quantity'] })) p.add(r); return p.result() }
    case 'q3': {
      const p = new PlainQ3()
      for (const r of rows<Customer>('customer', { ...SCANS.q3.customer, columns: ['c_custkey', 'c_mktsegment'] })) p.addCustomers(r)
      for (const r of rows<Order>('orders', SCANS.q3.orders)) p.addOrders(r)
      for (const r of rows<LineItem>('lineitem', { ...SCANS.q3.lineitem, columns: [...SCANS.q3.lineitem.columns, 'l_shipdate'] })) p.addLineitems(r)
      return p.result()
    }
  }
}

async function dataSetApi (q: QueryName): Promise<{ ms: number, result: QueryResult, extra: Record<string, number> }> {
  const env = StreamEnvironment.create({ parallelism: PARALLELISM })
  const out = dataSetQuery(env, q).collect()
  const started = performance.now()
  const cpu = process.cpuUsage()
  const r = await env.execute(`bench ${q}`, { dataDir })
  const executeMs = performance.now() - started
  return { ms: r.netRuntimeMs, result: normalise(q, out.values as Record<string, unknown>[]), extra: { executeMs: Math.round(executeMs), cpuMs: cpuMsSince(cpu) } }
}

/**
 * The same query as a job module on an embedded peer with task threads (as `meshflow run`
 * runs it): its subtasks spread over PARALLELISM threads. `ms` is submit to result.
 */
async function dataSetApiThreads (q: QueryName, runs: number): Promise<{ ms: number, result: QueryResult, extra: Record<string, number> }> {
  const peer = await Peer.start({ dataDir, embedded: true, threads: PARALLELISM })
  try {
    await peer.mark('bench: threads')
    let best: { ms: number, result: QueryResult, extra: Record<string, number> } | undefined
    for (let r = 0; r < runs; r++) {
      const out = join(root, `threads-${q}-${r}`)
      const started = performance.now()
      const handle = await peer.submit(new URL('./fixtures/batch-job.ts', import.meta.url), { parallelism: PARALLELISM, args: { mode: 'query', query: q, out } })
      const ended = await handle.result()
      const ms = performance.now() - started
      if (ended.state !== 'FINISHED') throw new Error(`Query ${q} on threads ended ${ended.state}: ${ended.error ?? ''}`)
      const rows = readdirSync(out).flatMap(f => JSON.parse(readFileSync(join(out, f), 'utf8')) as Record<string, unknown>[])
      if (best === undefined || ms < best.ms) best = { ms, result: normalise(q, rows), extra: {} }
    }
    return best!
  } finally {
    await peer.stop()
  }
}

try {
  line({ variant: 'setup', lineitems: N, orders: ORDERS, customers: CUSTOMERS, parallelism: PARALLELISM, partitions: PARTITIONS, runs: RUNS, loadavg: load() })
  if (!existsSync(imported) || readFileSync(imported, 'utf8') !== String(N)) {
    await importDataset('lineitem', N, lineitemAt, LINEITEM_SCHEMA, 'l_orderkey')
    await importDataset('orders', ORDERS, i => orderAt(i, ORDERS), ORDERS_SCHEMA, 'o_orderkey')
    await importDataset('customer', CUSTOMERS, customerAt, CUSTOMER_SCHEMA, 'c_custkey')
    writeFileSync(imported, String(N))
  }
  const stored = await readStored(['lineitem', 'orders', 'customer'])
  for (const [name, s] of stored) line({ variant: 'stored', dataset: name, segments: s.segments.length, bytes: s.bytes })

  // plain JS over decoded rows first, then the rows are dropped: the 6M objects they are
  // would make every major GC of the other systems (in this process) mark them again
  const plain = new Map<QueryName, { ms: number, result: QueryResult, extra: Record<string, number> }>()
  {
    const data = {
      lineitems: Array.from({ length: N }, (_, i) => lineitemAt(i)),
      orders: Array.from({ length: ORDERS }, (_, i) => orderAt(i, ORDERS)),
      customers: Array.from({ length: CUSTOMERS }, (_, i) => customerAt(i))
    }
    for (const q of queries) plain.set(q, await best(async () => { const t = performance.now(); const cpu = process.cpuUsage(); const result = plainDecoded(q, data); return { ms: performance.now() - t, result, extra: { cpuMs: cpuMsSince(cpu) } } }))
  }
  const measured = new Map<QueryName, { plainMs: number, plain: QueryResult, duckMs: number | undefined, embeddedMs: number | undefined }>()
  const duck = systems.includes('duckdb') ? await DuckDb.load(N) : undefined
  if (duck !== undefined) line({ variant: 'duckdb-load', rows: N + ORDERS + CUSTOMERS, rowsPerSec: Math.round(duck.loadRowsPerSec) })
  try {
    for (const q of queries) {
      const rows = INPUT_ROWS[q]
      const base = plain.get(q)!
      const results = new Map<string, { ms: number, result: QueryResult, extra: Record<string, number> }>()
      if (systems.includes('plain-js-segments')) results.set('plain-js-segments', await best(async () => { const t = performance.now(); const cpu = process.cpuUsage(); const result = plainSegments(q, stored); return { ms: performance.now() - t, result, extra: { cpuMs: cpuMsSince(cpu) } } }))
      if (duck !== undefined) results.set('duckdb', await best(async () => { const r = await duck.query(SQL[q]); return { ms: r.ms, result: normalise(q, r.rows) } }))
      if (systems.includes('dataset-api')) results.set('dataset-api', await best(async () => await dataSetApi(q)))
      if (systems.includes('dataset-api-threads')) results.set('dataset-api-threads', await dataSetApiThreads(q, RUNS))
      for (const [system, r] of results) sameResult(q, system, base.result, r.result)
      const duckMs = results.get('duckdb')?.ms
      const report = (variant: string, r: { ms: number, extra: Record<string, number> }, extra: Record<string, unknown> = {}): void => {
        line({
          query: q, variant, ...extra, rows, ms: Math.round(r.ms), ...r.extra, rowsPerSec: Math.round(rows / (r.ms / 1000)),
          ratioToPlainJs: Number((base.ms / r.ms).toFixed(3)), ...(duckMs === undefined ? {} : { ratioToDuckDb: Number((duckMs / r.ms).toFixed(3)) }), loadavg: load()
        })
      }
      report('plain-js', base)
      for (const [system, r] of results) report(system, r, system === 'duckdb' ? { threads: 2 } : system === 'dataset-api' ? { parallelism: PARALLELISM, embedded: true } : system === 'dataset-api-threads' ? { parallelism: PARALLELISM, embedded: true, threads: PARALLELISM } : {})
      measured.set(q, { plainMs: base.ms, plain: base.result, duckMs, embeddedMs: results.get('dataset-api')?.ms })
    }
  } finally {
    duck?.close()
  }

  if (MESH_PEERS > 0) {
    const mesh = await MeshRun.start(join(root, 'mesh'), MESH_PEERS)
    try {
      for (const [table, rows] of [['lineitem', N], ['orders', ORDERS], ['customer', CUSTOMERS]] as const) {
        const ms = await mesh.import(table, N, PARTITIONS, MESH_PEERS)
        line({ variant: 'import-mesh', dataset: table, rows, peers: MESH_PEERS, parallelism: MESH_PEERS, ms: Math.round(ms), rowsPerSec: Math.round(rows / (ms / 1000)), loadavg: load() })
      }
      for (const q of queries) {
        const m = measured.get(q)!
        const r = await best(async () => { const { ms, rows } = await mesh.query(q, MESH_PEERS); return { ms, result: normalise(q, rows) } })
        sameResult(q, 'dataset-api-mesh', m.plain, r.result)
        const rows = INPUT_ROWS[q]
        line({
          query: q, variant: 'dataset-api-mesh', peers: MESH_PEERS, parallelism: MESH_PEERS, rows, ms: Math.round(r.ms), rowsPerSec: Math.round(rows / (r.ms / 1000)),
          ratioToPlainJs: Number((m.plainMs / r.ms).toFixed(3)),
          ...(m.duckMs === undefined ? {} : { ratioToDuckDb: Number((m.duckMs / r.ms).toFixed(3)) }),
          ...(m.embeddedMs === undefined ? {} : { ratioToEmbedded: Number((m.embeddedMs / r.ms).toFixed(3)) }),
          loadavg: load()
        })
      }
    } finally {
      await mesh.stop()
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}
