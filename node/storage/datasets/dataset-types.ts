/**
 * The stored shapes of datasets (DESIGN §6): a dataset is a named table with a schema, a
 * fixed number of partitions and versions. A partition is a list of immutable segments,
 * each one block (or a chunked large value) of the replicated block store; a version's
 * manifest is a block listing, per partition, its segments with their row counts and
 * per-column statistics. The metadata log holds only `name → manifest CID` of the retained
 * versions, so it does not grow with the data. The schema and scan types are the API's
 * (node/api/dataset-schema.ts).
 *
 * @example
 * const segment: SegmentRef = { cid, rows: 65_536, bytes: 812_345, stats: { amount: { min: 0.5, max: 990, nulls: 0 } } }
 */
import type { DatasetSchema, Partitioning, Scalar } from '../../api/dataset-schema.ts'

export type { ColumnType, ColumnSchema, DatasetSchema, Scalar, Partitioning, Predicate, ScanSpec } from '../../api/dataset-schema.ts'
export { COLUMN_TYPES } from '../../api/dataset-schema.ts'

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

/** The catalog's view of a dataset: its retained versions, newest last. */
export interface DatasetVersionRef {
  readonly version: number
  /** CID of the version's manifest block. */
  readonly cid: string
  readonly rows: number
  readonly bytes: number
  readonly createdAt: number
}
