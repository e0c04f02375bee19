/**
 * DataStream and KeyedStream: the fluent API that declares a pipeline. Every call adds a
 * transformation to the environment; nothing runs until `env.execute()`.
 *
 * @example
 * env.fromSource(source, strategy, 'sales')
 *   .filter(s => s.amount > 0)
 *   .keyBy(s => s.store)
 *   .window(TumblingEventTimeWindows.of(60_000))
 *   .aggregate(sumOfAmounts)
 *   .uid('revenue-per-store')
 *   .sinkTo(fileSink({ path: 'out/revenue', format: 'jsonl' }))
 */
import type {
  AggregateFunction, FilterFunction, FlatMapFunction, KeyedProcessFunction, KeySelector,
  MapFunction, ProcessFunction, ReduceFunction
} from './functions.ts'
import { isSinkTopology, type Sink, type SinkTopology } from './sink.ts'
import type { StreamEnvironment, JobExecutionResult } from './stream-environment.ts'
import { CountTrigger, GlobalWindows, type WindowAssigner } from './windows.ts'
import type { Transformation } from '../graph/transformation.ts'
import type { OutputTag } from './output-tag.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { instancePerSubtask, type FunctionOrFactory } from './function-instances.ts'
import { CollectedOutput, collectSink } from './collect-sink.ts'
import { printSink } from './print-sink.ts'
import { ConnectedStreams } from './connected-streams.ts'
import { DataSet } from './data-set.ts'
import { WindowedStream } from './windowed-stream.ts'
import { MapOperator } from '../runtime/operators/map-operator.ts'
import { FilterOperator } from '../runtime/operators/filter-operator.ts'
import { FlatMapOperator } from '../runtime/operators/flat-map-operator.ts'
import { ProcessOperator } from '../runtime/operators/process-operator.ts'
import { KeyedProcessOperator } from '../runtime/operators/keyed-process-operator.ts'
import { KeyedAggregateOperator, reduceAsAggregate } from '../runtime/operators/keyed-aggregate-operator.ts'
import { SinkOperator } from '../runtime/operators/sink-operator.ts'
import type { StreamOperator } from '../runtime/stream-operator.ts'

function needFunction (what: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new InvalidArgumentError(`${what} needs a function, got ${typeof fn}`)
}

function needFunctionObject (what: string, fn: unknown, method: string): void {
  if (typeof fn === 'function') return // a factory, checked when called
  needObjectWith(what, fn, method)
}

function needObjectWith (what: string, obj: unknown, method: string): void {
  if (typeof obj !== 'object' || obj === null || typeof (obj as Record<string, unknown>)[method] !== 'function') {
    throw new InvalidArgumentError(`${what} needs an object with a ${method} method`)
  }
}

export class DataStream<T> {
  readonly environment: StreamEnvironment
  /** @internal */
  readonly transformation: Transformation

  constructor (environment: StreamEnvironment, transformation: Transformation) {
    this.environment = environment
    this.transformation = transformation
  }

  /** @internal Adds a one-input operator reading this stream. */
  protected addOperator<R> (name: string, factory: () => StreamOperator, keyed?: KeySelector<any>): DataStream<R> {
    const t = this.environment.addTransformation({
      kind: 'operator',
      name,
      inputs: [this.transformation],
      factory,
      ...(keyed === undefined ? {} : { keySelectors: [keyed] })
    })
    return new DataStream<R>(this.environment, t)
  }

