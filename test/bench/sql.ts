/**
 * Benchmark: TPC-H Q1, Q3, Q5, Q6, Q10 and Q12 in SQL (`npm run bench -- sql`), meshflow
 * against DuckDB on the same data. Generates the TPC-H-like tables of test/bench/sql/
 * tpch-tables.ts for MESHFLOW_BENCH_ROWS line items (6M by default, TPC-H scale factor 1:
 * 1.5M orders, 150k customers, 10k suppliers, 25 nations, 5 regions) into datasets of an
 * embedded store (lineitem and orders hash-partitioned on the order key, customer and
 * supplier on their keys, PARTITIONS each; nation and region one partition), and into an
 * in-memory DuckDB. Import and load times are reported per table (rows/s), not as part of
 * the queries. The query text (test/bench/sql/tpch-queries.ts) is the same for every system:
 *
 * - `duckdb`: DuckDB (`@duckdb/node-api`, threads=2), the reference of `ratioToDuckDb`
 *   (DuckDB's seconds / the system's: 1 is as fast as DuckDB, 0.3 is 3.3× slower);
 * - `plain-js` (Q1 and Q6 only): hand-written loops over the stored segments' columns,
 *   decoded into memory before the clock starts (test/bench/sql/plain-columns.ts);
 * - `meshflow-embedded`: `SqlSession.open({ dataDir, parallelism: 2 })` on the store,
 *   `seconds` is `session.execute(sql)` (the session opened once, before; the first run
 *   reads the segments from the store, later ones take the columns from the peer's column
 *   cache — PeerInit.segmentCacheBytes — as DuckDB's runs read its in-memory tables);
 * - `meshflow-mesh`: `SqlSession.connect({ mesh })` to `--mesh-peers` (3) `meshflow node`
 *   processes (test/bench/batch/mesh-run.ts) holding the same tables, generated into the
 *   mesh's datasets by a job (fixtures/sql-tpch-job.ts), queries at parallelism 3;
 *   `ratioToEmbedded` is embedded's seconds / the mesh's (target ≥ 0.5).
 *
 * Every query runs MESHFLOW_BENCH_RUNS (3) times per system (no more once a run takes over
 * 15 s), the best run is reported, and every system's rows are compared with the first
 * system's (float tolerance): a difference or a failed query prints an `error` line and
 * fails the run (exit 1) after the others ran.
 *
 * Pruning: `lineitem_by_date` holds the line items' ship date, quantity, price and discount
 * in ship-date order (one partition written by one subtask, so each segment covers a few
 * days); the same aggregate runs with a 16-day window (~1% of the segments: `segments` and
 * `segmentsInRange` say how many, from the segments' own min/max) and with a predicate every
 * row passes; the `pruning` line's `speedup` is full / selective (target ≥ 20). `prune-empty`
 * selects no segment at all: the fixed cost of a query, the floor of the selective one.
 *
 * One JSON line each, `{"bench":"sql","query":"q1","system":"meshflow-embedded",
 * "parallelism":2,"rows":6000000,"seconds":…,"ratioToDuckDb":…,"loadavg":…}`; `rows` is
 * the scale (line items), `resultRows` the query's.
 *
 *   npm run bench -- sql                                   (MESHFLOW_BENCH_ROWS=6000000)
 *   MESHFLOW_BENCH_ROWS=600000 npm run bench -- sql --systems=duckdb,plain-js --runs=1
 *   flags: --rows= --runs= --parallelism= --partitions= --mesh-peers= --queries=q1,q6
 *          --systems=duckdb,plain-js,meshflow-embedded,meshflow-mesh --pruning=0 --data-dir=DIR (keep the store)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqlSession, StreamEnvironment, WatermarkStrategy } from 'meshflow'
import { datagen } from 'meshflow/connectors/datagen'
import { errorMessage } from '../../protocol/error-message.ts'
import { MeshRun } from './batch/mesh-run.ts'
import { DuckTpch } from './sql/duckdb-tpch.ts'
import { Q1_COLUMNS, Q6_COLUMNS, plainQ1, plainQ6, readColumns, segmentRanges } from './sql/plain-columns.ts'
import { PRUNE_SQL, PRUNE_WINDOW, TPCH_QUERIES, TPCH_SQL, normaliseRows, sameRows, type Answer, type TpchQuery } from './sql/tpch-queries.ts'
import { byDateTable, tpchTables, type TpchTable } from './sql/tpch-tables.ts'

const flag = (name: string): string | undefined => process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const N = Number(flag('rows') ?? process.env.MESHFLOW_BENCH_ROWS ?? 6_000_000)
const RUNS = Number(flag('runs') ?? process.env.MESHFLOW_BENCH_RUNS ?? 3)
const PARALLELISM = Number(flag('parallelism') ?? 2)
const PARTITIONS = Number(flag('partitions') ?? 6)
const MESH_PEERS = Number(flag('mesh-peers') ?? 3)
const PRUNING = flag('pruning') !== '0'
const queries = (flag('queries')?.split(',') ?? TPCH_QUERIES) as TpchQuery[]
const systems = flag('systems')?.split(',') ?? ['duckdb', 'plain-js', 'meshflow-embedded', 'meshflow-mesh']
const PLAIN: Partial<Record<TpchQuery, true>> = { q1: true, q6: true }

const keptDir = flag('data-dir')
const root = mkdtempSync(join(tmpdir(), 'meshflow-bench-sql-'))
const dataDir = keptDir ?? join(root, 'store')
const imported = join(dataDir, 'bench-sql-imported-rows')
const load = (): number => Number(loadavg()[0]!.toFixed(2))
const seconds = (ms: number): number => Number((ms / 1000).toFixed(4))
const line = (o: Record<string, unknown>): void => { console.log(JSON.stringify({ bench: 'sql', ...o })) }
const fail = (o: Record<string, unknown>, err: unknown): void => { line({ ...o, error: errorMessage(err) }); process.exitCode = 1 }

interface Measured { ms: number, answer: Answer }

/** A run this slow is not repeated (keeps a full run within minutes while a system is far from DuckDB). */
const SLOW_RUN_MS = 15_000

