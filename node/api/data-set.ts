/**
 * DataSet: the API for bounded data (Flink's DataSet API names, idiomatic TypeScript). A
 * DataSet is a transformation of the same job graph a DataStream builds; its operators
 * (node/runtime/operators/batch) hold their input until it ends and emit then, so a job
 * mixing both runs on the same runtime. Nothing runs until `env.execute()`.
 *
 * Entry points: `stream.toDataSet()` on a bounded stream (`env.fromCollection(xs)
 * .toDataSet()`), and `DataSet.fromTransformation` for sources that know they are bounded
 * (dataset scans).
 *
 * @example
 * const env = StreamEnvironment.create({ parallelism: 4 })
 * const sales = env.fromCollection(rows).toDataSet()
 * const perStore = sales.groupBy('store').aggregate({ revenue: sum('amount'), n: count() }).collect()
 * await env.execute('revenue')   // perStore.values: [{ store, revenue, n }, …]
 */
import type { Collector, FlatMapFunction, MapFunction, ReduceFunction } from './functions.ts'
import type { StreamEnvironment } from './stream-environment.ts'
import type { Sink } from './sink.ts'
import type { Transformation, TransformationInit } from '../graph/transformation.ts'
import type { DatasetSchema, Partitioning } from './dataset-schema.ts'
import type { StreamOperator } from '../runtime/stream-operator.ts'
import type { DatasetSourceOptions } from '../runtime/datasets/dataset-source.ts'
import { DataStream, DataStreamSink } from './data-stream.ts'
import { InvalidArgumentError, JobDefinitionError } from './errors.ts'
import { CollectedOutput, collectSink } from './collect-sink.ts'
import { printSink } from './print-sink.ts'
import { partitionKey, resolveKey, type KeySpec, type ResolvedKey } from './data-set-keys.ts'
import { isAggregator, type AggregateResult, type AggregateSpec, type Aggregator } from './aggregators.ts'
import { aggregateCombiner, checkColumns, inheritedParallelism, needFunction, scanAggregation } from './data-set-support.ts'
import { GroupedDataSet } from './grouped-data-set.ts'
import { CoGroupBuilder, JoinBuilder, crossTransformation, type JoinOptions, type CrossOptions } from './data-set-join.ts'
import { MapOperator } from '../runtime/operators/map-operator.ts'
import { FilterOperator } from '../runtime/operators/filter-operator.ts'
import { FlatMapOperator } from '../runtime/operators/flat-map-operator.ts'
import { MapPartitionOperator, type MapPartitionFunction } from '../runtime/operators/batch/map-partition-operator.ts'
import { DistinctOperator } from '../runtime/operators/batch/distinct-operator.ts'
import { FirstNOperator } from '../runtime/operators/batch/first-n-operator.ts'
import { SortOperator, type SortDirection } from '../runtime/operators/batch/sort-operator.ts'
import { PartialAggregateOperator } from '../runtime/operators/batch/partial-aggregate-operator.ts'
import { FinalAggregateOperator } from '../runtime/operators/batch/final-aggregate-operator.ts'
import { countCombiner, reduceCombiner, type Combiner } from '../runtime/operators/batch/combiner.ts'
import { addDatasetWrite, type WriteDatasetOptions } from './dataset-write.ts'
import { iterate, type IterateOptions, type IterationStep } from './data-set-iterate.ts'

/** What a DataSet knows about its rows beyond their type (all optional). */
export interface DataSetProps {
  /** An estimate of the row count (a dataset's manifest knows it): joins build the smaller side. */
  readonly estimatedRows?: number | undefined
  /** The columns of its records, when known: column names are checked at build time. */
  readonly schema?: DatasetSchema | undefined
  /**
   * Its rows are in order in one subtask (after orderBy): order-preserving operations
   * (map, filter, flatMap, project, first, mapPartition, collect, print) then run at
   * parallelism 1 to keep that order.
   */
  readonly ordered?: boolean
  /**
   * How a dataset scan's rows are partitioned (set by readDataset, never carried by an
   * operation): a join on the hash column of scans read partition p by subtask p needs no shuffle.
   */
  readonly partitioning?: Partitioning | undefined
  /**
   * The dataset scan this set is (set by readDataset on its own DataSet, never carried by
   * an operation): an aggregation right after it runs fused into the scan, over columns.
   */
  readonly scan?: { readonly name: string, readonly options: DatasetSourceOptions } | undefined
}

