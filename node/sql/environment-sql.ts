/**
 * `env.sql(query)` and `env.registerTable(name, table)`: a query planned onto the job's
 * own environment, over the datasets of the mesh and the DataSets the program registered.
 * The result is a DataSet of records keyed by the query's column names, which composes
 * with the DataSet API (map it, join it, write it with writeDataset).
 *
 * Datasets need their schemas, which the job gets from the catalog where it is submitted:
 * a job module is built once without it (the build then only declares the datasets its
 * queries read, so the JobManager resolves and pins them) and again with it, when the
 * query is planned for real. A pipeline declared in the calling process and run with
 * `env.execute()` has no catalog: its queries may read registered tables only (a
 * SqlSession queries datasets from a script).
 *
 * Streaming (node/sql/streaming): the text may hold several statements separated by `;`.
 * `CREATE TABLE t (…, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = …)`
 * declares a connector table on the environment (for this and later env.sql calls); a
 * query reading one gives a DataStream of records (windows fire as the watermark passes);
 * `INSERT INTO t SELECT …` into a connector table adds its sink (exactly-once for files,
 * dataset and `'sink.delivery-guarantee' = 'exactly-once'` Kafka tables when the job
 * checkpoints) and gives that sink. The last statement's output is returned.
 *
 * @example
 * export default defineJob(env => {
 *   env.sql('SELECT store, SUM(amount) AS revenue FROM sales GROUP BY store').writeDataset('revenue', { mode: 'overwrite' })
 * })
 * export default defineJob(env => {   // a streaming job, all SQL
 *   env.enableCheckpointing(1000)
 *   env.sql(`CREATE TABLE clicks (user_id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'kafka', …);
 *     CREATE TABLE per_minute (window_start TIMESTAMP(3), user_id BIGINT, clicks BIGINT) WITH ('connector' = 'files', 'path' = 'out', 'format' = 'json');
 *     INSERT INTO per_minute SELECT window_start, user_id, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, user_id`)
 * })
 */
import type { StreamEnvironment } from '../api/stream-environment.ts'
import type { DatasetSchema } from '../api/dataset-schema.ts'
import type { DataStream, DataStreamSink } from '../api/data-stream.ts'
import type { Statement } from './ast.ts'
import type { CatalogTable, SqlCatalog } from './catalog.ts'
import { DataSet } from '../api/data-set.ts'
import { parseStatements } from './parser/sql-parser.ts'
import { connectorTables, streamingCatalogTable } from './streaming/streaming-catalog.ts'
import { declareConnectorTable, findConnectorTable, insertColumns } from './streaming/streaming-statements.ts'
import { streamingTableOf } from './streaming/bind-window.ts'
import { planStream } from './streaming/stream-planner.ts'
import { connectorSink } from './streaming/connector-sink.ts'
import { planQuery, datasetColumns } from './sql-planner.ts'
import { planPhysical } from './physical-planner.ts'
import { referencedTables } from './binder/referenced-tables.ts'
import { sqlTypeOfColumn } from './sql-types.ts'
import { SqlError, SqlUnknownTableError, SqlUnsupportedError } from './errors.ts'

/** A table registered with `env.registerTable`. */
export interface RegisteredTable {
  readonly name: string
  readonly data: DataSet<Record<string, unknown>>
  readonly schema: DatasetSchema
}

/** What env.sql needs of its environment. */
export interface SqlEnvironment {
  readonly env: StreamEnvironment
  readonly tables: ReadonlyMap<string, RegisteredTable>
  /** The datasets' catalog, when the build has it. */
  readonly datasets: StreamEnvironment['datasetCatalog']
}

/** What env.sql gives: the DataSet of a batch query, the DataStream of a streaming one, the sink of an INSERT INTO a connector table. */
export type SqlOutput = DataSet<Record<string, unknown>> | DataStream<Record<string, unknown>> | DataStreamSink<unknown>

/**
 * Plans the statements of `query` (separated by `;`) onto `target.env`: `CREATE TABLE …
 * WITH (…)` declares a connector table for the later statements (and later env.sql calls),
 * `INSERT INTO t SELECT …` writes a query into connector table t, and a query gives its
 * rows (see the module comment). The last statement's output is returned.
 */
export function environmentSql (target: SqlEnvironment, query: string): SqlOutput {
  try {
    const statements = parseStatements(query)
    let out: SqlOutput | undefined
    for (const statement of statements) out = environmentStatement(target, statement)
    if (out === undefined) throw new SqlUnsupportedError('env.sql without a query or INSERT INTO (a text of CREATE TABLE only)', statements[statements.length - 1]?.pos ?? { line: 1, column: 1, offset: 0 })
    return out
  } catch (err) {
    if (err instanceof SqlError && err.query === undefined) (err as { query: string | undefined }).query = query
    throw err
  }
}