/** The best of RUNS runs of `run` (its time and answer; fewer runs when one is slower than SLOW_RUN_MS). */
async function best (run: () => Promise<Measured>): Promise<Measured> {
  let bestRun: Measured | undefined
  for (let i = 0; i < RUNS; i++) {
    const r = await run()
    if (bestRun === undefined || r.ms < bestRun.ms) bestRun = r
    if (r.ms > SLOW_RUN_MS) break
  }
  return bestRun!
}

/** Runs `sql` on a SQL session, timed. */
async function onSession (session: SqlSession, sql: string): Promise<Measured> {
  const started = performance.now()
  const r = await session.execute(sql)
  const ms = performance.now() - started
  if (r.kind !== 'rows') throw new Error(`The query returned ${r.kind}, not rows`)
  return { ms, answer: { columns: r.columns.map(c => c.name.toLowerCase()), rows: normaliseRows(r.rows) } }
}

/** Generates table `t` into the embedded store (a job at PARALLELISM, or 1 to keep the rows' order). */
async function importTable (t: TpchTable, parallelism: number): Promise<void> {
  const env = StreamEnvironment.create({ parallelism })
  env.fromSource(datagen({ count: t.rows, generate: t.generate }), WatermarkStrategy.noWatermarks<Record<string, string | number>>(), t.name)
    .toDataSet({ estimatedRows: t.rows })
    .writeDataset(t.name, { mode: 'overwrite', schema: t.schema, ...(t.partitionBy === undefined ? { partitions: 1 } : { partitionBy: t.partitionBy, partitions: PARTITIONS }) })
  const started = performance.now()
  await env.execute(`import ${t.name}`, { dataDir })
  const ms = performance.now() - started
  line({ phase: 'import', system: 'meshflow', table: t.name, rows: t.rows, parallelism, seconds: seconds(ms), rowsPerSec: Math.round(t.rows / (ms / 1000)), loadavg: load() })
}

/** What the mesh run compares itself with: DuckDB's and embedded's times, the first system's answer. */
interface QueryOutcome { duckMs?: number, embeddedMs?: number, answer?: Answer, reference?: string }

