/**
 * The shapes every part of datasets shares (DESIGN §6): a dataset is a named table with a
 * schema, a fixed number of partitions and versions. A partition is a list of immutable
 * segments, each one block (or a chunked large value) of the replicated block store; a
 * version's manifest is a block listing, per partition, its segments with their row counts
 * and per-column statistics. The metadata log holds only `name → manifest CID` of the
 * retained versions, so it does not grow with the data.
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

/** Statistics of one column of one segment: the scan skips segments a predicate rules out. */
export interface ColumnStats {
  /** Smallest non-null value (null when every value is null). */
  readonly min: Scalar | null
  /** Largest non-null value (null when every value is null). */
  readonly max: Scalar | null
  /** How many values are null. */
  readonly nulls: number
}

/** One immutable segment of a partition, as a manifest lists it. */
export interface SegmentRef {
  /** CID of the segment: a block, or the root of a chunked large value (`putLarge`). */
  readonly cid: string
  readonly rows: number
  /** Encoded size in bytes. */
  readonly bytes: number
  /** Per-column statistics, by column name. */
  readonly stats: Readonly<Record<string, ColumnStats>>
}

/** The block type tag of a dataset version's manifest. */
export const DATASET_MANIFEST_TYPE = 'meshflow-dataset'

/**
 * One version of a dataset: a block. `partitions[p]` lists partition p's segments in
 * order. A new version (append or overwrite) is a new manifest; an append lists the
 * previous version's segments and the new ones, so unchanged segments are shared.
 */
export interface DatasetManifest {
  readonly type: typeof DATASET_MANIFEST_TYPE
  readonly name: string
  /** 1 for the first version, then +1 per commit. */
  readonly version: number
  readonly schema: DatasetSchema
  readonly partitioning: Partitioning
  readonly partitions: readonly (readonly SegmentRef[])[]
  /** Epoch ms of the commit. */
  readonly createdAt: number
}

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

/** The catalog's view of a dataset: its retained versions, newest last. */
export interface DatasetVersionRef {
  readonly version: number
  /** CID of the version's manifest block. */
  readonly cid: string
  readonly rows: number
  readonly bytes: number
  readonly createdAt: number
}
