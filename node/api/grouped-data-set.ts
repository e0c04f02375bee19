/**
 * A DataSet grouped by key (`groupBy(k)`): `reduce`, `aggregate` and `reduceGroup`. Rows
 * with a null (or undefined) key form one group.
 *
 * `reduce` and `aggregate` combine before the shuffle (Flink's combinable reduce): every
 * subtask folds its rows into one partial per key, only the partials are shuffled by key,
 * and the receiving subtask merges them. `reduceGroup` shuffles the rows and sees each
 * group whole.
 *
 * @example
 * sales.groupBy('store').aggregate({ revenue: sum('amount'), n: count() })   // { store, revenue, n }
 * sales.groupBy(s => [s.store, s.day]).reduceGroup((key, rows) => [{ key, n: rows.length }])
 */
import type { ReduceFunction } from './functions.ts'
import type { ResolvedKey } from './data-set-keys.ts'
import type { AggregateResult, AggregateSpec, Aggregator } from './aggregators.ts'
import { DataSet, checkSpec } from './data-set.ts'
import { aggregateCombiner, inheritedParallelism, needFunction, scanAggregation } from './data-set-support.ts'
import { reduceCombiner, type Combiner, type Partial } from '../runtime/operators/batch/combiner.ts'
import { PartialAggregateOperator } from '../runtime/operators/batch/partial-aggregate-operator.ts'
import { FinalAggregateOperator } from '../runtime/operators/batch/final-aggregate-operator.ts'
import { GroupReduceOperator, type GroupReduceFunction } from '../runtime/operators/batch/group-reduce-operator.ts'

const PARTIAL_KEY: ResolvedKey<Partial> = { select: p => p[0], columns: undefined }

export class GroupedDataSet<T> {
  readonly #input: DataSet<T>
  readonly #key: ResolvedKey<T>

  constructor (input: DataSet<T>, key: ResolvedKey<T>) {
    this.#input = input
    this.#key = key
  }

  #combine<R> (name: string, combiner: Combiner<T, any, R>, aggregates?: readonly Aggregator<T, any, any>[]): DataSet<R> {
    const input = this.#input
    const { select, group, columns } = this.#key
    // column keys and built-in aggregates over a dataset scan: folded column by column in the scan
    const fused = aggregates === undefined || columns === undefined ? undefined : scanAggregation(input, columns, aggregates, combiner)
    const partial = fused !== undefined
      ? input.derive<Partial>(fused, {})
      : input.addOperator<Partial>(`${name}-combine`, () => new PartialAggregateOperator({ key: select, group, combiner, columns }), {}, { parallelism: inheritedParallelism(input.transformation) })
    const shuffled = new DataSet<Partial>(input.environment, partial.partitionByKey(PARTIAL_KEY))
    return shuffled.addOperator<R>(name, () => new FinalAggregateOperator({ grouped: true, combiner }))
  }

  /** One row per group: the group's rows reduced pairwise by `fn`. */
  reduce (fn: ReduceFunction<T>): DataSet<T> {
    needFunction('groupBy(...).reduce', fn)
    return this.#combine('reduce', reduceCombiner(fn))
  }

  /**
   * One record per group: the key (its column(s) for a column key, `key` for a key
   * function) and one field per aggregator of `spec`.
   */
  aggregate<S extends AggregateSpec<T>> (spec: S): DataSet<Record<string, unknown> & AggregateResult<S>> {
    const names = checkSpec('groupBy(...).aggregate', spec, this.#input.schema)
    return this.#combine('aggregate', aggregateCombiner(spec, names, this.#key), names.map(n => spec[n]!))
  }

  /** Calls `fn(key, rows)` once per group (key null for the null group); emits what it returns. */
  reduceGroup<R> (fn: GroupReduceFunction<T, R>): DataSet<R> {
    needFunction('groupBy(...).reduceGroup', fn)
    const input = this.#input
    const select = this.#key.select
    const shuffled = new DataSet<T>(input.environment, input.partitionByKey(this.#key))
    return shuffled.addOperator<R>('reduce-group', () => new GroupReduceOperator(select, fn))
  }
}