/** Runs each query on each system, compares, prints. */
async function runQueries (duck: DuckTpch | undefined, embedded: SqlSession | undefined, plain: Awaited<ReturnType<typeof readColumns>> | undefined): Promise<Map<TpchQuery, QueryOutcome>> {
  const out = new Map<TpchQuery, QueryOutcome>()
  for (const q of queries) {
    const results: Array<{ system: string, r: Measured, extra: Record<string, unknown> }> = []
    const attempt = async (system: string, extra: Record<string, unknown>, run: () => Promise<Measured>): Promise<void> => {
      try { results.push({ system, r: await best(run), extra }) } catch (err) { fail({ query: q, system, ...extra, rows: N }, err) }
    }
    if (duck !== undefined) {
      await attempt('duckdb', { threads: 2 }, async () => {
        const r = await duck.query(TPCH_SQL[q])
        return { ms: r.ms, answer: { columns: r.columns.map(c => c.toLowerCase()), rows: normaliseRows(r.rows) } }
      })
    }
    if (plain !== undefined && PLAIN[q] === true) {
      const columns = q === 'q1' ? ['l_returnflag', 'l_linestatus', 'sum_qty', 'sum_base_price', 'sum_disc_price', 'sum_charge', 'avg_qty', 'avg_price', 'avg_disc', 'count_order'] : ['revenue']
      await attempt('plain-js', {}, async () => {
        const started = performance.now()
        const rows = q === 'q1' ? plainQ1(plain.segments) : plainQ6(plain.segments)
        return { ms: performance.now() - started, answer: { columns, rows } }
      })
    }
    if (embedded !== undefined) await attempt('meshflow-embedded', { parallelism: PARALLELISM }, async () => await onSession(embedded, TPCH_SQL[q]))
    const reference = results[0]
    const duckMs = results.find(r => r.system === 'duckdb')?.r.ms
    for (const [i, { system, r, extra }] of results.entries()) {
      try {
        if (i > 0) sameRows(q, system, reference!.system, reference!.r.answer, r.answer)
      } catch (err) { fail({ query: q, system, ...extra, rows: N }, err); continue }
      line({ query: q, system, ...extra, rows: N, resultRows: r.answer.rows.length, seconds: seconds(r.ms), ...(duckMs === undefined ? {} : { ratioToDuckDb: Number((duckMs / r.ms).toFixed(3)) }), loadavg: load() })
    }
    const embeddedMs = results.find(r => r.system === 'meshflow-embedded')?.r.ms
    out.set(q, {
      ...(duckMs === undefined ? {} : { duckMs }),
      ...(embeddedMs === undefined ? {} : { embeddedMs }),
      ...(reference === undefined ? {} : { answer: reference.r.answer, reference: reference.system })
    })
  }
  return out
}

/** How many segments `lineitem_by_date` has and how many the pruning window touches (by their min/max ship date). */
async function pruningSegments (): Promise<Record<string, number>> {
  const ranges = segmentRanges((await readColumns(dataDir, 'lineitem_by_date', ['l_shipdate'])).segments, 'l_shipdate')
  const segments = { segments: ranges.length, segmentsInRange: ranges.filter(([min, max]) => max >= PRUNE_WINDOW.from && min < PRUNE_WINDOW.to).length }
  line({ phase: 'pruning-data', system: 'meshflow', table: 'lineitem_by_date', rows: N, ...segments })
  return segments
}

/** The pruning pair on each system (and the query that selects no segment: the fixed cost of a query): their lines and the speedup. */
async function runPruning (duck: DuckTpch | undefined, embedded: SqlSession | undefined, segments: Record<string, number>): Promise<void> {
  const runs: Array<[string, Record<string, unknown>, (sql: string) => Promise<Measured>]> = []
  if (duck !== undefined) runs.push(['duckdb', { threads: 2 }, async sql => { const r = await duck.query(sql); return { ms: r.ms, answer: { columns: r.columns, rows: normaliseRows(r.rows) } } }])
  if (embedded !== undefined) runs.push(['meshflow-embedded', { parallelism: PARALLELISM, ...segments }, async sql => await onSession(embedded, sql)])
  const reference = new Map<string, Answer>()
  for (const [system, extra, run] of runs) {
    try {
      const measured = {
        selective: await best(async () => await run(PRUNE_SQL.selective)),
        full: await best(async () => await run(PRUNE_SQL.full)),
        empty: await best(async () => await run(PRUNE_SQL.empty))
      }
      for (const [name, r] of Object.entries(measured)) {
        const want = reference.get(name)
        if (want === undefined) reference.set(name, r.answer)
        else sameRows(`prune-${name}`, system, 'duckdb', want, r.answer)
        line({ query: `prune-${name}`, system, ...extra, rows: N, rowsSelected: Number(r.answer.rows[0]?.[0]), seconds: seconds(r.ms), loadavg: load() })
      }
      const { selective, full } = measured
      line({ query: 'pruning', system, speedup: Number((full.ms / selective.ms).toFixed(2)), target: 20 })
    } catch (err) { fail({ query: 'pruning', system, ...extra, rows: N }, err) }
  }
}

