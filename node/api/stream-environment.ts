/**
 * The entry point of a DataStream job: sources are added here, the pipeline is declared
 * on the streams they return, and `execute()` runs it.
 *
 * @example
 * const env = StreamEnvironment.create({ parallelism: 2 })
 * const out = env.fromCollection([1, 2, 3]).map(x => x * 10).collect()
 * await env.execute('times-ten')   // out.values is [10, 20, 30] in some order
 */
import type { Source, SourceSplit } from './source.ts'
import { WatermarkStrategy } from './watermark-strategy.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { collectionSource } from './collection-source.ts'
import { DataStream } from './data-stream.ts'
import { Transformation, type TransformationInit } from '../graph/transformation.ts'
import { buildJobGraph, type JobGraph } from '../graph/job-graph.ts'
import { DEFAULT_MAX_PARALLELISM } from '../graph/key-groups.ts'
import type { JobExecutionResult } from '../runtime/local-executor.ts'
import { effectiveRestartStrategy } from '../runtime/restart-strategy.ts'
import { DEFAULT_BATCH_SIZE } from '../runtime/record-writer.ts'
import { DEFAULT_CHANNEL_CAPACITY } from '../runtime/local-channel.ts'
import { DataSet } from './data-set.ts'
import type { DatasetSchema, Partitioning, ScanSpec } from './dataset-schema.ts'
import { checkDatasetName } from './dataset-write.ts'
import { datasetSource } from '../runtime/datasets/dataset-source.ts'
import { validatePredicate } from '../storage/datasets/predicate.ts'
import { parseMemorySize } from '../runtime/spill/memory-size.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { environmentSql, type RegisteredTable, type SqlOutput } from '../sql/environment-sql.ts'

export type { JobExecutionResult } from '../runtime/local-executor.ts'

export interface StreamEnvironmentOptions {
  /** Default parallelism of operators (default 1). */
  parallelism?: number
  /** Number of key groups, the upper bound of keyed parallelism (default 128). */
  maxParallelism?: number
  /** Enables checkpointing at this interval. */
  checkpointIntervalMs?: number
  /** Records per batch between tasks (default 1024). */
  batchSize?: number
  /** Batches a channel buffers before the producer waits (default 4). */
  channelCapacity?: number
  /** Fuse forward-connected operators into one task (default true). */
  chaining?: boolean
  /**
   * Each task slot's memory budget (subtask k of every vertex; shared by the job's sorts,
   * groupings and joins, see TaskMemory): bytes, or text such as '64k', '256m', '1g'. They
   * spill to disk past their share (default: the peer's `--task-memory`, 256 MiB).
   */
  taskMemory?: number | string
}

export type CheckpointingMode = 'exactly-once' | 'at-least-once'

export type RestartStrategy =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed-delay', readonly attempts: number, readonly delayMs: number }
  | { readonly kind: 'exponential-delay', readonly initialDelayMs: number, readonly maxDelayMs: number, readonly attempts?: number }

export interface ExecuteOptions {
  /** Cancels the job: `execute` then rejects with a JobCancelledError. */
  signal?: AbortSignal
  /**
   * The embedded peer's store (default: a temporary folder removed when the job ends). Give
   * one to keep what the job wrote — datasets above all — for the next `execute` or a
   * `meshflow run --data-dir` on the same folder. One process at a time may use a folder.
   */
  dataDir?: string
}

