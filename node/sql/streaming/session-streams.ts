/**
 * Streaming statements of a SqlSession (node/sql/sql-session.ts): the connector tables it
 * declared (`CREATE TABLE … WITH`, kept for the session's life), continuous queries and
 * streaming INSERTs, each a job of the session's embedded peer.
 *
 * - A query reading a connector table returns at once a `stream` result: its rows arrive
 *   in `batches` as windows fire (the job's sink, running in this process, pushes into a
 *   bounded queue, so a slow reader holds the job back). The job ends with a bounded source,
 *   or when the reader stops iterating or calls `cancel()` (which cancels the job).
 * - `INSERT INTO t SELECT …` from a connector table (into a connector table or a dataset)
 *   runs detached, with checkpoints every `checkpointIntervalMs` so exactly-once sinks
 *   commit: the result is a status naming the job id, and the job runs until its input
 *   ends, it is cancelled, or the session closes (which stops the peer and so the job).
 *
 * @example
 * const r = await session.execute("SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end")
 * if (r.kind === 'stream') for await (const rows of r.batches) print(rows)
 */
import type { Peer } from '../../cluster/peer.ts'
import type { Statement } from '../ast.ts'
import type { CatalogTable, SqlCatalog } from '../catalog.ts'
import type { LogicalPlan } from '../logical-plan.ts'
import type { SqlResult } from '../sql-result.ts'
import type { Sink } from '../../api/sink.ts'
import type { ConnectorTable } from './connector-table.ts'
import { StreamEnvironment } from '../../api/stream-environment.ts'
import { defineJob } from '../../api/job.ts'
import { findTable } from '../catalog.ts'
import { planQuery } from '../sql-planner.ts'
import { streamingCatalogTable } from './streaming-catalog.ts'
import { declareConnectorTable, findConnectorTable, insertColumns } from './streaming-statements.ts'
import { streamingTableOf } from './bind-window.ts'
import { planStream } from './stream-planner.ts'
import { connectorSink } from './connector-sink.ts'
import { RowQueue } from './row-queue.ts'
import { SqlDdlError, SqlUnsupportedError } from '../errors.ts'

/** Checkpoint interval of a session's streaming INSERT jobs (ms). */
export const SESSION_CHECKPOINT_INTERVAL_MS = 1000

/** Rows a continuous query's queue holds before its job waits for the reader. */
const QUEUE_ROWS = 10_000

/** See the module comment. */
export class SessionStreams {
  readonly #peer: Peer
  readonly #parallelism: number
  readonly #tables = new Map<string, ConnectorTable>()
  readonly #entries = new Map<string, CatalogTable>()

  constructor (peer: Peer, parallelism: number) {
    this.#peer = peer
    this.#parallelism = parallelism
  }