function environmentStatement (target: SqlEnvironment, statement: Statement): SqlOutput | undefined {
  const { env, tables, datasets } = target
  const streaming = connectorTables(env)
  if (statement.kind === 'create-table') {
    declareConnectorTable(streaming, statement, tables)
    return undefined
  }
  if (statement.kind === 'insert') return insertIntoConnectorTable(target, statement)
  if (statement.kind !== 'query') throw new SqlUnsupportedError(`env.sql runs queries, CREATE TABLE … WITH and INSERT INTO; ${statement.kind.toUpperCase()} runs in meshflow sql or a SqlSession`, statement.pos)
  if (datasets === undefined) {
    const unregistered = referencedTables(statement.query).filter(n => !tables.has(n) && findConnectorTable(streaming, n) === undefined)
    if (unregistered.length > 0) return declareReads(env, unregistered)
  }
  const catalog = environmentCatalog(target)
  const plan = planQuery(statement.query, catalog).optimized
  const names = plan.columns.map(c => c.name)
  const record = (r: unknown[]): Record<string, unknown> => {
    const o: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) o[names[i]!] = r[i] ?? null
    return o
  }
  if (streamingTableOf(plan, catalog) !== undefined) return planStream(plan, { env, table: name => streaming.get(name) }).map(record)
  const rows = planPhysical(plan, {
    env,
    table: name => {
      const t = tables.get(name)!
      const names = t.schema.columns.map(c => c.name)
      return t.data.map((o): unknown[] => names.map(n => o[n] ?? null))
    }
  })
  return rows.map(record)
}

/** The catalog of env.sql: registered tables, connector tables, then the datasets. */
function environmentCatalog (target: SqlEnvironment): SqlCatalog {
  const { env, tables, datasets } = target
  const streaming = connectorTables(env)
  const entries = new Map<string, CatalogTable>()
  for (const def of streaming.values()) entries.set(def.name, streamingCatalogTable(def))
  return {
    table: (name: string): CatalogTable | undefined => {
      const registered = tables.get(name)
      if (registered !== undefined) {
        return { kind: 'table', name, columns: registered.schema.columns.map(c => ({ name: c.name, type: sqlTypeOfColumn(c.type), nullable: true })), bounded: true, rows: registered.data.estimatedRows }
      }
      const connector = entries.get(name)
      if (connector !== undefined) return connector
      const d = datasets?.lookup(name)
      if (d === undefined) return undefined
      const partitioning = d.partitioning ?? { kind: 'round-robin' as const, partitions: 1 }
      return { kind: 'dataset', name, version: undefined, columns: datasetColumns({ name, version: undefined, schema: d.schema, rows: d.rows, partitioning }), rows: d.rows, partitioning }
    },
    tableNames: () => [...tables.keys(), ...entries.keys(), ...(datasets?.names?.() ?? [])],
    parallelism: target.env.parallelism
  }
}

/** INSERT INTO a connector table: the query as a stream into the table's sink. */
function insertIntoConnectorTable (target: SqlEnvironment, statement: Extract<Statement, { kind: 'insert' }>): DataStreamSink<unknown> {
  const streaming = connectorTables(target.env)
  const def = findConnectorTable(streaming, statement.table.name, statement.table.quoted)
  if (def === undefined) throw new SqlUnknownTableError(statement.table.name, statement.table.pos, [...streaming.keys()])
  const catalog = environmentCatalog(target)
  const plan = insertColumns(statement, planQuery(statement.query, catalog).optimized, def)
  if (streamingTableOf(plan, catalog) === undefined) throw new SqlUnsupportedError(`INSERT INTO ${def.name} from a query that reads no streaming table (insert into a dataset with writeDataset or meshflow sql)`, statement.query.pos)
  return connectorSink(def, planStream(plan, { env: target.env, table: name => streaming.get(name) }))
}

/**
 * The first build of a job module (no catalog yet): reads of the datasets the query names,
 * so the JobManager pins them and builds the job again with their schemas. Running this
 * graph itself is refused (see StreamEnvironment.execute).
 */
function declareReads (env: StreamEnvironment, names: readonly string[]): DataSet<Record<string, unknown>> {
  env.markSqlAwaitingCatalog(names)
  const reads = names.map(n => env.readDataset<Record<string, unknown>>(n))
  const [first, ...rest] = reads
  return first!.union(...rest).filter(() => false)
}

export { DataSet }
