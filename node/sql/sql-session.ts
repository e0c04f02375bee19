/**
 * A SQL session over the datasets of an embedded peer (`meshflow sql` without `--mesh`,
 * and scripts): statements run one at a time, each query as a batch job of the peer,
 * planned against the versions of the datasets it reads at that moment (and pinned to
 * them, so a commit while it runs changes nothing it sees).
 *
 * Statements: queries (SELECT, WITH, VALUES, UNION), EXPLAIN, INSERT INTO ds SELECT …
 * (appends a version), CREATE TABLE ds AS SELECT … (a new dataset), DROP TABLE ds,
 * SHOW TABLES, DESCRIBE t.
 *
 * @example
 * const session = await SqlSession.open({ dataDir: './meshflow-data' })
 * try {
 *   const r = await session.execute('SELECT store, SUM(amount) AS revenue FROM sales GROUP BY store')
 * } finally { await session.close() }
 */
import type { Peer } from '../cluster/peer.ts'
import type { Statement } from './ast.ts'
import type { SqlCatalog, CatalogTable } from './catalog.ts'
import type { DatasetManifest } from '../storage/datasets/dataset-types.ts'
import type { SqlResult } from './sql-result.ts'
import type { LogicalPlan } from './logical-plan.ts'
import type { DataSet } from '../api/data-set.ts'
import { StreamEnvironment } from '../api/stream-environment.ts'
import { datasetCatalogView, type DatasetCatalogEntry } from '../api/dataset-catalog-view.ts'
import { resolveJobDatasets } from '../cluster/job-dataset-view.ts'
import { runOnPeer } from '../cluster/embedded-execution.ts'
import { parseStatement } from './parser/sql-parser.ts'
import { planQuery, datasetColumns } from './sql-planner.ts'
import { planPhysical } from './physical-planner.ts'
import { explainLogical, explainPhysical } from './explain.ts'
import { findTable } from './catalog.ts'
import { columnTypeOf } from './sql-types.ts'
import { coerce } from './binder/bind-expression.ts'
import { input } from './bound-expression.ts'
import { SqlError, SqlTypeError, SqlUnknownTableError, SqlUnsupportedError } from './errors.ts'
import { SessionStreams } from './streaming/session-streams.ts'

export interface SqlSessionOptions {
  /** The embedded peer's data dir (default `./meshflow-data`, as `meshflow run`). */
  readonly dataDir?: string
  /** Parallelism of the queries' jobs (default: the machine's cores, at most 4). */
  readonly parallelism?: number
}

/** The tables of the catalog and, per dataset, the manifest the plan was made against. */
interface SessionCatalog {
  readonly catalog: SqlCatalog
  readonly entries: Record<string, DatasetCatalogEntry>
}

/** See the module comment. */
export class SqlSession {
  readonly #peer: Peer
  readonly #parallelism: number
  /** Connector tables, continuous queries and streaming INSERTs (streaming/session-streams.ts). */
  readonly #streams: SessionStreams
  #closed = false

  private constructor (peer: Peer, parallelism: number) {
    this.#peer = peer
    this.#parallelism = parallelism
    this.#streams = new SessionStreams(peer, parallelism)
  }