function nonNegativeInt (what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(n)}`)
  return n
}

function validRestartStrategy (s: RestartStrategy): RestartStrategy {
  switch (s?.kind) {
    case 'none': return { kind: 'none' }
    case 'fixed-delay':
      return { kind: 'fixed-delay', attempts: nonNegativeInt('Restart attempts', s.attempts), delayMs: nonNegativeInt('Restart delayMs', s.delayMs) }
    case 'exponential-delay': {
      const initialDelayMs = positiveInt('Restart initialDelayMs', s.initialDelayMs)
      const maxDelayMs = positiveInt('Restart maxDelayMs', s.maxDelayMs)
      if (maxDelayMs < initialDelayMs) throw new InvalidArgumentError(`Restart maxDelayMs (${maxDelayMs}) must not be below initialDelayMs (${initialDelayMs})`)
      return { kind: 'exponential-delay', initialDelayMs, maxDelayMs, ...(s.attempts === undefined ? {} : { attempts: nonNegativeInt('Restart attempts', s.attempts) }) }
    }
    default:
      throw new InvalidArgumentError(`Unknown restart strategy ${JSON.stringify((s as { kind?: unknown })?.kind)}: use 'none', 'fixed-delay' or 'exponential-delay'`)
  }
}

function memorySize (what: string, size: unknown): number {
  try {
    return parseMemorySize(what, size)
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err), { cause: err })
  }
}

function positiveInt (what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(n)}`)
  return n
}

export class StreamEnvironment {
  #parallelism = 1
  #maxParallelism = DEFAULT_MAX_PARALLELISM
  #batchSize = DEFAULT_BATCH_SIZE
  #channelCapacity = DEFAULT_CHANNEL_CAPACITY
  #chaining = true
  #taskMemory: number | undefined
  #runtimeMode: RuntimeExecutionMode = 'automatic'
  #checkpointing: { intervalMs: number, mode: CheckpointingMode, timeoutMs: number | undefined } | undefined
  #restartStrategy: RestartStrategy | undefined
  #catalog: DatasetCatalogView | undefined
  readonly #sqlTables = new Map<string, RegisteredTable>()
  #sqlAwaitingCatalog: readonly string[] | undefined
  readonly #transformations: Transformation[] = []
  readonly #sinks: Transformation[] = []
  readonly #buildChecks: (() => void)[] = []

  static create (options: StreamEnvironmentOptions = {}): StreamEnvironment {
    const env = new StreamEnvironment()
    if (options.parallelism !== undefined) env.setParallelism(options.parallelism)
    if (options.maxParallelism !== undefined) env.setMaxParallelism(options.maxParallelism)
    if (options.checkpointIntervalMs !== undefined) env.enableCheckpointing(options.checkpointIntervalMs)
    if (options.batchSize !== undefined) env.#batchSize = positiveInt('batchSize', options.batchSize)
    if (options.channelCapacity !== undefined) env.#channelCapacity = positiveInt('channelCapacity', options.channelCapacity)
    if (options.chaining === false) env.disableOperatorChaining()
    if (options.taskMemory !== undefined) env.#taskMemory = memorySize('taskMemory', options.taskMemory)
    return env
  }

