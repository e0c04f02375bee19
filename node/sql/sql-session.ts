/**
 * A SQL session: statements run one at a time against the datasets of the embedded peer
 * over a data dir (`SqlSession.open`, `meshflow sql`) or of a mesh (`SqlSession.connect`,
 * `meshflow sql --mesh`). Each query runs as a batch job, planned against the versions of
 * the datasets it reads at that moment.
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
import type { Statement } from './ast.ts'
import type { CatalogTable } from './catalog.ts'
import type { SqlResult } from './sql-result.ts'
import type { SqlBackend } from './sql-backend.ts'
import { parseStatement } from './parser/sql-parser.ts'
import { planQuery } from './sql-planner.ts'
import { explainLogical, explainPhysical } from './explain.ts'
import { findTable } from './catalog.ts'
import { planWrite } from './sql-write-plan.ts'
import { SqlError, SqlUnknownTableError, SqlUnsupportedError } from './errors.ts'

export interface SqlSessionOptions {
  /** The embedded peer's data dir (default `./meshflow-data`, as `meshflow run`). */
  readonly dataDir?: string
  /** Parallelism of the queries' jobs (default: the machine's cores, at most 4). */
  readonly parallelism?: number
  /** The largest join side (estimated rows) broadcast rather than shuffled (default 100,000). */
  readonly broadcastMaxRows?: number
}

export interface SqlMeshOptions {
  /** Multiaddr of any peer of the mesh (`/p2p/…` may be left out). */
  readonly mesh: string
  /** The mesh's pre-shared key, when it is private. */
  readonly psk?: Uint8Array
  /** Parallelism of the queries' jobs (default 3). */
  readonly parallelism?: number
  readonly signal?: AbortSignal
}

function checkParallelism (value: number | undefined, fallback: number): number {
  const p = value ?? fallback
  if (!Number.isInteger(p) || p < 1) throw new RangeError(`SqlSession parallelism must be a positive integer, got ${String(value)}`)
  return p
}

/** See the module comment. */
export class SqlSession {
  readonly #backend: SqlBackend
  #closed = false

  private constructor (backend: SqlBackend) {
    this.#backend = backend
  }

  /** Where statements run: the data dir, or `the mesh at MA`. */
  get where (): string { return this.#backend.where }

  /** Starts the embedded peer over `dataDir` and opens a session on it. */
  static async open (options: SqlSessionOptions = {}): Promise<SqlSession> {
    const { availableParallelism } = await import('node:os')
    const parallelism = checkParallelism(options.parallelism, Math.min(4, availableParallelism()))
    const { embeddedSqlBackend } = await import('./embedded-sql-backend.ts')
    return new SqlSession(await embeddedSqlBackend({ dataDir: options.dataDir ?? './meshflow-data', parallelism, ...(options.broadcastMaxRows === undefined ? {} : { broadcastMaxRows: options.broadcastMaxRows }) }))
  }

  /** Opens a session on the mesh a peer of which is at `mesh`. */
  static async connect (options: SqlMeshOptions): Promise<SqlSession> {
    const parallelism = checkParallelism(options.parallelism, 3)
    const { meshSqlBackend } = await import('./mesh-sql-backend.ts')
    return new SqlSession(await meshSqlBackend({ ...options, parallelism }))
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
      return await this.#run(statement, text, started, options.signal)
    } catch (err) {
      if (err instanceof SqlError && err.query === undefined) (err as { query: string | undefined }).query = text
      throw err
    }
  }

  async #run (statement: Statement, text: string, started: number, signal: AbortSignal | undefined): Promise<SqlResult> {
    const opts = signal === undefined ? {} : { signal }
    const backend = this.#backend
    const elapsed = (): number => performance.now() - started
    switch (statement.kind) {
      case 'query': {
        const plan = planQuery(statement.query, await backend.catalog(opts)).optimized
        const rows = await backend.query(plan, text, opts)
        return { kind: 'rows', columns: plan.columns, rows, elapsedMs: elapsed() }
      }
      case 'explain': {
        const inner = statement.statement
        const query = inner.kind === 'query' ? inner.query : inner.kind === 'insert' || inner.kind === 'create-table-as' ? inner.query : undefined
        if (query === undefined) throw new SqlUnsupportedError(`EXPLAIN of ${inner.kind.toUpperCase()}`, inner.pos)
        const { optimized } = planQuery(query, await backend.catalog(opts))
        const explained = `Logical plan:\n${explainLogical(optimized)}\n\nPhysical plan:\n${explainPhysical(await backend.graph(optimized))}`
        return { kind: 'explain', text: explained, elapsedMs: elapsed() }
      }
      case 'insert':
      case 'create-table-as': return await this.#write(statement, text, started, signal)
      case 'show-tables': {
        const names = [...(await backend.catalog(opts)).tableNames()].sort()
        return { kind: 'rows', columns: [{ name: 'name', type: 'VARCHAR', nullable: false }], rows: names.map(n => [n]), elapsedMs: elapsed() }
      }
      case 'describe': {
        const catalog = await backend.catalog(opts)
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
        const catalog = await backend.catalog(opts)
        const t = findTable(catalog, statement.table.name, statement.table.quoted)
        if (t === undefined) {
          if (statement.ifExists) return { kind: 'status', message: `Table ${statement.table.name} does not exist`, rows: undefined, elapsedMs: elapsed() }
          throw new SqlUnknownTableError(statement.table.name, statement.table.pos, catalog.tableNames())
        }
        await backend.drop(t.name, opts)
        return { kind: 'status', message: `Dropped dataset ${t.name}`, rows: undefined, elapsedMs: elapsed() }
      }
      case 'create-table':
        throw new SqlUnsupportedError('CREATE TABLE … WITH (…) declares a streaming table, which a batch session does not run yet; CREATE TABLE … AS SELECT writes a dataset', statement.pos)
    }
  }

  /** INSERT INTO ds SELECT … and CREATE TABLE ds AS SELECT …: a job writing the query's rows as a new version. */
  async #write (statement: Extract<Statement, { kind: 'insert' | 'create-table-as' }>, text: string, started: number, signal: AbortSignal | undefined): Promise<SqlResult> {
    const opts = signal === undefined ? {} : { signal }
    const catalog = await this.#backend.catalog(opts)
    const w = planWrite(statement, catalog)
    if (w.exists) return { kind: 'status', message: `Table ${w.target} exists already`, rows: undefined, elapsedMs: performance.now() - started }
    const before = statement.kind === 'insert' ? (catalog.table(w.target) as Extract<CatalogTable, { kind: 'dataset' }>).rows : 0
    const { rows, version } = await this.#backend.write(w, text, before, opts)
    const message = statement.kind === 'insert'
      ? `Inserted ${rows} rows into ${w.target} (version ${version ?? '?'})`
      : `Created ${w.target} with ${rows} rows`
    return { kind: 'status', message, rows, elapsedMs: performance.now() - started }
  }

  /** Stops the embedded peer, or disconnects from the mesh. Safe to call twice. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#backend.close()
  }
}

