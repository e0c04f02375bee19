import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { DataSet } from '../../../node/api/data-set.ts'
import { StreamEnvironment } from '../../../node/api/stream-environment.ts'
import { datasetCatalogView, type DatasetCatalogEntry } from '../../../node/api/dataset-catalog-view.ts'
import type { CatalogTable, SqlCatalog } from '../../../node/sql/catalog.ts'
import { parseStatement } from '../../../node/sql/parser/sql-parser.ts'
import { datasetColumns, planQuery } from '../../../node/sql/sql-planner.ts'
import { planPhysical } from '../../../node/sql/physical-planner.ts'
import { explainPhysical } from '../../../node/sql/explain.ts'
import { buildSqlJob, type SqlTableStats } from '../../../node/sql/sql-job-build.ts'

// TPC-H Q5's trap in small: supplier and customer share 25 nation keys, so joining them on
// it first (as when every key is taken as unique, a small join) makes 600 rows per supplier
const table = (rows: number, ...columns: string[]): DatasetCatalogEntry => ({ schema: { columns: columns.map(name => ({ name, type: 'int64' as const })) }, rows, partitioning: { kind: 'round-robin', partitions: 2 } })
const entries: Record<string, DatasetCatalogEntry> = {
  lineitem: table(600_000, 'l_orderkey', 'l_suppkey', 'l_price'),
  orders: table(150_000, 'o_orderkey', 'o_custkey'),
  supplier: table(1000, 's_suppkey', 's_nationkey'),
  customer: table(15_000, 'c_custkey', 'c_nationkey')
}
const stats: Record<string, SqlTableStats> = {
  lineitem: { distinct: { l_orderkey: 150_000, l_suppkey: 1000 }, notNull: ['l_orderkey', 'l_suppkey'] },
  orders: { distinct: { o_orderkey: 150_000, o_custkey: 15_000 }, notNull: ['o_orderkey'] },
  supplier: { distinct: { s_suppkey: 1000, s_nationkey: 25 }, notNull: [] },
  customer: { distinct: { c_custkey: 15_000, c_nationkey: 25 }, notNull: [] }
}
const SQL = 'SELECT SUM(l_price) AS total FROM lineitem, orders, supplier, customer WHERE l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND o_custkey = c_custkey AND s_nationkey = c_nationkey'

/** The catalog a client plans with: the entries with their statistics (as the mesh backend builds it). */
const clientCatalog: SqlCatalog = {
  table: (name: string): CatalogTable | undefined => {
    const e = entries[name]
    if (e === undefined) return undefined
    const s = stats[name]!
    const columns = datasetColumns({ name, version: 1, schema: e.schema, rows: e.rows, partitioning: e.partitioning, notNull: new Set(s.notNull) })
    return { kind: 'dataset', name, version: 1, columns, rows: e.rows, partitioning: e.partitioning, distinct: s.distinct! }
  },
  tableNames: () => Object.keys(entries),
  parallelism: 3
}

/** The joins of a job graph, up to its last join (the tails differ: the client collects, the job writes). */
function joins (env: StreamEnvironment): string[] {
  const lines = explainPhysical(env.getJobGraph()).split('\n')
  const last = lines.findLastIndex(l => l.includes('join'))
  return lines.slice(0, last + 1)
}

function clientJoins (): string[] {
  const s = parseStatement(SQL)
  if (s.kind !== 'query') throw new Error('not a query')
  const env = StreamEnvironment.create({ parallelism: 3 })
  env.attachDatasetCatalog(datasetCatalogView(Object.fromEntries(Object.entries(entries).map(([n, e]) => [`${n}@1`, e])), true))
  planPhysical(planQuery(s.query, clientCatalog).optimized, { env, table: (n: string): DataSet<unknown[]> => { throw new Error(`no table ${n}`) } }).collect()
  return joins(env)
}

function jobJoins (tables: Record<string, SqlTableStats> | undefined): string[] {
  const env = StreamEnvironment.create({ parallelism: 3 })
  env.attachDatasetCatalog(datasetCatalogView(entries, false))
  buildSqlJob(env, { sql: SQL, result: 'sql-result-1', ...(tables === undefined ? {} : { tables }) })
  return joins(env)
}

const BuildSqlJob = suite('buildSqlJob')

BuildSqlJob('plans the joins the client planned when given the statistics the client planned with', () => {
  const client = clientJoins()
  assert.ok(client.some(l => l.includes('join')), client.join('\n'))
  assert.equal(jobJoins(stats), client)
  // without them every key is taken as unique, and the job would join in another order
  assert.not.equal(jobJoins(undefined), client)
})

BuildSqlJob('writes the rows of a global aggregate where it is computed, with no exchange after it', () => {
  const env = StreamEnvironment.create({ parallelism: 3 })
  env.attachDatasetCatalog(datasetCatalogView(entries, false))
  buildSqlJob(env, { sql: 'SELECT SUM(l_price) AS total FROM lineitem', result: 'sql-result-2' })
  const lines = explainPhysical(env.getJobGraph()).split('\n')
  const tail = lines.find(l => l.includes('write sql-result-2'))
  assert.ok(tail?.includes('commit sql-result-2') === true && tail.includes('(parallelism 1)'), lines.join('\n'))
  assert.equal(lines.filter(l => l.includes('<-')).length, 1, lines.join('\n'))
})

BuildSqlJob.run()