  get parallelism (): number { return this.#parallelism }
  /** Records per batch between tasks. */
  get batchSize (): number { return this.#batchSize }
  /** Batches an in-process channel buffers before its producer waits. */
  get channelCapacity (): number { return this.#channelCapacity }
  get maxParallelism (): number { return this.#maxParallelism }
  /** Each task's memory budget in bytes, when the job sets one (else the peer's). */
  get taskMemory (): number | undefined { return this.#taskMemory }
  get checkpointing (): { readonly intervalMs: number, readonly mode: CheckpointingMode, readonly timeoutMs: number | undefined } | undefined { return this.#checkpointing }
  /** The strategy that applies: the one set, else unlimited restarts with checkpoints, else none. */
  get restartStrategy (): RestartStrategy { return effectiveRestartStrategy(this.#restartStrategy, this.#checkpointing !== undefined) }

  /**
   * Sets each task's memory budget (bytes, or text such as '256m', '1g'): sorts, groupings
   * and joins that hold more spill to disk. Without it the peer's `--task-memory` applies.
   */
  setTaskMemory (size: number | string): this {
    this.#taskMemory = memorySize('Task memory', size)
    return this
  }

  setParallelism (parallelism: number): this {
    this.#parallelism = positiveInt('Parallelism', parallelism)
    return this
  }

  setMaxParallelism (maxParallelism: number): this {
    this.#maxParallelism = positiveInt('Max parallelism', maxParallelism)
    return this
  }

  /**
   * Takes a checkpoint every `intervalMs` (exactly-once: barriers are aligned). A failed job
   * then restarts from its latest completed checkpoint as its restart strategy allows, and
   * two-phase-commit sinks (the file sink) make output visible only when a checkpoint
   * completes. `timeoutMs` (default 60 s) aborts a checkpoint that takes longer. The
   * `'at-least-once'` mode is accepted and, in this version, runs aligned like
   * `'exactly-once'` (Flink's unaligned variant is not built).
   */
  enableCheckpointing (intervalMs: number, options: { mode?: CheckpointingMode, timeoutMs?: number } = {}): this {
    positiveInt('Checkpoint interval', intervalMs)
    if (options.mode !== undefined && options.mode !== 'exactly-once' && options.mode !== 'at-least-once') {
      throw new InvalidArgumentError(`Checkpointing mode must be 'exactly-once' or 'at-least-once', got ${String(options.mode)}`)
    }
    if (options.timeoutMs !== undefined) positiveInt('Checkpoint timeout', options.timeoutMs)
    this.#checkpointing = { intervalMs, mode: options.mode ?? 'exactly-once', timeoutMs: options.timeoutMs }
    return this
  }

  /**
   * How a failed job restarts: `{ kind: 'none' }`, `{ kind: 'fixed-delay', attempts, delayMs }`
   * or `{ kind: 'exponential-delay', initialDelayMs, maxDelayMs, attempts? }`. Restarts
   * resume from the latest checkpoint, so they need checkpointing. Default with
   * checkpoints: fixed delay of 200 ms without limit; without: none.
   */
  setRestartStrategy (strategy: RestartStrategy): this {
    this.#restartStrategy = validRestartStrategy(strategy)
    return this
  }

  /**
   * How a job runs (Flink's `RuntimeExecutionMode`): `'streaming'` deploys every subtask at
   * once with live channels and checkpoints; `'batch'` runs a bounded job stage by stage —
   * every exchange other than forward is blocking (the producing stage writes its output to
   * the block store before the next stage reads it), there are no watermarks or checkpoints,
   * a job needs only one free slot to run, and a failure re-runs only the regions it lost.
   * `'automatic'` (the default) is batch when every source is a dataset scan
   * (`readDataset`, `datasetSource`) and the job takes no checkpoints, else streaming.
   */
  setRuntimeMode (mode: RuntimeExecutionMode): this {
    if (mode !== 'streaming' && mode !== 'batch' && mode !== 'automatic') {
      throw new InvalidArgumentError(`Runtime mode must be 'streaming', 'batch' or 'automatic', got ${String(mode)}`)
    }
    this.#runtimeMode = mode
    return this
  }

  /** The runtime mode set (see `setRuntimeMode`). */
  get runtimeMode (): RuntimeExecutionMode { return this.#runtimeMode }

  disableOperatorChaining (): this {
    this.#chaining = false
    return this
  }

  /** @internal Registers a transformation of this job. */
  addTransformation (init: TransformationInit): Transformation {
    const t = new Transformation(this.#transformations.length, init)
    this.#transformations.push(t)
    if (t.isSink) this.#sinks.push(t)
    return t
  }

  /** Adds a source; `name` names its operator in errors and listings. */
  fromSource<T> (source: Source<T, any>, watermarks: WatermarkStrategy<T> = WatermarkStrategy.noWatermarks<T>(), name = 'source'): DataStream<T> {
    if (source === null || typeof source !== 'object' || typeof source.createReader !== 'function' || typeof source.createSplits !== 'function') {
      throw new InvalidArgumentError(`fromSource('${name}') needs a Source (an object with createSplits and createReader)`)
    }
    if (!(watermarks instanceof WatermarkStrategy)) throw new InvalidArgumentError(`fromSource('${name}') needs a WatermarkStrategy as its second argument`)
    return new DataStream<T>(this, this.addTransformation({ kind: 'source', name, source, watermarks }))
  }

  /** A bounded, non-parallel stream of the given elements, in order. */
  fromCollection<T> (items: readonly T[], watermarks?: WatermarkStrategy<T>, name = 'collection'): DataStream<T> {
    const source: Source<T, SourceSplit & { next: number }> = collectionSource(items)
    return new DataStream<T>(this, this.addTransformation({
      kind: 'source', name, source, watermarks: watermarks ?? WatermarkStrategy.noWatermarks<T>(), nonParallel: true
    }))
  }

  /**
   * @internal Adds a check run before the job graph is built: it throws to refuse a
   * pipeline left incomplete (a DataSet join builder without `with`, for example).
   */
  addBuildCheck (check: () => void): void {
    this.#buildChecks.push(check)
  }

  /**
   * Reads dataset `name` as a bounded DataSet of records: the version the job is pinned to
   * when it is submitted (the latest then), or `options.version` (a retained one). Only
   * `columns` are read when given, and `predicate` is pushed into the scan: segments whose
   * statistics rule it out are skipped, and rows failing it never leave the scan. Each
   * partition is one split, so at a parallelism equal to the dataset's partition count
   * subtask p reads partition p.
   */
  readDataset<T = Record<string, unknown>> (name: string, options: ReadDatasetOptions = {}): DataSet<T> {
    checkDatasetName('readDataset', name)
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`readDataset('${name}') takes an options object`)
    if (options.version !== undefined && (!Number.isInteger(options.version) || options.version < 1)) {
      throw new InvalidArgumentError(`readDataset('${name}'): version must be a positive integer, got ${String(options.version)}`)
    }
    if (options.columns !== undefined && (!Array.isArray(options.columns) || options.columns.some(c => typeof c !== 'string'))) {
      throw new InvalidArgumentError(`readDataset('${name}'): columns must be an array of column names`)
    }
    const known = this.#catalog?.lookup(name, options.version)
    if (known === undefined && this.#catalog?.strict === true) {
      throw new InvalidArgumentError(options.version === undefined ? `Dataset '${name}' does not exist` : `Dataset '${name}' has no retained version ${options.version}`)
    }
    let schema = known?.schema
    if (schema !== undefined) {
      if (options.columns !== undefined) {
        const missing = options.columns.find(c => !schema!.columns.some(col => col.name === c))
        if (missing !== undefined) throw new InvalidArgumentError(`readDataset('${name}'): no column '${missing}' (columns: ${schema.columns.map(c => c.name).join(', ')})`)
        schema = { columns: schema.columns.filter(c => options.columns!.includes(c.name)) }
      }
      if (options.predicate !== undefined) validatePredicate(known!.schema, options.predicate)
    }
    const source = datasetSource(name, options)
    const t = this.addTransformation({ kind: 'source', name: `dataset ${name}`, source, watermarks: WatermarkStrategy.noWatermarks() })
    return DataSet.fromTransformation<T>(this, t, {
      ...(known === undefined ? {} : { estimatedRows: known.rows }),
      ...(schema === undefined ? {} : { schema }),
      ...(known?.partitioning === undefined ? {} : { partitioning: known.partitioning }),
      scan: { name, options }
    }, `readDataset('${name}')`)
  }

  /**
   * @internal What the catalog knows, for checks while the job is built: with `strict`
   * (where the job is submitted), reading a dataset the catalog lacks fails the build.
   */
  attachDatasetCatalog (catalog: DatasetCatalogView): void {
    this.#catalog = catalog
  }

  /** @internal The catalog attached where the job is submitted (undefined in the first build of a job module). */
  get datasetCatalog (): DatasetCatalogView | undefined { return this.#catalog }

  /**
   * A SQL query over the datasets of the mesh and the tables registered with
   * `registerTable`, planned onto this job (node/sql): a DataSet of records keyed by the
   * query's column names. Errors name the problem and its `line:column`.
   *
   * Streaming SQL (node/sql/streaming): the text may hold several statements separated by
   * `;` — `CREATE TABLE t (…, WATERMARK FOR ts AS …) WITH ('connector' = …)` declares a
   * connector table, `INSERT INTO t SELECT …` writes into one — and the last statement's
   * output is returned: a DataStream for a query reading a connector table, the sink for
   * an INSERT. The type parameter says which the caller expects (default a DataSet).
   *
   * @example
   * env.sql<DataStream<Record<string, unknown>>>(`CREATE TABLE clicks (…) WITH (…); SELECT … FROM clicks WHERE …`)
   * @throws SqlError subclasses (SqlSyntaxError, SqlUnknownColumnError, SqlDdlError, …)
   */
  sql<R extends SqlOutput = DataSet<Record<string, unknown>>> (query: string): R {
    if (typeof query !== 'string') throw new InvalidArgumentError('sql needs the query text')
    return environmentSql({ env: this, tables: this.#sqlTables, datasets: this.#catalog }, query) as R
  }

  /**
   * Makes `data` queryable by `env.sql` as table `name`. Its columns are its schema when
   * known (a dataset scan's), else `schema` must name them: `{ columns: [{ name, type }] }`.
   */
  registerTable (name: string, data: DataSet<any>, schema?: DatasetSchema): this {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidArgumentError(`registerTable: ${JSON.stringify(name)} is not a table name (letters, digits and _, not starting with a digit)`)
    if (!(data instanceof DataSet) || data.environment !== this) throw new InvalidArgumentError(`registerTable('${name}') needs a DataSet of this environment`)
    const columns = schema ?? data.schema
    if (columns === undefined) throw new InvalidArgumentError(`registerTable('${name}') needs the table's columns: pass a schema { columns: [{ name, type }] }`)
    this.#sqlTables.set(name, { name, data, schema: columns })
    return this
  }

  /** @internal Set by env.sql in a build without a dataset catalog (see node/sql/environment-sql.ts). */
  markSqlAwaitingCatalog (tables: readonly string[]): void {
    this.#sqlAwaitingCatalog = tables
  }

  /** @internal The datasets a query of this environment could not plan without the catalog, if any. */
  get sqlAwaitingCatalog (): readonly string[] | undefined { return this.#sqlAwaitingCatalog }

  /** The job graph this environment would run (operator ids, chaining, parallelism). */
  getJobGraph (): JobGraph {
    for (const check of this.#buildChecks) check()
    return buildJobGraph(this.#sinks, { parallelism: this.#parallelism, maxParallelism: this.#maxParallelism, chaining: this.#chaining })
  }

  /**
   * Runs the job in this process on an embedded mesh of one (a peer that is JobManager and
   * TaskManager at once, its store in a temporary folder) and resolves when a bounded job
   * has finished: checkpoints, restarts and sinks' commits work as on a mesh.
   */
  async execute (jobName = 'meshflow job', options: ExecuteOptions = {}): Promise<JobExecutionResult> {
    // the control plane is loaded on first use: declaring a job does not need it
    if (this.#sqlAwaitingCatalog !== undefined) {
      throw new JobDefinitionError(`env.sql reads dataset(s) ${this.#sqlAwaitingCatalog.map(n => `'${n}'`).join(', ')}, whose schemas a pipeline run with execute() does not have: run the job as a module (meshflow run, peer.submit), or query with SqlSession`)
    }
    const { executeEmbedded } = await import('../cluster/embedded-execution.ts')
    return await executeEmbedded(this, jobName, options)
  }
}

export { DEFAULT_MAX_PARALLELISM }

/** See `StreamEnvironment.setRuntimeMode`. */
export type RuntimeExecutionMode = 'streaming' | 'batch' | 'automatic'

/** How readDataset reads (see StreamEnvironment.readDataset). */
export interface ReadDatasetOptions extends ScanSpec {
  /** A retained version (default: the version the job is pinned to, the latest at submit). */
  readonly version?: number
}

/**
 * What the build of a job may know of the catalog: the schema and size of a dataset's
 * version and its partitioning (a join of scans partitioned alike on its key needs no shuffle).
 */
export interface DatasetCatalogView {
  readonly strict: boolean
  lookup(name: string, version?: number): { readonly schema: DatasetSchema, readonly rows: number, readonly partitioning?: Partitioning } | undefined
  /** The datasets' names (for SQL's did-you-mean), when known. */
  names?(): readonly string[]
}
