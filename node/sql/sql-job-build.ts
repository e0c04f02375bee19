/**
 * The job a mesh runs for one statement of `meshflow sql --mesh` (node/sql/jobs/sql-job.ts):
 * a query writes its rows into a result dataset (one partition, in order), which the client
 * reads back and drops; INSERT INTO and CREATE TABLE AS write their dataset. Every peer
 * builds it the same way from the statement text and the catalog the JobManager pinned.
 * Built without a catalog (the first build of a job module) it only declares the datasets
 * the statement reads, so the JobManager resolves and pins them first.
 *
 * @example
 * buildSqlJob(env, { sql: 'SELECT store, COUNT(*) FROM sales GROUP BY store', result: 'sql-result-1' })
 */
import type { StreamEnvironment } from '../api/stream-environment.ts'
import type { CatalogTable, SqlCatalog } from './catalog.ts'
import type { LogicalPlan } from './logical-plan.ts'
import { parseStatement } from './parser/sql-parser.ts'
import { referencedTables } from './binder/referenced-tables.ts'
import { planQuery, datasetColumns } from './sql-planner.ts'
import { planPhysical } from './physical-planner.ts'
import { planWrite, schemaOf, writeRows } from './sql-write-plan.ts'
import { SqlUnsupportedError } from './errors.ts'

/**
 * What the client's planner knew of a table beyond its schema, size and partitioning (from
 * the segments' statistics, see distinctEstimates and notNullColumns): the job plans with
 * the same, so every peer chooses the join order and strategies the client planned (and
 * EXPLAIN showed) rather than taking every key as unique.
 */
export interface SqlTableStats {
  readonly distinct?: Readonly<Record<string, number>>
  readonly notNull?: readonly string[]
}

/** What the job runs. */
export interface SqlJobSpec {
  /** One statement: a query, INSERT INTO … SELECT or CREATE TABLE … AS SELECT. */
  readonly sql: string
  /** For a query: the dataset its rows go to. */
  readonly result?: string
  /** The statistics of the tables it reads, by name, as the client planned with. */
  readonly tables?: Readonly<Record<string, SqlTableStats>>
}

/** The datasets of the environment's catalog as SQL tables (with `stats`, by table name, where given). */
export function environmentCatalog (env: StreamEnvironment, stats: Readonly<Record<string, SqlTableStats>> = {}): SqlCatalog | undefined {
  const view = env.datasetCatalog
  if (view === undefined) return undefined
  return {
    table: (name: string): CatalogTable | undefined => {
      const d = view.lookup(name)
      if (d === undefined) return undefined
      const partitioning = d.partitioning ?? { kind: 'round-robin' as const, partitions: 1 }
      const s = Object.hasOwn(stats, name) ? stats[name] : undefined
      const notNull = s?.notNull === undefined ? undefined : new Set(s.notNull)
      const columns = datasetColumns({ name, version: undefined, schema: d.schema, rows: d.rows, partitioning, ...(notNull === undefined ? {} : { notNull }) })
      return { kind: 'dataset', name, version: undefined, columns, rows: d.rows, partitioning, ...(s?.distinct === undefined ? {} : { distinct: s.distinct }) }
    },
    tableNames: () => view.names?.() ?? [],
    parallelism: env.parallelism
  }
}

/** Adds the statement's job to `env` (see the module comment). */
export function buildSqlJob (env: StreamEnvironment, spec: SqlJobSpec): void {
  const statement = parseStatement(spec.sql)
  if (statement.kind !== 'query' && statement.kind !== 'insert' && statement.kind !== 'create-table-as') {
    throw new SqlUnsupportedError(`A SQL job runs a query, INSERT INTO or CREATE TABLE AS, not ${statement.kind.toUpperCase()}`, statement.pos)
  }
  let catalog = environmentCatalog(env, spec.tables)
  if (catalog === undefined) {
    // the first build: declare the reads (and an INSERT's target, whose schema it needs),
    // so the JobManager pins them and builds again with their schemas
    const reads = [...referencedTables(statement.query), ...(statement.kind === 'insert' ? [statement.table.name] : [])]
    if (reads.length > 0) {
      for (const name of reads) env.readDataset(name).collect()
      return
    }
    catalog = { table: () => undefined, tableNames: () => [] }
  }
  env.setRestartStrategy({ kind: 'none' })
  if (statement.kind === 'query') {
    if (spec.result === undefined) throw new TypeError('A SQL query job needs the name of its result dataset')
    const plan = planQuery(statement.query, catalog).optimized
    // the result's columns by position (a query may name two alike); the client knows their names
    const result: LogicalPlan = { ...plan, columns: plan.columns.map((c, i) => ({ ...c, name: `c${i}` })) }
    writeRows(planPhysical(plan, { env, table: noTables }), { plan: result, target: spec.result, mode: 'overwrite', schema: schemaOf(result), exists: false }, 1)
    return
  }
  const w = planWrite(statement, catalog)
  if (!w.exists) writeRows(planPhysical(w.plan, { env, table: noTables }), w)
}

function noTables (name: string): never {
  throw new Error(`A SQL job has no registered table '${name}'`)
}
