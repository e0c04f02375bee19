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
 * @example
 * export default defineJob(env => {
 *   env.sql('SELECT store, SUM(amount) AS revenue FROM sales GROUP BY store').writeDataset('revenue', { mode: 'overwrite' })
 * })
 */
import type { StreamEnvironment } from '../api/stream-environment.ts'
import type { DatasetSchema } from '../api/dataset-schema.ts'
import type { CatalogTable, SqlCatalog } from './catalog.ts'
import { DataSet } from '../api/data-set.ts'
import { parseStatement } from './parser/sql-parser.ts'
import { planQuery, datasetColumns } from './sql-planner.ts'
import { planPhysical } from './physical-planner.ts'
import { referencedTables } from './binder/referenced-tables.ts'
import { sqlTypeOfColumn } from './sql-types.ts'
import { SqlError, SqlUnsupportedError } from './errors.ts'

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

/** Plans `query` onto `target.env` (see the module comment). */
export function environmentSql (target: SqlEnvironment, query: string): DataSet<Record<string, unknown>> {
  const { env, tables, datasets } = target
  try {
    const statement = parseStatement(query)
    if (statement.kind !== 'query') throw new SqlUnsupportedError(`env.sql runs queries; ${statement.kind.toUpperCase()} runs in meshflow sql or a SqlSession`, statement.pos)
    if (datasets === undefined) {
      const unregistered = referencedTables(statement.query).filter(n => !tables.has(n))
      if (unregistered.length > 0) return declareReads(env, unregistered)
    }
    const catalog: SqlCatalog = {
      table: (name: string): CatalogTable | undefined => {
        const registered = tables.get(name)
        if (registered !== undefined) {
          return { kind: 'table', name, columns: registered.schema.columns.map(c => ({ name: c.name, type: sqlTypeOfColumn(c.type), nullable: true })), bounded: true, rows: registered.data.estimatedRows }
        }
        const d = datasets?.lookup(name)
        if (d === undefined) return undefined
        const partitioning = d.partitioning ?? { kind: 'round-robin' as const, partitions: 1 }
        return { kind: 'dataset', name, version: undefined, columns: datasetColumns({ name, version: undefined, schema: d.schema, rows: d.rows, partitioning }), rows: d.rows, partitioning }
      },
      tableNames: () => [...tables.keys(), ...(datasets?.names?.() ?? [])],
      parallelism: env.parallelism
    }
    const plan = planQuery(statement.query, catalog).optimized
    const rows = planPhysical(plan, {
      env,
      table: name => {
        const t = tables.get(name)!
        const names = t.schema.columns.map(c => c.name)
        return t.data.map((o): unknown[] => names.map(n => o[n] ?? null))
      }
    })
    const names = plan.columns.map(c => c.name)
    return rows.map(r => {
      const o: Record<string, unknown> = {}
      for (let i = 0; i < names.length; i++) o[names[i]!] = r[i] ?? null
      return o
    })
  } catch (err) {
    if (err instanceof SqlError && err.query === undefined) (err as { query: string | undefined }).query = query
    throw err
  }
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