  #physical (what: string): Transformation {
    const t = this.transformation
    if (!t.physical) throw new JobDefinitionError(`${what} applies to an operator; call it right after the operator (map, process, window aggregate …), not after keyBy, union or a partitioning`)
    return t
  }

  /** A stable id for the operator: state in savepoints is matched by it. */
  uid (uid: string): this {
    if (typeof uid !== 'string' || uid.length === 0) throw new InvalidArgumentError('uid needs a non-empty string')
    this.#physical('uid()').uid = uid
    return this
  }

  /** A readable name for the operator, used in errors and listings. */
  name (name: string): this {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('name needs a non-empty string')
    this.#physical('name()').name = name
    return this
  }

  setParallelism (parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError(`Parallelism must be a positive integer, got ${parallelism}`)
    this.#physical('setParallelism()').parallelism = parallelism
    return this
  }

  /** Runs this operator only on peers whose labels include all of `labels`. */
  placement (labels: Readonly<Record<string, string>>): this {
    this.#physical('placement()').placement = { ...labels }
    return this
  }

  /** Keeps this operator out of the chains of its neighbours (its own task). */
  disableChaining (): this {
    this.#physical('disableChaining()').chaining = false
    return this
  }

  map<R> (fn: MapFunction<T, R>): DataStream<R> {
    needFunction('map', fn)
    return this.addOperator<R>('map', () => new MapOperator(fn))
  }

  /** Keeps the records `fn` accepts; a type guard `(v): v is S => …` narrows the stream to `S`. */
  filter<S extends T> (fn: (value: T) => value is S): DataStream<S>
  filter (fn: FilterFunction<T>): DataStream<T>
  filter (fn: FilterFunction<T>): DataStream<T> {
    needFunction('filter', fn)
    return this.addOperator<T>('filter', () => new FilterOperator(fn))
  }

  flatMap<R> (fn: FlatMapFunction<T, R>): DataStream<R> {
    needFunction('flatMap', fn)
    return this.addOperator<R>('flatMap', () => new FlatMapOperator(fn))
  }

  /**
   * Element-wise processing with side outputs (`ctx.output(tag, v)`). Each subtask gets its
   * own copy of `fn` (or calls it when it is a factory `() => fn`).
   */
  process<R> (fn: FunctionOrFactory<ProcessFunction<T, R>>): DataStream<R> {
    needFunctionObject('process', fn, 'processElement')
    const make = instancePerSubtask(fn, 'process', 'processElement')
    return this.addOperator<R>('process', () => new ProcessOperator(make()))
  }

  /** Partitions by key: records with equal keys go to the same subtask and share keyed state. */
  keyBy<K> (key: KeySelector<T> & ((value: T) => K)): KeyedStream<T, K> {
    needFunction('keyBy', key)
    const t = this.environment.addTransformation({ kind: 'partition', name: 'keyBy', inputs: [this.transformation], partition: 'hash', keySelector: key })
    return new KeyedStream<T, K>(this.environment, t, key)
  }

  /** Spreads records round-robin over the next operator's subtasks. */
  rebalance (): DataStream<T> {
    return this.#partition('rebalance')
  }

  /** Sends every record to every subtask of the next operator. */
  broadcast (): DataStream<T> {
    return this.#partition('broadcast')
  }

  /** Subtask i feeds subtask i of the next operator (equal parallelism required). */
  forward (): DataStream<T> {
    return this.#partition('forward')
  }

  #partition (kind: 'rebalance' | 'broadcast' | 'forward'): DataStream<T> {
    return new DataStream<T>(this.environment, this.environment.addTransformation({ kind: 'partition', name: kind, inputs: [this.transformation], partition: kind }))
  }

  /** Merges streams of the same type. */
  union (...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (!(o instanceof DataStream) || o.environment !== this.environment) throw new JobDefinitionError('union needs streams of the same environment')
    }
    return new DataStream<T>(this.environment, this.environment.addTransformation({
      kind: 'union', name: 'union', inputs: [this.transformation, ...others.map(o => o.transformation)]
    }))
  }

  /** Connects two streams for a CoProcessFunction (both keyed: a KeyedCoProcessFunction). */
  connect<U> (other: DataStream<U>): ConnectedStreams<T, U> {
    if (!(other instanceof DataStream) || other.environment !== this.environment) throw new JobDefinitionError('connect needs a stream of the same environment')
    return new ConnectedStreams<T, U>(this, other)
  }

  /** The records the operator emitted with `ctx.output(tag, value)` (or its late data). */
  sideOutput<X> (tag: OutputTag<X>): DataStream<X> {
    this.#physical('sideOutput()')
    return new DataStream<X>(this.environment, this.environment.addTransformation({
      kind: 'side-output', name: `side:${tag.id}`, inputs: [this.transformation], tagId: tag.id
    }))
  }

  /** Flink's name for {@link sideOutput}. */
  getSideOutput<X> (tag: OutputTag<X>): DataStream<X> {
    return this.sideOutput(tag)
  }

  /** Window operations need a key: on a non-keyed stream this fails with a clear error. */
  window (_assigner: WindowAssigner): WindowedStream<T, unknown> {
    throw new JobDefinitionError('window() needs a keyed stream: call keyBy(...) before window(...)')
  }

  /** Writes the stream to `sink`; a sink of several operators (SinkTopology, e.g. `datasetSink`) adds them itself. */
  sinkTo (sink: Sink<T> | SinkTopology<T>, name = 'sink'): DataStreamSink<T> {
    if (typeof sink === 'object' && sink !== null && isSinkTopology(sink)) return sink.addTo(this, name)
    needObjectWith('sinkTo', sink, 'createWriter')
    const t = this.environment.addTransformation({
      kind: 'operator', name, inputs: [this.transformation], factory: () => new SinkOperator(sink as Sink<T>), isSink: true
    })
    return new DataStreamSink<T>(t)
  }

  /** Prints each record to stdout as one line (objects as JSON). */
  print (prefix?: string): DataStreamSink<T> {
    return this.sinkTo(printSink<T>(prefix), 'print')
  }

  /** Gathers the records in this process; `values` is complete once `execute()` resolved. */
  collect (): CollectedOutput<T> {
    const out = new CollectedOutput<T>()
    this.sinkTo(collectSink(out), 'collect')
    return out
  }

  /**
   * This bounded stream as a DataSet (`env.fromCollection(xs).toDataSet()`); fails at build
   * time when a source it reads is unbounded. `estimatedRows` (when known) lets joins and
   * cross pick the side to build or broadcast.
   */
  toDataSet (options: { estimatedRows?: number } = {}): DataSet<T> {
    const rows = options.estimatedRows
    if (rows !== undefined && (!Number.isInteger(rows) || rows < 0)) throw new InvalidArgumentError(`toDataSet estimatedRows must be a non-negative integer, got ${String(rows)}`)
    return DataSet.fromTransformation<T>(this.environment, this.transformation, { estimatedRows: rows }, 'toDataSet()')
  }

  /** Runs the job and resolves with this stream's records (bounded jobs). */
  async executeAndCollect (jobName = 'collect'): Promise<T[]> {
    const out = this.collect()
    await this.environment.execute(jobName)
    return out.values
  }
}