/** The queries on a mesh of MESH_PEERS processes, when meshflow can connect a SQL session to one. */
async function runMesh (measured: Map<TpchQuery, QueryOutcome>): Promise<void> {
  const mesh = await MeshRun.start(join(root, 'mesh'), MESH_PEERS, new URL('./fixtures/sql-tpch-job.ts', import.meta.url).pathname)
  let session: SqlSession | undefined
  try {
    for (const t of tpchTables(N)) {
      const ms = await mesh.import(t.name, N, PARTITIONS, MESH_PEERS)
      line({ phase: 'import', system: 'meshflow-mesh', table: t.name, rows: t.rows, peers: MESH_PEERS, seconds: seconds(ms), rowsPerSec: Math.round(t.rows / (ms / 1000)), loadavg: load() })
    }
    session = await SqlSession.connect({ mesh: mesh.multiaddr, parallelism: MESH_PEERS })
    for (const q of queries) {
      const m = measured.get(q)
      const extra = { peers: MESH_PEERS, parallelism: MESH_PEERS }
      try {
        const r = await best(async () => await onSession(session!, TPCH_SQL[q]))
        if (m?.answer !== undefined) sameRows(q, 'meshflow-mesh', m.reference!, m.answer, r.answer)
        line({
          query: q, system: 'meshflow-mesh', ...extra, rows: N, resultRows: r.answer.rows.length, seconds: seconds(r.ms),
          ...(m?.duckMs === undefined ? {} : { ratioToDuckDb: Number((m.duckMs / r.ms).toFixed(3)) }),
          ...(m?.embeddedMs === undefined ? {} : { ratioToEmbedded: Number((m.embeddedMs / r.ms).toFixed(3)) }),
          loadavg: load()
        })
      } catch (err) { fail({ query: q, system: 'meshflow-mesh', ...extra, rows: N }, err) }
    }
  } finally {
    await session?.close()
    await mesh.stop()
  }
}

try {
  const tables = tpchTables(N)
  line({ phase: 'setup', rows: N, tables: Object.fromEntries(tables.map(t => [t.name, t.rows])), parallelism: PARALLELISM, partitions: PARTITIONS, runs: RUNS, systems, loadavg: load() })
  const wantsStore = systems.includes('plain-js') || systems.includes('meshflow-embedded')
  if (wantsStore && (!existsSync(imported) || readFileSync(imported, 'utf8') !== String(N))) {
    for (const t of tables) await importTable(t, PARALLELISM)
    if (PRUNING) await importTable(byDateTable(N), 1)
    writeFileSync(imported, String(N))
  }
  // the store is read before the SQL session opens it (one peer per store at a time)
  const plain = systems.includes('plain-js') ? await readColumns(dataDir, 'lineitem', [...new Set([...Q1_COLUMNS, ...Q6_COLUMNS])]) : undefined
  const segments = PRUNING && wantsStore ? await pruningSegments() : {}
  const duck = systems.includes('duckdb')
    ? await DuckTpch.load(tables, (t, ms) => { line({ phase: 'load', system: 'duckdb', table: t.name, rows: t.rows, seconds: seconds(ms), rowsPerSec: Math.round(t.rows / (ms / 1000)) }) })
    : undefined
  let embedded: SqlSession | undefined
  try {
    if (PRUNING && duck !== undefined) await duck.run('CREATE TABLE lineitem_by_date AS SELECT l_shipdate, l_quantity, l_extendedprice, l_discount FROM lineitem ORDER BY l_shipdate')
    if (systems.includes('meshflow-embedded')) {
      try { embedded = await SqlSession.open({ dataDir, parallelism: PARALLELISM }) } catch (err) { fail({ system: 'meshflow-embedded' }, err) }
    }
    const measured = await runQueries(duck, embedded, plain)
    if (PRUNING) await runPruning(duck, embedded, segments)
    if (systems.includes('meshflow-mesh') && MESH_PEERS > 0) {
      try { await runMesh(measured) } catch (err) { fail({ system: 'meshflow-mesh', peers: MESH_PEERS }, err) }
    }
  } finally {
    await embedded?.close()
    duck?.close()
  }
} finally {
  rmSync(root, { recursive: true, force: true }) // the store too, unless --data-dir put it elsewhere
}