/** Emits each element of what `fn` returns, or what it gives `out.collect` (both forms work). */
export type DataSetFlatMapFunction<T, R> = (value: T, out: Collector<R>) => Iterable<R> | null | undefined | void

export class DataSet<T> {
  readonly environment: StreamEnvironment
  /** @internal */
  readonly transformation: Transformation
  /** @internal */
  readonly props: DataSetProps

  /** @internal Use `stream.toDataSet()` or `DataSet.fromTransformation`. */
  constructor (environment: StreamEnvironment, transformation: Transformation, props: DataSetProps = {}) {
    this.environment = environment
    this.transformation = transformation
    this.props = props
  }

  /**
   * @internal A DataSet over a transformation of `env` (a dataset scan's source, for
   * example). Fails when anything it reads is unbounded: `what` names the call in the message.
   */
  static fromTransformation<T> (env: StreamEnvironment, t: Transformation, props: DataSetProps = {}, what = 'DataSet'): DataSet<T> {
    assertBounded(t, what)
    return new DataSet<T>(env, t, props)
  }

  /** An estimate of its row count, when known. */
  get estimatedRows (): number | undefined { return this.props.estimatedRows }
  /** Its schema, when known. */
  get schema (): DatasetSchema | undefined { return this.props.schema }

  /** @internal A DataSet over `t`, a transformation of this set's environment. */
  derive<R> (t: Transformation, props: DataSetProps): DataSet<R> {
    return new DataSet<R>(this.environment, t, props)
  }

  /** @internal Adds an operator reading `inputs` (default: this set). */
  addOperator<R> (name: string, factory: () => StreamOperator, props: DataSetProps = {}, init: Partial<TransformationInit> & { parallelism?: number | undefined } = {}): DataSet<R> {
    const { parallelism, ...rest } = init
    const t = this.environment.addTransformation({ kind: 'operator', name, inputs: [this.transformation], factory, ...rest })
    if (parallelism !== undefined) t.parallelism = parallelism
    return new DataSet<R>(this.environment, t, props)
  }

  /** @internal The same rows shuffled by `key` (every row of a key in one subtask). */
  partitionByKey (key: ResolvedKey<T>): Transformation {
    const select = key.select
    return this.environment.addTransformation({ kind: 'partition', name: 'hash', inputs: [this.transformation], partition: 'hash', keySelector: (v: T) => partitionKey(select(v)) })
  }

  /** @internal A key for `what`, with its columns checked against the schema when known. */
  keyOf (what: string, spec: unknown): ResolvedKey<T> {
    const key = resolveKey<T>(what, spec)
    if (key.columns !== undefined) checkColumns(what, this.props.schema, key.columns)
    return key
  }

