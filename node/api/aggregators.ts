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

/**
 * The aggregators made by the functions below, with what each reads: `compileAggregates`
 * runs those inline. An object not in it (a user's own, or a built-in copied with changes)
 * is called through its methods.
 */
const BUILT_IN = new WeakMap<object, ValueOf<any> | undefined>()

function builtIn<T, ACC, R> (a: Aggregator<T, ACC, R>, of: ValueOf<T> | undefined): Aggregator<T, ACC, R> {
  BUILT_IN.set(a, of)
  return a
}

/** The sum of the non-null values (null when there are none); bigints sum to a bigint. */
export function sum<T> (of: ValueOf<T>): Aggregator<T, Num | null, Num | null> {
  const { read, column } = reader<T>('sum', of)
  return builtIn<T, Num | null, Num | null>({
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
  }, of)
}

/** `count()`: the rows; `count(col)`: the rows whose value is not null. */
export function count<T> (of?: ValueOf<T>): Aggregator<T, number, number> {
  if (of === undefined) {
    return builtIn({ kind: 'count', column: undefined, create: () => 0, add: acc => acc + 1, merge: (a, b) => a + b, result: acc => acc }, undefined)
  }
  const { read, column } = reader<T>('count', of)
  return builtIn({
    kind: 'count',
    column,
    create: () => 0,
    add: (acc, row) => { const v = read(row); return v === null || v === undefined ? acc : acc + 1 },
    merge: (a, b) => a + b,
    result: acc => acc
  }, of)
}

/** The mean of the non-null values as a number (null when there are none). */
export function avg<T> (of: ValueOf<T>): Aggregator<T, [number, number], number | null> {
  const { read, column } = reader<T>('avg', of)
  return builtIn({
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
  }, of)
}

function extreme<T> (kind: 'min' | 'max', of: ValueOf<T>): Aggregator<T, unknown, any> {
  const { read, column } = reader<T>(kind, of)
  const better = kind === 'min'
    ? (a: any, b: any) => b < a ? b : a
    : (a: any, b: any) => b > a ? b : a
  return builtIn({
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
  }, of)
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

/**
 * True when `a` is one of the built-in aggregators made above (sum, count, avg, min, max):
 * they read values from the row they are given and never keep it, so a columnar scan may
 * hand them one reused row (runtime/datasets/columnar-aggregate-scan.ts).
 */
export function isBuiltInAggregator (a: Aggregator<any, any, any>): boolean {
  return BUILT_IN.has(a)
}

/** True when `x` looks like an Aggregator (for the checks of `aggregate`). */
export function isAggregator (x: unknown): x is Aggregator<unknown, unknown, unknown> {
  if (typeof x !== 'object' || x === null) return false
  const a = x as Record<string, unknown>
  return typeof a.create === 'function' && typeof a.add === 'function' && typeof a.merge === 'function' && typeof a.result === 'function'
}

/**
 * Aggregators run together over one accumulator record, as the batch operators' hot loop
 * calls them: `add` folds one row into all of them at once.
 */
export interface CompiledAggregates<T> {
  create(): any
  add(acc: any, row: T): any
  merge(a: any, b: any): any
  /** Aggregator i's result. */
  result(acc: any, i: number): unknown
}

/** The expression reading an aggregator's value from `row` (a column inline, a function through f{i}). */
function valueExpression (of: ValueOf<any>, i: number): string {
  return typeof of === 'string' ? `row?.[${JSON.stringify(of)}]` : `f${i}(row)`
}

/**
 * The aggregators of `aggs` as one accumulator record and one `add` compiled for them (a
 * function per spec, like the scan's row builders in segment-rows.ts): the built-ins run
 * inline — a column is a property read, a sum or an average adds into a number field —
 * instead of one call through each aggregator and a boxed number per value. The results
 * are the aggregators' own (same nulls, same order of additions); aggregators that are not
 * built-ins are called through their methods, each from its own call site. The record is
 * plain data (numbers, bigints, null, the others' accumulators): it crosses threads and peers.
 */
export function compileAggregates<T> (aggs: readonly Aggregator<T, any, any>[]): CompiledAggregates<T> {
  const create: string[] = []
  const add: string[] = []
  const merge: string[] = []
  const result: string[] = []
  const args: unknown[] = []
  const names: string[] = []
  aggs.forEach((a, i) => {
    const known = BUILT_IN.has(a)
    const of = BUILT_IN.get(a)
    if (typeof of === 'function') { names.push(`f${i}`); args.push(of) }
    const value = of === undefined ? '' : valueExpression(of, i)
    switch (known ? a.kind : 'other') {
      case 'sum':
        // numbers into s (a double field), anything else (bigints) into o, as `acc + v` would
        create.push(`s${i}: 0, n${i}: 0, o${i}: null`)
        add.push(`x = ${value}`, `if (typeof x === 'number') { a.s${i} += x; a.n${i}++ } else if (x !== null && x !== undefined) a.o${i} = a.o${i} === null ? x : a.o${i} + x`)
        merge.push(`a.s${i} += b.s${i}`, `a.n${i} += b.n${i}`, `if (b.o${i} !== null) a.o${i} = a.o${i} === null ? b.o${i} : a.o${i} + b.o${i}`)
        result.push(`case ${i}: return a.o${i} === null ? (a.n${i} === 0 ? null : a.s${i}) : a.n${i} === 0 ? a.o${i} : a.s${i} + a.o${i}`)
        break
      case 'count':
        create.push(`c${i}: 0`)
        add.push(of === undefined ? `a.c${i}++` : `x = ${value}`, ...(of === undefined ? [] : [`if (x !== null && x !== undefined) a.c${i}++`]))
        merge.push(`a.c${i} += b.c${i}`)
        result.push(`case ${i}: return a.c${i}`)
        break
      case 'avg':
        create.push(`s${i}: 0, n${i}: 0`)
        add.push(`x = ${value}`, `if (x !== null && x !== undefined) { a.s${i} += typeof x === 'number' ? x : Number(x); a.n${i}++ }`)
        merge.push(`a.s${i} += b.s${i}`, `a.n${i} += b.n${i}`)
        result.push(`case ${i}: return a.n${i} === 0 ? null : a.s${i} / a.n${i}`)
        break
      case 'min':
      case 'max': {
        const better = a.kind === 'min' ? '<' : '>'
        create.push(`m${i}: null`)
        add.push(`x = ${value}`, `if (x !== null && x !== undefined && (a.m${i} === null || x ${better} a.m${i})) a.m${i} = x`)
        merge.push(`if (b.m${i} !== null && (a.m${i} === null || b.m${i} ${better} a.m${i})) a.m${i} = b.m${i}`)
        result.push(`case ${i}: return a.m${i}`)
        break
      }
      default:
        names.push(`g${i}`)
        args.push(a)
        create.push(`x${i}: g${i}.create()`)
        add.push(`a.x${i} = g${i}.add(a.x${i}, row)`)
        merge.push(`a.x${i} = g${i}.merge(a.x${i}, b.x${i})`)
        result.push(`case ${i}: return g${i}.result(a.x${i})`)
    }
  })
  const body = `return {
  create: () => ({ ${create.join(', ')} }),
  add: (a, row) => {
    let x
    ${add.join('\n    ')}
    return a
  },
  merge: (a, b) => {
    ${merge.join('\n    ')}
    return a
  },
  result: (a, i) => {
    switch (i) {
      ${result.join('\n      ')}
    }
  }
}`
  // eslint-disable-next-line no-new-func -- compiled once per aggregate(); column names enter only as JSON string literals
  return new Function(...names, body)(...args) as CompiledAggregates<T>
}
