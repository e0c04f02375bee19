/**
 * Aggregators for `DataSet.aggregate` and `groupBy(k).aggregate`: each one is an
 * accumulator with `create/add/merge/result`, so the batch operators aggregate partially
 * in every subtask before the shuffle (a combiner) and merge the partial accumulators
 * after it. A SQL planner reuses them for `SUM`, `COUNT`, `AVG`, `MIN`, `MAX` and
 * `COUNT(DISTINCT …)`; `kind` and `column` say which one it is.
 *
 * SQL semantics: null (and undefined) values are skipped; `sum`, `avg`, `min` and `max` of
 * no non-null values are null; `count()` counts rows, `count(col)` the non-null values;
 * `sum` of bigints (int64 columns) is a bigint. Accumulators are plain data (numbers,
 * bigints, arrays, a Set for countDistinct): they cross threads and peers.
 *
 * @example
 * sales.groupBy('store').aggregate({ revenue: sum('amount'), n: count(), top: max(s => s.amount) })
 * // → { store: 's1', revenue: 120, n: 3, top: 70 } per store
 */
import type { GroupKey } from './data-set-keys.ts'
import { groupKey, NULL_KEY } from './data-set-keys.ts'
import { InvalidArgumentError } from './errors.ts'

export type AggregatorKind = 'sum' | 'count' | 'avg' | 'min' | 'max' | 'countDistinct'

/** A mergeable aggregation of the values of a group. */
export interface Aggregator<T, ACC, R> {
  readonly kind: AggregatorKind | (string & {})
  /** The column it reads, when given by name (undefined for a function or `count()`). */
  readonly column: string | undefined
  create(): ACC
  add(acc: ACC, row: T): ACC
  merge(a: ACC, b: ACC): ACC
  result(acc: ACC): R
}

/** What an aggregator reads from a row: a column name or a function. */
export type ValueOf<T> = (keyof T & string) | ((row: T) => unknown)

/** The aggregates of `aggregate({ name: aggregator, … })`. */
export type AggregateSpec<T> = Readonly<Record<string, Aggregator<T, any, any>>>

/** The record type `aggregate(spec)` yields, apart from the key. */
export type AggregateResult<S> = { -readonly [K in keyof S]: S[K] extends Aggregator<any, any, infer R> ? R : never }

function reader<T> (what: string, of: unknown): { read: (row: T) => unknown, column: string | undefined } {
  if (typeof of === 'function') return { read: of as (row: T) => unknown, column: undefined }
  if (typeof of === 'string' && of.length > 0) return { read: (row: any) => row?.[of], column: of }
  throw new InvalidArgumentError(`${what} needs a column name or a function of the row, got ${of === null ? 'null' : typeof of}`)
}

type Num = number | bigint

/** The sum of the non-null values (null when there are none); bigints sum to a bigint. */
export function sum<T> (of: ValueOf<T>): Aggregator<T, Num | null, Num | null> {
  const { read, column } = reader<T>('sum', of)
  return {
    kind: 'sum',
    column,
    create: () => null,
    add: (acc, row) => {
      const v = read(row) as Num | null | undefined
      if (v === null || v === undefined) return acc
      return acc === null ? v : (acc as number) + (v as number)
    },
    merge: (a, b) => a === null ? b : b === null ? a : (a as number) + (b as number),
    result: acc => acc
  }
}

/** `count()`: the rows; `count(col)`: the rows whose value is not null. */
export function count<T> (of?: ValueOf<T>): Aggregator<T, number, number> {
  if (of === undefined) {
    return { kind: 'count', column: undefined, create: () => 0, add: acc => acc + 1, merge: (a, b) => a + b, result: acc => acc }
  }
  const { read, column } = reader<T>('count', of)
  return {
    kind: 'count',
    column,
    create: () => 0,
    add: (acc, row) => { const v = read(row); return v === null || v === undefined ? acc : acc + 1 },
    merge: (a, b) => a + b,
    result: acc => acc
  }
}

/** The mean of the non-null values as a number (null when there are none). */
export function avg<T> (of: ValueOf<T>): Aggregator<T, [number, number], number | null> {
  const { read, column } = reader<T>('avg', of)
  return {
    kind: 'avg',
    column,
    create: () => [0, 0],
    add: (acc, row) => {
      const v = read(row)
      if (v === null || v === undefined) return acc
      acc[0] += Number(v)
      acc[1]++
      return acc
    },
    merge: (a, b) => { a[0] += b[0]; a[1] += b[1]; return a },
    result: acc => acc[1] === 0 ? null : acc[0] / acc[1]
  }
}

function extreme<T> (kind: 'min' | 'max', of: ValueOf<T>): Aggregator<T, unknown, any> {
  const { read, column } = reader<T>(kind, of)
  const better = kind === 'min'
    ? (a: any, b: any) => b < a ? b : a
    : (a: any, b: any) => b > a ? b : a
  return {
    kind,
    column,
    create: () => null,
    add: (acc, row) => {
      const v = read(row)
      if (v === null || v === undefined) return acc
      return acc === null ? v : better(acc, v)
    },
    merge: (a, b) => a === null ? b : b === null ? a : better(a, b),
    result: acc => acc
  }
}

/** The smallest non-null value (by `<`), null when there are none. */
export function min<T, R = any> (of: ValueOf<T>): Aggregator<T, unknown, R | null> {
  return extreme('min', of)
}

/** The largest non-null value (by `>`), null when there are none. */
export function max<T, R = any> (of: ValueOf<T>): Aggregator<T, unknown, R | null> {
  return extreme('max', of)
}

/** The number of distinct non-null values (compared as keys are: by value, objects by JSON). */
export function countDistinct<T> (of: ValueOf<T>): Aggregator<T, Set<GroupKey>, number> {
  const { read, column } = reader<T>('countDistinct', of)
  return {
    kind: 'countDistinct',
    column,
    create: () => new Set(),
    add: (acc, row) => {
      const k = groupKey(read(row))
      if (k !== NULL_KEY) acc.add(k)
      return acc
    },
    merge: (a, b) => {
      const [big, small] = a.size >= b.size ? [a, b] : [b, a]
      for (const k of small) big.add(k)
      return big
    },
    result: acc => acc.size
  }
}

/** True when `x` looks like an Aggregator (for the checks of `aggregate`). */
export function isAggregator (x: unknown): x is Aggregator<unknown, unknown, unknown> {
  if (typeof x !== 'object' || x === null) return false
  const a = x as Record<string, unknown>
  return typeof a.create === 'function' && typeof a.add === 'function' && typeof a.merge === 'function' && typeof a.result === 'function'
}