  /** An order-preserving one-input operation: at parallelism 1 after orderBy. */
  #keepOrder<R> (name: string, factory: () => StreamOperator, props: DataSetProps = {}): DataSet<R> {
    const ordered = this.props.ordered === true
    return this.addOperator<R>(name, factory, { ...props, ordered }, { parallelism: ordered ? 1 : undefined })
  }

  /** A readable name for the last operator (errors and listings). */
  name (name: string): this {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError('name needs a non-empty string')
    this.#physical('name()').name = name
    return this
  }

  /** The parallelism of the last operator. */
  setParallelism (parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError(`Parallelism must be a positive integer, got ${parallelism}`)
    this.#physical('setParallelism()').parallelism = parallelism
    return this
  }

  #physical (what: string): Transformation {
    if (!this.transformation.physical) throw new JobDefinitionError(`${what} applies to an operator; call it right after one (map, groupBy(...).reduce …), not after union`)
    return this.transformation
  }

  map<R> (fn: MapFunction<T, R>): DataSet<R> {
    needFunction('map', fn)
    return this.#keepOrder<R>('map', () => new MapOperator(fn), { estimatedRows: this.props.estimatedRows })
  }

  /** Keeps the rows `fn` accepts. */
  filter<S extends T> (fn: (value: T) => value is S): DataSet<S>
  filter (fn: (value: T) => boolean): DataSet<T>
  filter (fn: (value: T) => boolean): DataSet<T> {
    needFunction('filter', fn)
    return this.#keepOrder<T>('filter', () => new FilterOperator(fn), { estimatedRows: this.props.estimatedRows, schema: this.props.schema })
  }

  /**
   * Zero or more rows per row: `fn` returns an iterable (an array, a generator …), or
   * calls `out.collect(x)` (the DataStream form), or both.
   */
  flatMap<R> (fn: DataSetFlatMapFunction<T, R>): DataSet<R> {
    needFunction('flatMap', fn)
    const f = fn
    const both: FlatMapFunction<T, R> = (value, out) => {
      const r = f(value, out)
      if (r === undefined || r === null) return
      if (typeof (r as Iterable<R>)[Symbol.iterator] !== 'function') throw new TypeError(`flatMap must return an iterable or nothing, got ${typeof r}`)
      for (const x of r as Iterable<R>) out.collect(x)
    }
    return this.#keepOrder<R>('flatMap', () => new FlatMapOperator(both))
  }

  /**
   * Bulk iteration: runs `step` up to `maxIterations` times, each over the rows of the
   * superstep before, and yields the last superstep's rows; a step returning `{ next,
   * termination }` stops after the first superstep whose termination set is empty. Data
   * the step reads every time goes in `options.statics`. Runs in one subtask's memory
   * (see data-set-iterate.ts).
   */
  iterate<S extends Record<string, DataSet<any>> = Record<string, never>> (maxIterations: number, step: IterationStep<T, S>, options: IterateOptions<S> = {}): DataSet<T> {
    return iterate(this, maxIterations, step, options)
  }

  /** Calls `fn` once per subtask with all of its rows; emits what it returns. */
  mapPartition<R> (fn: MapPartitionFunction<T, R>): DataSet<R> {
    needFunction('mapPartition', fn)
    return this.#keepOrder<R>('mapPartition', () => new MapPartitionOperator(fn))
  }

  /** Keeps the given columns of record rows (a missing field becomes null). */
  project<K extends keyof T & string> (...columns: K[]): DataSet<Pick<T, K>> {
    const cols = columns.flat() as string[]
    if (cols.length === 0 || !cols.every(c => typeof c === 'string' && c.length > 0)) {
      throw new InvalidArgumentError(`project needs column names, got ${JSON.stringify(columns)}`)
    }
    if (new Set(cols).size !== cols.length) throw new InvalidArgumentError(`project names a column twice: ${cols.join(', ')}`)
    const schema = this.props.schema
    checkColumns('project', schema, cols)
    const pick = (row: any): any => {
      const out: Record<string, unknown> = {}
      for (const c of cols) out[c] = row?.[c] ?? null
      return out
    }
    const projected = schema === undefined ? undefined : { columns: cols.map(c => schema.columns.find(s => s.name === c)!) }
    return this.#keepOrder('project', () => new MapOperator(pick), { estimatedRows: this.props.estimatedRows, schema: projected })
  }

  /** All rows of this set and the others (no order, duplicates kept). */
  union (...others: DataSet<T>[]): DataSet<T> {
    for (const o of others) {
      if (!(o instanceof DataSet) || o.environment !== this.environment) throw new JobDefinitionError('union needs data sets of the same environment')
    }
    const all = [this, ...others]
    const rows = all.every(d => d.props.estimatedRows !== undefined) ? all.reduce((n, d) => n + d.props.estimatedRows!, 0) : undefined
    const schema = all.every(d => JSON.stringify(d.props.schema) === JSON.stringify(this.props.schema)) ? this.props.schema : undefined
    const t = this.environment.addTransformation({ kind: 'union', name: 'union', inputs: all.map(d => d.transformation) })
    return new DataSet<T>(this.environment, t, { estimatedRows: rows, schema })
  }

  /**
   * One row per distinct key (default: the whole row, compared by value, objects by their
   * JSON). With a key, which row of a key is kept is not defined at parallelism > 1.
   * Null keys are one key.
   */
  distinct (key?: KeySpec<T>): DataSet<T> {
    const k = key === undefined ? { select: (v: T) => v, columns: undefined } : this.keyOf('distinct', key)
    const partial = this.addOperator<T>('distinct-combine', () => new DistinctOperator(k.select), {}, { parallelism: inheritedParallelism(this.transformation) })
    const shuffled = new DataSet<T>(this.environment, partial.partitionByKey(k))
    return shuffled.addOperator<T>('distinct', () => new DistinctOperator(k.select), { schema: this.props.schema })
  }

  /** Groups rows by key for reduce, aggregate or reduceGroup. A null key forms one group. */
  groupBy (key: KeySpec<T>): GroupedDataSet<T> {
    return new GroupedDataSet<T>(this, this.keyOf('groupBy', key))
  }

  /** @internal A whole-set reduction: a combiner per subtask, merged in one subtask. */
  combineAll<R> (name: string, combiner: Combiner<T, any, R>, aggregates?: readonly Aggregator<T, any, any>[]): DataSet<R> {
    const fused = aggregates === undefined ? undefined : scanAggregation(this, [], aggregates, combiner)
    const partial = fused !== undefined
      ? this.derive<unknown>(fused, {})
      : this.addOperator<unknown>(`${name}-combine`, () => new PartialAggregateOperator({ key: undefined, combiner }), {}, { parallelism: inheritedParallelism(this.transformation) })
    return partial.addOperator<R>(name, () => new FinalAggregateOperator({ grouped: false, combiner }), { estimatedRows: 1, ordered: true }, { parallelism: 1 })
  }

  /** Reduces all rows to one (no row when the set is empty). */
  reduce (fn: ReduceFunction<T>): DataSet<T> {
    needFunction('reduce', fn)
    return this.combineAll('reduce', reduceCombiner(fn))
  }

  /**
   * One record of aggregates over all rows, also for an empty set (count 0, the others
   * null): `aggregate({ total: sum('amount'), n: count() })`.
   */
  aggregate<S extends AggregateSpec<T>> (spec: S): DataSet<AggregateResult<S>> {
    const names = checkSpec('aggregate', spec, this.props.schema)
    return this.combineAll('aggregate', aggregateCombiner(spec, names, undefined), names.map(n => spec[n]!))
  }

  /** The number of rows, as a set of one element (so it composes). */
  count (): DataSet<number> {
    return this.combineAll('count', countCombiner() as Combiner<T, number, number>)
  }

  /** The first `n` rows (after orderBy: the top n; else any n). */
  first (n: number): DataSet<T> {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`first needs a positive integer count, got ${String(n)}`)
    const rows = this.props.estimatedRows === undefined ? n : Math.min(n, this.props.estimatedRows)
    const props = { estimatedRows: rows, schema: this.props.schema, ordered: true }
    if (this.props.ordered === true) return this.addOperator<T>('first', () => new FirstNOperator(n), props, { parallelism: 1 })
    const partial = this.addOperator<T>('first-local', () => new FirstNOperator(n), {}, { parallelism: inheritedParallelism(this.transformation) })
    return partial.addOperator<T>('first', () => new FirstNOperator(n), props, { parallelism: 1 })
  }

  /** Flink's and SQL's other name for {@link first}. */
  limit (n: number): DataSet<T> {
    return this.first(n)
  }

  /**
   * A global sort by key: a column, an array of columns or a function (arrays compare
   * element by element); null keys first in 'asc', last in 'desc'. Stable: rows with equal
   * keys keep the order in which the upstream subtask produced them (at parallelism 1, the
   * input order), so `orderBy(b).orderBy(a)` orders by a, then b. The result is in one
   * subtask; what follows it keeps the order (see DataSetProps.ordered).
   */
  orderBy (key: KeySpec<T>, direction: SortDirection = 'asc'): DataSet<T> {
    const k = this.keyOf('orderBy', key)
    if (direction !== 'asc' && direction !== 'desc') throw new InvalidArgumentError(`orderBy direction must be 'asc' or 'desc', got ${String(direction)}`)
    const p = this.props.ordered === true ? 1 : inheritedParallelism(this.transformation)
    const local = this.addOperator<unknown>('sort-local', () => new SortOperator({ phase: 'local', key: k.select, direction }), {}, { parallelism: p })
    return local.addOperator<T>('sort', () => new SortOperator({ phase: 'merge', key: k.select, direction }),
      { estimatedRows: this.props.estimatedRows, schema: this.props.schema, ordered: true }, { parallelism: 1 })
  }

  /**
   * An equi-join: `join(other).where(k).equalTo(k).with((a, b) => r)`. A hash join that
   * builds the smaller side when both sizes are known (else the right side), or broadcasts
   * a small side (`options.strategy`, or automatically below a size) instead of shuffling
   * both. Null keys never match.
   */
  join<U> (other: DataSet<U>, options: JoinOptions = {}): JoinBuilder<T, U, U> {
    return new JoinBuilder<T, U, U>(this, other, 'inner', options)
  }

  /** As join, keeping left rows without a match (`with(left, null)`). */
  leftOuterJoin<U> (other: DataSet<U>, options: JoinOptions = {}): JoinBuilder<T, U, U | null> {
    return new JoinBuilder<T, U, U | null>(this, other, 'left', options)
  }

  /** As join, keeping right rows without a match (`with(null, right)`). */
  rightOuterJoin<U> (other: DataSet<U>, options: JoinOptions = {}): JoinBuilder<T, U, U, T | null> {
    return new JoinBuilder<T, U, U, T | null>(this, other, 'right', options)
  }

  /** As join, keeping the rows without a match of both sides. */
  fullOuterJoin<U> (other: DataSet<U>, options: JoinOptions = {}): JoinBuilder<T, U, U | null, T | null> {
    return new JoinBuilder<T, U, U | null, T | null>(this, other, 'full', options)
  }

  /** An inner join that broadcasts `other` (small) to every subtask: this side is not shuffled. */
  joinWithTiny<U> (other: DataSet<U>): JoinBuilder<T, U, U> {
    return new JoinBuilder<T, U, U>(this, other, 'inner', { strategy: 'broadcast-second' })
  }

  /** An inner join that broadcasts this side (small) to every subtask: `other` is not shuffled. */
  joinWithHuge<U> (other: DataSet<U>): JoinBuilder<T, U, U> {
    return new JoinBuilder<T, U, U>(this, other, 'inner', { strategy: 'broadcast-first' })
  }

  /** Groups both sets by key: `coGroup(other).where(k).equalTo(k).with((key, as, bs) => rows)`. */
  coGroup<U> (other: DataSet<U>): CoGroupBuilder<T, U> {
    return new CoGroupBuilder<T, U>(this, other)
  }

  /**
   * Every pair `[a, b]` (or `.with((a, b) => r)`). Refused at run time, before any output,
   * when the product passes `options.maxRows` (default 1,000,000), and at build time when
   * both sizes are known and pass it.
   */
  cross<U> (other: DataSet<U>, options: CrossOptions = {}): CrossDataSet<T, U> {
    const pair = (a: T, b: U): [T, U] => [a, b]
    return new CrossDataSet<T, U>(this, other, options, crossTransformation(this, other, pair, options))
  }

  /** The rows as a DataStream (records without timestamps). */
  toDataStream (): DataStream<T> {
    return new DataStream<T>(this.environment, this.transformation)
  }

  /** Writes the rows to `sink` (at parallelism 1 after orderBy, to keep the order). */
  sinkTo (sink: Sink<T>, name = 'sink'): DataStreamSink<T> {
    const s = this.toDataStream().sinkTo(sink, name)
    if (this.props.ordered === true) s.setParallelism(1)
    return s
  }

  /**
   * Writes the rows (records) to dataset `name` as one new version, committed when the
   * job's input ends: `mode: 'append'` (default) adds them, `'overwrite'` replaces what it
   * held. `partitionBy`/`partitions` choose the partitioning of a new dataset (an existing
   * one keeps its own), `schema` its columns (default: the dataset's, else inferred).
   */
  writeDataset (name: string, options: WriteDatasetOptions = {}): DataStreamSink<T> {
    const ordered = this.props.ordered === true
    return new DataStreamSink<T>(addDatasetWrite(this.environment, this.transformation, name, { ...options, ...(ordered ? { writerParallelism: 1 } : {}) }))
  }

  /** Prints each row to stdout as one line (objects as JSON). */
  print (prefix?: string): DataStreamSink<T> {
    return this.sinkTo(printSink<T>(prefix), 'print')
  }

  /** Gathers the rows in this process; `values` is complete once `execute()` resolved (in order after orderBy). */
  collect (): CollectedOutput<T> {
    const out = new CollectedOutput<T>()
    this.sinkTo(collectSink(out), 'collect')
    return out
  }
}