  /** Starts the embedded peer over `dataDir` and opens a session on it. */
  static async open (options: SqlSessionOptions = {}): Promise<SqlSession> {
    const { Peer } = await import('../cluster/peer.ts')
    const { availableParallelism } = await import('node:os')
    const parallelism = options.parallelism ?? Math.min(4, availableParallelism())
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`SqlSession parallelism must be a positive integer, got ${String(options.parallelism)}`)
    const peer = await Peer.start({ dataDir: options.dataDir ?? './meshflow-data', embedded: true, listen: [], resumeInterrupted: () => false })
    try {
      await peer.mark('meshflow sql', { timeoutMs: 30_000 })
    } catch (err) {
      await peer.stop()
      throw err
    }
    return new SqlSession(peer, parallelism)
  }

  /**
   * Runs one statement.
   *
   * @throws SqlError subclasses (syntax, unknown table/column/function, types) with the statement text attached
   * @throws JobExecutionError when the query's job fails
   */
  async execute (text: string, options: { signal?: AbortSignal } = {}): Promise<SqlResult> {
    if (this.#closed) throw new Error('The SQL session is closed')
    const started = performance.now()
    try {
      const statement = parseStatement(text)
      return await this.#run(statement, started, options.signal)
    } catch (err) {
      if (err instanceof SqlError && err.query === undefined) (err as { query: string | undefined }).query = text
      throw err
    }
  }

  async #run (statement: Statement, started: number, signal: AbortSignal | undefined): Promise<SqlResult> {
    const elapsed = (): number => performance.now() - started
    switch (statement.kind) {
      case 'query': {
        const { catalog, entries } = await this.#catalog()
        const plan = planQuery(statement.query, catalog).optimized
        if (this.#streams.reads(plan, catalog)) return await this.#streams.select(plan, elapsed)
        const { env, rows } = this.#job(plan, entries)
        await runOnPeer(this.#peer, env, 'sql query', signal === undefined ? {} : { signal })
        return { kind: 'rows', columns: plan.columns, rows: rows.values, elapsedMs: elapsed() }
      }
      case 'explain': {
        const inner = statement.statement
        const query = inner.kind === 'query' ? inner.query : inner.kind === 'insert' || inner.kind === 'create-table-as' ? inner.query : undefined
        if (query === undefined) throw new SqlUnsupportedError(`EXPLAIN of ${inner.kind.toUpperCase()}`, inner.pos)
        const { catalog, entries } = await this.#catalog()
        const { optimized } = planQuery(query, catalog)
        const { env } = this.#streams.reads(optimized, catalog) ? this.#streams.environment(optimized, true) : this.#job(optimized, entries)
        const text = `Logical plan:\n${explainLogical(optimized)}\n\nPhysical plan:\n${explainPhysical(env.getJobGraph())}`
        return { kind: 'explain', text, elapsedMs: elapsed() }
      }
      case 'insert':
      case 'create-table-as': return await this.#write(statement, started, signal)
      case 'show-tables': {
        const names = [...this.#peer.jobService.registry.datasets.datasets.map(d => d.name), ...this.#streams.entries.keys()].sort()
        return { kind: 'rows', columns: [{ name: 'name', type: 'VARCHAR', nullable: false }], rows: names.map(n => [n]), elapsedMs: elapsed() }
      }
      case 'describe': {
        const { catalog } = await this.#catalog()
        const t = findTable(catalog, statement.table.name, statement.table.quoted)
        if (t === undefined) throw new SqlUnknownTableError(statement.table.name, statement.table.pos, catalog.tableNames())
        return {
          kind: 'rows',
          columns: [{ name: 'column_name', type: 'VARCHAR', nullable: false }, { name: 'column_type', type: 'VARCHAR', nullable: false }, { name: 'null', type: 'VARCHAR', nullable: false }],
          rows: t.columns.map(c => [c.name, c.type, c.nullable ? 'YES' : 'NO']),
          elapsedMs: elapsed()
        }
      }
      case 'drop-table': {
        if (this.#streams.drop(statement.table.name, statement.table.quoted)) return { kind: 'status', message: `Dropped table ${statement.table.name}`, rows: undefined, elapsedMs: elapsed() }
        const { catalog } = await this.#catalog()
        const t = findTable(catalog, statement.table.name, statement.table.quoted)
        if (t === undefined) {
          if (statement.ifExists) return { kind: 'status', message: `Table ${statement.table.name} does not exist`, rows: undefined, elapsedMs: elapsed() }
          throw new SqlUnknownTableError(statement.table.name, statement.table.pos, catalog.tableNames())
        }
        await this.#peer.jobService.dropDataset(t.name)
        return { kind: 'status', message: `Dropped dataset ${t.name}`, rows: undefined, elapsedMs: elapsed() }
      }
      case 'create-table': return this.#streams.declare(statement, (await this.#catalog()).catalog, elapsed)
    }
  }

  /** INSERT INTO ds SELECT … and CREATE TABLE ds AS SELECT …: a job writing the query's rows as a new version. */
  async #write (statement: Extract<Statement, { kind: 'insert' | 'create-table-as' }>, started: number, signal: AbortSignal | undefined): Promise<SqlResult> {
    const { catalog, entries } = await this.#catalog()
    if (statement.kind === 'insert') {
      const streaming = await this.#streams.insert(statement, catalog, () => performance.now() - started)
      if (streaming !== undefined) return streaming
    }
    const name = statement.table.name
    const existing = findTable(catalog, name, statement.table.quoted)
    let plan = planQuery(statement.query, catalog).optimized
    if (statement.kind === 'create-table-as') {
      if (existing !== undefined) {
        if (statement.ifNotExists) return { kind: 'status', message: `Table ${existing.name} exists already`, rows: undefined, elapsedMs: performance.now() - started }
        throw new SqlTypeError(`Table '${existing.name}' exists already (INSERT INTO appends to it)`, statement.table.pos)
      }
      const names = new Set<string>()
      for (const c of plan.columns) {
        if (names.has(c.name)) throw new SqlTypeError(`CREATE TABLE ${name} AS SELECT gives two columns named '${c.name}': name them with AS`, statement.query.pos)
        names.add(c.name)
      }
    } else {
      if (existing === undefined) throw new SqlUnknownTableError(name, statement.table.pos, catalog.tableNames())
      plan = insertProjection(statement, plan, existing)
    }
    const target = statement.kind === 'insert' ? existing!.name : name
    const before = statement.kind === 'insert' ? (existing as Extract<CatalogTable, { kind: 'dataset' }>).rows : 0
    const env = StreamEnvironment.create({ parallelism: this.#parallelism })
    env.attachDatasetCatalog(datasetCatalogView(entries, true))
    const columns = plan.columns
    const schema = { columns: columns.map(c => ({ name: c.name, type: columnTypeOf(c.type) })) }
    const rows = planPhysical(plan, { env, table: unknownTable })
    rows.map(r => {
      const o: Record<string, unknown> = {}
      for (let i = 0; i < columns.length; i++) o[columns[i]!.name] = r[i] ?? null
      return o
    }).writeDataset(target, statement.kind === 'insert' ? { mode: 'append' } : { mode: 'overwrite', schema })
    await runOnPeer(this.#peer, env, `sql ${statement.kind === 'insert' ? 'insert into' : 'create table'} ${target}`, signal === undefined ? {} : { signal })
    const after = this.#peer.jobService.registry.datasets.latest(target)
    const written = (after?.rows ?? 0) - before
    const message = statement.kind === 'insert'
      ? `Inserted ${written} rows into ${target} (version ${after?.version ?? '?'})`
      : `Created ${target} with ${written} rows`
    return { kind: 'status', message, rows: written, elapsedMs: performance.now() - started }
  }

  /** A job collecting the rows of `plan`. */
  #job (plan: LogicalPlan, entries: Record<string, DatasetCatalogEntry>): { env: StreamEnvironment, rows: { readonly values: unknown[][] } } {
    const env = StreamEnvironment.create({ parallelism: this.#parallelism })
    env.attachDatasetCatalog(datasetCatalogView(entries, true))
    const out = planPhysical(plan, { env, table: unknownTable }).collect()
    return { env, rows: out as unknown as { readonly values: unknown[][] } }
  }

  /** The datasets as tables, each at its latest version (pinned in the plans made from it). */
  async #catalog (): Promise<SessionCatalog> {
    const source = this.#peer.jobService.datasetsSource()
    const names = source.catalog.datasets.map(d => d.name)
    const resolved = await resolveJobDatasets('sql', names.map(name => ({ name, version: undefined })), source)
    const tables = new Map<string, CatalogTable>()
    const entries: Record<string, DatasetCatalogEntry> = {}
    for (const name of names) {
      const manifest = resolved.manifests.get(name)!
      const version = resolved.pins[name]!
      const entry = resolved.entries[name]!
      entries[`${name}@${version}`] = entry
      const notNull = notNullColumns(manifest)
      tables.set(name, {
        kind: 'dataset',
        name,
        version,
        columns: datasetColumns({ name, version, schema: entry.schema, rows: entry.rows, partitioning: entry.partitioning, notNull }),
        rows: entry.rows,
        partitioning: entry.partitioning
      })
    }
    for (const [n, t] of this.#streams.entries) if (!tables.has(n)) tables.set(n, t)
    return {
      catalog: { table: n => tables.get(n), tableNames: () => [...tables.keys()] },
      entries
    }
  }

  /** Stops the embedded peer. Safe to call twice. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#peer.stop()
  }
}

function unknownTable (name: string): DataSet<unknown[]> {
  throw new Error(`No registered table '${name}' in a SQL session`)
}

/** Columns with no NULL in any segment of the version (statistics say so). */
function notNullColumns (manifest: DatasetManifest): Set<string> {
  const out = new Set<string>()
  for (const c of manifest.schema.columns) {
    if (manifest.partitions.every(p => p.every(s => s.stats[c.name]?.nulls === 0))) out.add(c.name)
  }
  return out
}

/** The query's columns as the target dataset's: by position, or by the INSERT's column list (others NULL), cast to its types. */
function insertProjection (statement: Extract<Statement, { kind: 'insert' }>, plan: LogicalPlan, target: CatalogTable): LogicalPlan {
  const targetColumns = target.columns
  const positions: (number | undefined)[] = targetColumns.map((_c, i) => statement.columns.length === 0 ? i : undefined)
  if (statement.columns.length > 0) {
    statement.columns.forEach((c, k) => {
      const i = targetColumns.findIndex(t => c.quoted ? t.name === c.name : t.name.toLowerCase() === c.name.toLowerCase())
      if (i < 0) throw new SqlTypeError(`Table '${target.name}' has no column '${c.name}'`, c.pos)
      positions[i] = k
    })
  }
  const given = statement.columns.length === 0 ? targetColumns.length : statement.columns.length
  if (plan.columns.length !== given) throw new SqlTypeError(`INSERT INTO ${target.name} gives ${plan.columns.length} columns for ${given}`, statement.query.pos)
  const exprs = targetColumns.map((t, i) => {
    const k = positions[i]
    if (k === undefined) return { kind: 'const' as const, value: null, type: t.type, nullable: true }
    const c = plan.columns[k]!
    const e = coerce(input(k, c.type, c.nullable), t.type)
    if (c.type !== t.type && c.type !== 'NULL' && !castable(c.type, t.type)) throw new SqlTypeError(`INSERT INTO ${target.name}: column '${t.name}' is ${t.type}, the query gives ${c.type}`, statement.query.pos)
    return e
  })
  return { kind: 'project', input: plan, exprs, columns: targetColumns.map(t => ({ ...t, nullable: true })) }
}

function castable (from: string, to: string): boolean {
  const numeric = (t: string): boolean => t === 'INTEGER' || t === 'BIGINT' || t === 'DOUBLE'
  const time = (t: string): boolean => t === 'DATE' || t === 'TIMESTAMP'
  return (numeric(from) && numeric(to)) || (time(from) && time(to))
}
