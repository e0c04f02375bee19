/**
 * Keys of the DataSet API: what a job author may pass as a key (`groupBy`, `join … where`,
 * `distinct`, `orderBy`), how a key becomes a Map key inside the batch operators, how it
 * picks a subtask in a shuffle, and how keys compare when sorting.
 *
 * A key is given as
 * - a column name (`'store'`): the record's field,
 * - an array of column names (`['store', 'day']`): a composite key, the fields in order,
 * - a function (`r => r.store`, `r => [r.store, r.day]`): what it returns; an array or tuple
 *   is a composite key.
 *
 * Key values are compared as the runtime's keyBy does (node/graph/key-groups.ts
 * `normalizeKey`): strings, numbers, bigints and booleans by value (`1` and `'1'` differ),
 * anything else (arrays, objects) by its JSON text (bigints inside written as `"<n>n"`).
 * `null` and `undefined` are one null key: groupBy puts all rows with a null key in one
 * group, a join never matches it (SQL), a composite join key with any null part neither.
 *
 * @example
 * const k = resolveKey<Sale>('groupBy', ['store', 'day'])
 * k.select({ store: 's1', day: 3 })   // ['s1', 3]
 */
import type { Key } from './functions.ts'
import { InvalidArgumentError } from './errors.ts'

/** A key: a column name, an array of column names, or a function of the record. */
export type KeySpec<T> = (keyof T & string) | readonly (keyof T & string)[] | ((value: T) => unknown)

/** A key ready for operators. */
export interface ResolvedKey<T> {
  /** The raw key of a record (an array for composite column keys). */
  readonly select: (value: T) => unknown
  /** The columns when the key was given by column name(s). */
  readonly columns: readonly string[] | undefined
  /**
   * A faster Map key of a record for composite column keys (no array, no JSON). It
   * separates at least what `groupKey(select(v))` separates, so an operator that groups by
   * it (a combiner) never merges what the merge after the shuffle keeps apart.
   */
  readonly group?: ((value: T) => GroupKey) | undefined
}

/** The one Map key of every null (or undefined) key. */
export const NULL_KEY: unique symbol = Symbol('null key')

/** What a key becomes inside the batch operators' Maps. */
export type GroupKey = Key | typeof NULL_KEY

function column (name: string): (value: any) => unknown {
  return value => value?.[name]
}

/** Checks a key given to `what` and returns its selector; fails naming `what` otherwise. */
export function resolveKey<T> (what: string, spec: unknown): ResolvedKey<T> {
  if (typeof spec === 'function') return { select: spec as (value: T) => unknown, columns: undefined }
  if (typeof spec === 'string') {
    if (spec.length === 0) throw new InvalidArgumentError(`${what} needs a non-empty column name`)
    return { select: column(spec), columns: [spec] }
  }
  if (Array.isArray(spec)) {
    if (spec.length === 0 || !spec.every(c => typeof c === 'string' && c.length > 0)) {
      throw new InvalidArgumentError(`${what} needs a non-empty array of column names, got ${JSON.stringify(spec)}`)
    }
    const cols = spec.slice() as string[]
    const select = cols.length === 1
      ? column(cols[0]!)
      : cols.length === 2
        ? (v: any) => [v?.[cols[0]!], v?.[cols[1]!]]
        : (v: any) => cols.map(c => v?.[c])
    return { select, columns: cols, ...(cols.length > 1 ? { group: compositeGroup(cols) } : {}) }
  }
  const got = spec === null ? 'null' : typeof spec
  throw new InvalidArgumentError(`${what} needs a key: a column name, an array of column names or a function, got ${got}`)
}

/** One part of a composite Map key: typed and length-prefixed, so parts cannot run together. */
function part (x: unknown): string {
  switch (typeof x) {
    case 'string': return `s${x.length}:${x}`
    case 'number': return `n${x};`
    case 'bigint': return `b${x};`
    case 'boolean': return x ? 't;' : 'f;'
    case 'undefined': return '_;'
  }
  if (x === null) return '_;'
  const j = JSON.stringify(x, jsonReplacer) ?? ''
  return `j${j.length}:${j}`
}

function compositeGroup (cols: readonly string[]): (value: any) => GroupKey {
  if (cols.length === 2) {
    const [a, b] = cols as [string, string]
    return v => part(v?.[a]) + part(v?.[b])
  }
  return v => {
    let k = ''
    for (const c of cols) k += part(v?.[c])
    return k
  }
}

function jsonReplacer (_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value
}

/** The Map key of a raw key: primitives as they are, null/undefined NULL_KEY, else JSON. */
export function groupKey (raw: unknown): GroupKey {
  switch (typeof raw) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return raw
    case 'undefined':
      return NULL_KEY
  }
  if (raw === null) return NULL_KEY
  return JSON.stringify(raw, jsonReplacer)
}

/** As `groupKey`, but a composite key with a null part is the null key too (joins: SQL). */
export function joinKey (raw: unknown): GroupKey {
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i++) if (raw[i] === null || raw[i] === undefined) return NULL_KEY
  }
  return groupKey(raw)
}

/**
 * The key a shuffle hashes: the group key, with the null key as the text `'null'` (what
 * `keyGroupOf(null)` hashes, so a dataset hash-partitioned on a column keeps its null rows
 * where a shuffle on that column would send them).
 */
export function partitionKey (raw: unknown): Key {
  const k = groupKey(raw)
  return k === NULL_KEY ? 'null' : k
}

const TYPE_RANK: Record<string, number> = { boolean: 1, number: 2, bigint: 2, string: 3, object: 4 }

/**
 * Orders keys for `orderBy`: null/undefined first, then booleans, numbers and bigints
 * (compared numerically, NaN after every number), strings (by UTF-16 code units), then
 * arrays element by element (composite keys); other values by their JSON text.
 */
export function compareKeys (a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1
  if (b === null || b === undefined) return 1
  const ta = typeof a
  const tb = typeof b
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) {
    if (a !== a) return b !== b ? 0 : 1 // eslint-disable-line no-self-compare
    if (b !== b) return -1 // eslint-disable-line no-self-compare
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
  }
  if (ta !== tb) return (TYPE_RANK[ta] ?? 5) - (TYPE_RANK[tb] ?? 5)
  if (ta === 'string' || ta === 'boolean') return (a as string) < (b as string) ? -1 : 1
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) {
      const c = compareKeys(a[i], b[i])
      if (c !== 0) return c
    }
    return a.length - b.length
  }
  const ja = JSON.stringify(a, jsonReplacer) ?? ''
  const jb = JSON.stringify(b, jsonReplacer) ?? ''
  return ja < jb ? -1 : ja > jb ? 1 : 0
}
