/**
 * How a grouped reduction is split across a shuffle (Flink's combinable reduce): every
 * subtask folds its input into one partial accumulator per key (`first`, `add`), the
 * partials are shuffled by key, and the receiving subtask folds them into one (`merge`)
 * and turns it into the output record (`result`). `reduce(fn)` and `aggregate({...})`
 * of the DataSet API are both combiners.
 */

export interface Combiner<IN, ACC, OUT> {
  /** The accumulator of one value. */
  first(value: IN): ACC
  add(acc: ACC, value: IN): ACC
  merge(a: ACC, b: ACC): ACC
  /** The output record of a group; `key` is its raw key (undefined for a whole-set reduction). */
  result(key: unknown, acc: ACC): OUT
  /** The output of a whole-set reduction over no rows; without it, no row. */
  readonly empty?: () => OUT
}

/**
 * What a partial aggregation emits per key: `[rawKey, accumulator]` (plain data, so it
 * crosses threads and peers).
 */
export type Partial = [unknown, unknown]

/** A reduce function as a combiner: the accumulator is the running value. */
export function reduceCombiner<T> (fn: (a: T, b: T) => T): Combiner<T, T, T> {
  return { first: v => v, add: fn, merge: fn, result: (_k, acc) => acc }
}

/** Counts rows; over the whole set an empty input counts 0. */
export function countCombiner (): Combiner<unknown, number, number> {
  return { first: () => 1, add: acc => acc + 1, merge: (a, b) => a + b, result: (_k, n) => n, empty: () => 0 }
}
