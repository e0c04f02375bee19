/**
 * How a job's tasks reach the datasets of the mesh (DESIGN §6): the scan source reads a
 * version's manifest and its segments, the dataset writer stores segments and commits a
 * new version. The peer that runs the tasks provides it (the embedded peer for
 * `meshflow run` and `execute`); code that runs without a peer has none, and a dataset
 * source or sink then fails with a clear error.
 *
 * Reads are pinned: every task of a job reads the version of a dataset the JobManager
 * resolved when the job was submitted (unless the job asked for another retained one),
 * so a commit while the job runs does not change what it reads.
 *
 * @example
 * const manifest = await datasets.manifest('sales')          // the pinned version
 * const bytes = await datasets.readSegment(manifest.partitions[0]![0]!.cid)
 */
import type { DatasetManifest, DatasetVersionRef, SegmentRef } from '../storage/datasets/dataset-types.ts'
import type { DatasetSchema, Partitioning } from './dataset-schema.ts'
import type { SegmentView } from '../storage/datasets/segment-reader.ts'

/** A new version of a dataset, as its writer commits it. */
export interface DatasetCommit {
  readonly name: string
  /** `append` keeps the previous version's segments; `overwrite` replaces them. */
  readonly mode: 'append' | 'overwrite'
  readonly schema: DatasetSchema
  readonly partitioning: Partitioning
  /** The new segments of each partition (`partitions.length` = partitioning.partitions). */
  readonly partitions: readonly (readonly SegmentRef[])[]
  /**
   * Makes the commit idempotent: a commit whose id the dataset has seen already changes
   * nothing and returns the version it made (a sink's commit is retried after a restore).
   */
  readonly commitId?: string
}

export interface DatasetAccess {
  /**
   * The manifest of `name`: the version the job was pinned to, `version` when given (a
   * retained one), else the latest. Throws when the dataset or version does not exist.
   */
  manifest(name: string, options?: { version?: number, signal?: AbortSignal }): Promise<DatasetManifest>
  /** A segment's bytes, verified against its CID (from a replica holder when not held here). */
  readSegment(cid: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /**
   * Columns of a segment, decoded (as `readSegment(bytes, schema, { columns })`), from the
   * peer's cache of decoded columns where it keeps one (SegmentColumnCache): a scan that
   * decodes anyway asks this first; without it, it reads the bytes and decodes them.
   */
  readColumns?(cid: string, schema: DatasetSchema, columns: readonly string[], options?: { signal?: AbortSignal }): Promise<SegmentView>
  /** Stores a segment on its replicas; resolves with its CID once they hold it. */
  writeSegment(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<string>
  /** Commits a new version through the JobManager; resolves once the log holds it. */
  commit(commit: DatasetCommit, options?: { signal?: AbortSignal }): Promise<DatasetVersionRef>
}