/** The end of a pipeline; names and ids apply to the sink operator. */
export class DataStreamSink<T> {
  readonly #t: Transformation
  declare readonly __type?: T
  constructor (t: Transformation) { this.#t = t }

  uid (uid: string): this { this.#t.uid = uid; return this }
  name (name: string): this { this.#t.name = name; return this }
  setParallelism (parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError(`Parallelism must be a positive integer, got ${parallelism}`)
    this.#t.parallelism = parallelism
    return this
  }

  /** Runs this sink only on peers whose labels include all of `labels` (as `DataStream.placement`). */
  placement (labels: Readonly<Record<string, string>>): this {
    this.#t.placement = { ...labels }
    return this
  }
}

/** A stream partitioned by key. */
export class KeyedStream<T, K = unknown> extends DataStream<T> {
  readonly keySelector: KeySelector<T>
  declare readonly __key?: K

  constructor (environment: StreamEnvironment, transformation: Transformation, keySelector: KeySelector<T>) {
    super(environment, transformation)
    this.keySelector = keySelector
  }

  /**
   * Keyed processing with keyed state and timers. Each subtask gets its own copy of `fn`
   * (or calls it when it is a factory `() => fn`), so state handles kept in its fields are
   * the subtask's own.
   */
  override process<R> (fn: FunctionOrFactory<KeyedProcessFunction<T, R>>): DataStream<R> {
    needFunctionObject('process', fn, 'processElement')
    const make = instancePerSubtask(fn, 'process', 'processElement')
    return this.addOperator<R>('process', () => new KeyedProcessOperator(make()), this.keySelector)
  }

  /** Rolling reduce: emits the running result per key for every record. */
  reduce (fn: ReduceFunction<T>): DataStream<T> {
    needFunction('reduce', fn)
    return this.addOperator<T>('reduce', () => new KeyedAggregateOperator(reduceAsAggregate(fn)), this.keySelector)
  }

  /** Rolling aggregate: emits the running result per key for every record. */
  aggregate<ACC, R> (fn: AggregateFunction<T, ACC, R>): DataStream<R> {
    needObjectWith('aggregate', fn, 'add')
    return this.addOperator<R>('aggregate', () => new KeyedAggregateOperator(fn), this.keySelector)
  }

  override window (assigner: WindowAssigner): WindowedStream<T, K> {
    if (typeof assigner !== 'object' || assigner === null || !('kind' in assigner)) {
      throw new InvalidArgumentError('window needs a window assigner such as TumblingEventTimeWindows.of(60_000)')
    }
    return new WindowedStream<T, K>(this, assigner)
  }

  /** Windows of `size` elements per key (a global window with a purging count trigger). */
  countWindow (size: number): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this, GlobalWindows.create()).trigger(CountTrigger.purging(size))
  }

  /** @internal */
  addKeyedOperator<R> (name: string, factory: () => StreamOperator): DataStream<R> {
    return this.addOperator<R>(name, factory, this.keySelector)
  }
}

export type { JobExecutionResult }