  /** The connector tables as catalog entries, by name. */
  get entries (): ReadonlyMap<string, CatalogTable> { return this.#entries }

  /** CREATE TABLE … WITH: declares a connector table of the session. */
  declare (statement: Extract<Statement, { kind: 'create-table' }>, catalog: SqlCatalog, elapsedMs: () => number): SqlResult {
    const taken = findTable(catalog, statement.table.name, statement.table.quoted)
    if (taken !== undefined && !this.#tables.has(taken.name)) {
      if (statement.ifNotExists) return { kind: 'status', message: `Table ${taken.name} exists already`, rows: undefined, elapsedMs: elapsedMs() }
      throw new SqlDdlError(`Table '${taken.name}' exists already (a dataset)`, statement.table.pos)
    }
    const added = declareConnectorTable(this.#tables, statement)
    const def = this.#tables.get(statement.table.name)
    if (added && def !== undefined) this.#entries.set(def.name, streamingCatalogTable(def))
    const message = added ? `Created table ${statement.table.name} (connector '${def?.connector ?? '?'}')` : `Table ${statement.table.name} exists already`
    return { kind: 'status', message, rows: undefined, elapsedMs: elapsedMs() }
  }

  /** DROP TABLE of a connector table: whether `name` was one (and is gone). */
  drop (name: string, quoted: boolean): boolean {
    const def = findConnectorTable(this.#tables, name, quoted)
    if (def === undefined) return false
    this.#tables.delete(def.name)
    this.#entries.delete(def.name)
    return true
  }

  /** Whether a plan reads a connector table (a streaming query). */
  reads (plan: LogicalPlan, catalog: SqlCatalog): boolean {
    return streamingTableOf(plan, catalog) !== undefined
  }

  /** The job environment of a streaming plan and its rows; with `resultSink` they go to a sink that drops them (for EXPLAIN). */
  environment (plan: LogicalPlan, resultSink = false): { env: StreamEnvironment, rows: ReturnType<typeof planStream> } {
    const env = StreamEnvironment.create({ parallelism: this.#parallelism })
    const rows = planStream(plan, { env, table: name => this.#tables.get(name) })
    if (resultSink) rows.sinkTo({ createWriter: () => ({ write () {}, finish () {}, close () {} }) }, 'sql result')
    return { env, rows }
  }

  /** A continuous query: its job started, its rows as they come (see the module comment). */
  async select (plan: LogicalPlan, elapsedMs: () => number): Promise<SqlResult> {
    const { env, rows } = this.environment(plan)
    const queue = new RowQueue(QUEUE_ROWS)
    const sink: Sink<unknown[]> = {
      createWriter: () => ({
        write: values => queue.push(values),
        finish () {},
        close () {}
      })
    }
    rows.sinkTo(sink, 'sql result')
    const jobs = this.#peer.jobService
    const jobId = await this.#submit(env, 'sql continuous query')
    let cancelled = false
    const cancel = async (): Promise<void> => {
      if (cancelled) return
      cancelled = true
      queue.end()
      await jobs.cancel(jobId).catch(() => {}) // a job that ended already has nothing to cancel
    }
    void jobs.result(jobId).then(ended => {
      queue.end(ended.state === 'FAILED' && !cancelled ? new Error(`The continuous query failed: ${ended.error ?? 'unknown error'}`) : undefined)
    }, (err: unknown) => { queue.end(err) })
    const batches: AsyncIterable<unknown[][]> = {
      [Symbol.asyncIterator]: () => {
        const it = queue.batches()
        return {
          next: async () => await it.next(),
          return: async () => {
            await cancel()
            return { done: true, value: undefined }
          }
        }
      }
    }
    return { kind: 'stream', columns: plan.columns, batches, jobId, cancel, elapsedMs: elapsedMs() }
  }

  /**
   * INSERT INTO t SELECT … reading a connector table: a detached, checkpointed job (see
   * the module comment); undefined when the query reads none (a batch INSERT).
   */
  async insert (statement: Extract<Statement, { kind: 'insert' }>, catalog: SqlCatalog, elapsedMs: () => number): Promise<SqlResult | undefined> {
    const planned = planQuery(statement.query, catalog).optimized
    let def = findConnectorTable(this.#tables, statement.table.name, statement.table.quoted)
    if (!this.reads(planned, catalog)) {
      if (def !== undefined) throw new SqlUnsupportedError(`INSERT INTO the connector table ${def.name} from a query reading no streaming table`, statement.query.pos)
      return undefined
    }
    if (def === undefined) {
      const dataset = findTable(catalog, statement.table.name, statement.table.quoted)
      if (dataset?.kind !== 'dataset') return undefined // the batch path names the unknown table
      def = { name: dataset.name, columns: dataset.columns, watermark: undefined, connector: 'dataset', options: { name: dataset.name }, idleTimeoutMs: undefined, bounded: true, pos: statement.pos }
    }
    const plan = insertColumns(statement, planned, def)
    const { env, rows } = this.environment(plan)
    env.enableCheckpointing(SESSION_CHECKPOINT_INTERVAL_MS)
    connectorSink(def, rows)
    const jobId = await this.#submit(env, `sql insert into ${def.name}`)
    return { kind: 'status', message: `Job ${jobId} inserts into ${def.name} (streaming, detached: meshflow cancel ${jobId} stops it)`, rows: undefined, elapsedMs: elapsedMs() }
  }

  async #submit (env: StreamEnvironment, name: string): Promise<string> {
    const graph = env.getJobGraph()
    return await this.#peer.jobService.submitDefinition({ ...defineJob(() => {}), environment: env }, {
      name,
      parallelism: Math.max(1, ...graph.vertices.map(v => v.parallelism))
    })
  }
}
