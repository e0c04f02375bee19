/**
 * The schema of a dataset and what a scan of it can push down (DESIGN §3, §6): the types a
 * job author writes in `readDataset(name, { columns, predicate })` and
 * `writeDataset(name, { partitionBy, partitions })`, and that file connectors use to type
 * CSV and Parquet columns.
 *
 * @example
 * const schema: DatasetSchema = { columns: [{ name: 'store', type: 'string' }, { name: 'amount', type: 'number' }] }
 * const partitioning: Partitioning = { kind: 'hash', column: 'store', partitions: 4 }
 * const scan: ScanSpec = { columns: ['amount'], predicate: { op: '>', column: 'amount', value: 10 } }
 */

/**
 * The type of a column. `number` is a float64, `int64` a bigint, `timestamp` epoch
 * milliseconds as a number, `boolean` true/false, `string` UTF-8 text. Every column may
 * hold null (a missing value); `undefined` in a record is stored as null.
 */
export type ColumnType = 'string' | 'number' | 'int64' | 'boolean' | 'timestamp'

/** Every column type, in the order the CLI lists them. */
export const COLUMN_TYPES: readonly ColumnType[] = ['string', 'number', 'int64', 'boolean', 'timestamp']

export interface ColumnSchema {
  readonly name: string
  readonly type: ColumnType
}

/** The columns of a dataset, in order. Names are unique and non-empty. */
export interface DatasetSchema {
  readonly columns: readonly ColumnSchema[]
}

/** A value a column holds (null is a missing value). */
export type Scalar = string | number | bigint | boolean

/**
 * How rows are spread over partitions. `hash`: row r goes to partition
 * `subtaskForKeyGroup(keyGroupOf(r[column], DEFAULT_MAX_PARALLELISM), partitions,
 * DEFAULT_MAX_PARALLELISM)` (node/graph/key-groups.ts) — the same rule as a keyBy at
 * parallelism `partitions`, so a scan of partition p feeds keyed subtask p without a
 * shuffle, and two datasets hash-partitioned alike join without one (co-located join).
 * `round-robin`: rows are spread evenly with no key.
 */
export type Partitioning =
  | { readonly kind: 'hash', readonly column: string, readonly partitions: number }
  | { readonly kind: 'round-robin', readonly partitions: number }

/**
 * A predicate a scan can push down: segments whose statistics rule it out are skipped,
 * and the rows that do not match are dropped before they reach the operators. Comparisons
 * follow SQL: a comparison with null is unknown, so a row whose column is null matches
 * only `is-null`.
 */
export type Predicate =
  | { readonly op: 'and' | 'or', readonly args: readonly Predicate[] }
  | { readonly op: 'not', readonly arg: Predicate }
  | { readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=', readonly column: string, readonly value: Scalar }
  | { readonly op: 'between', readonly column: string, readonly low: Scalar, readonly high: Scalar }
  | { readonly op: 'in', readonly column: string, readonly values: readonly Scalar[] }
  | { readonly op: 'is-null' | 'is-not-null', readonly column: string }

/** What a scan reads: only `columns` (default all), only rows matching `predicate`. */
export interface ScanSpec {
  readonly columns?: readonly string[]
  readonly predicate?: Predicate
}