/** The pairs of a cross product; `with(fn)` makes them one row each instead. */
export class CrossDataSet<T, U> extends DataSet<[T, U]> {
  readonly #left: DataSet<T>
  readonly #right: DataSet<U>
  readonly #options: CrossOptions

  /** @internal */
  constructor (left: DataSet<T>, right: DataSet<U>, options: CrossOptions, t: Transformation) {
    super(left.environment, t, {})
    this.#left = left
    this.#right = right
    this.#options = options
  }

  /** Each pair becomes `fn(a, b)` (instead of the pair `[a, b]`). */
  with<R> (fn: (a: T, b: U) => R): DataSet<R> {
    needFunction('cross with', fn)
    return this.derive<R>(crossTransformation(this.#left, this.#right, fn, this.#options), {})
  }
}

/** @internal Checks an aggregate spec; returns its output names. */
export function checkSpec (what: string, spec: unknown, schema: DatasetSchema | undefined): string[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidArgumentError(`${what} needs an object of named aggregators such as { total: sum('amount'), n: count() }`)
  }
  const names = Object.keys(spec)
  if (names.length === 0) throw new InvalidArgumentError(`${what} needs at least one aggregator`)
  for (const name of names) {
    const a = (spec as Record<string, unknown>)[name]
    if (!isAggregator(a)) throw new InvalidArgumentError(`${what}: '${name}' is not an aggregator (use sum, count, avg, min, max or countDistinct)`)
    if (a.column !== undefined) checkColumns(`${what} '${name}'`, schema, [a.column])
  }
  return names
}

/** @internal Fails when `t` reads an unbounded source (a DataSet is bounded). */
export function assertBounded (t: Transformation, what: string): void {
  const seen = new Set<Transformation>()
  const visit = (x: Transformation): void => {
    if (seen.has(x)) return
    seen.add(x)
    if (x.kind === 'source' && x.source?.bounded !== true) {
      throw new JobDefinitionError(`${what} needs bounded input: source '${x.name}' is unbounded`)
    }
    for (const i of x.inputs) visit(i)
  }
  visit(t)
}
