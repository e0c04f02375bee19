/**
 * Rolling aggregation on a keyed stream (`keyBy(...).reduce(...)` / `.aggregate(...)`):
 * keeps one accumulator per key and emits the updated result for every record.
 */
import type { AggregateFunction, Key } from '../../api/functions.ts'
import { StreamOperator } from '../stream-operator.ts'

export class KeyedAggregateOperator extends StreamOperator {
  readonly #fn: AggregateFunction<any, any, any>
  readonly accumulators = new Map<Key, unknown>()
  #key!: (value: any) => Key

  constructor (fn: AggregateFunction<any, any, any>) {
    super()
    this.#fn = fn
  }

  override open (): void {
    this.#key = this.context.keySelectors![0]!
  }

  processElement (value: unknown, timestamp: number): void {
    let result: unknown
    try {
      const key = this.#key(value)
      const fn = this.#fn
      let acc = this.accumulators.get(key)
      acc = fn.add(value, acc === undefined ? fn.createAccumulator() : acc)
      this.accumulators.set(key, acc)
      result = fn.getResult(acc)
    } catch (err) {
      throw this.fail(err)
    }
    this.output.collect(result, timestamp)
  }
}

/** A reduce function as an aggregate whose accumulator is the running value. */
export function reduceAsAggregate<T> (reduce: (a: T, b: T) => T): AggregateFunction<T, T | typeof EMPTY, T> {
  return {
    createAccumulator: () => EMPTY,
    add: (value, acc) => acc === EMPTY ? value : reduce(acc, value),
    getResult: acc => acc as T,
    merge: (a, b) => a === EMPTY ? b : b === EMPTY ? a : reduce(a, b)
  }
}

/** Marks an accumulator that has seen no value yet. */
export const EMPTY: unique symbol = Symbol('empty')
