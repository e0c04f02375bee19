/**
 * The dataset requests of `/meshflow/client/1` (DESIGN §6, §7): list the datasets
 * (`meshflow datasets`), show one (`meshflow dataset show NAME`), commit a new version whose
 * manifest block is already in the mesh, and drop a dataset (`meshflow dataset rm NAME`).
 * Any peer answers a list or a show from its own copy of the catalog; a commit or a drop is
 * forwarded to the JobManager, which validates it and proposes the log entry (DESIGN §9).
 * The codec is `client-dataset-codec.ts`.
 */
import type { DatasetSchemaInfo } from './dataset-fields.ts'
import type { DatasetPartitioningRecord } from './log.ts'
import type { NodeId } from './raft.ts'

/** Asks for every dataset of the mesh: `meshflow datasets`. */
export interface DatasetsRequest {
  readonly type: 'datasets-request'
  readonly id: number
}

/**
 * One dataset as `meshflow datasets --json` prints it (DESIGN §7): its latest version, the
 * partition count, and that version's rows, bytes and segments.
 */
export interface DatasetInfo {
  readonly name: string
  readonly version: number
  /** CID of the latest version's manifest block (immutable: a client may cache what it read by it). */
  readonly cid: string
  readonly partitions: number
  readonly rows: number
  readonly bytes: number
  readonly segments: number
  /** How many versions the mesh retains. */
  readonly versions: number
  /** When the latest version was committed (epoch ms). */
  readonly createdAt: number
}

/** The answer to `datasets-request`: at most `MAX_DATASETS`, each name once. */
export interface DatasetsResponse {
  readonly type: 'datasets-response'
  readonly id: number
  readonly datasets: readonly DatasetInfo[]
}

/** Asks for one dataset in detail: `meshflow dataset show NAME`. An unknown name is `not-found`. */
export interface DatasetShowRequest {
  readonly type: 'dataset-show'
  readonly id: number
  readonly name: string
}

/** A retained version of a dataset. */
export interface DatasetVersionInfo {
  readonly version: number
  /** CID of the version's manifest block. */
  readonly cid: string
  readonly rows: number
  readonly bytes: number
  readonly createdAt: number
  /** A running job reads it (it is retained whatever retention says). */
  readonly pinned: boolean
}

/** A peer that holds segments of a partition, and how many of them (and their bytes). */
export interface PartitionHolder {
  readonly peer: NodeId
  readonly segments: number
  readonly bytes: number
}

/** One partition of the latest version: its segments, rows, bytes, and who holds them. */
export interface PartitionInfo {
  readonly partition: number
  readonly segments: number
  readonly rows: number
  readonly bytes: number
  /** Peers holding a copy of at least one of its segments, most bytes first. */
  readonly holders: readonly PartitionHolder[]
}

/** A dataset in detail, as `meshflow dataset show NAME --json` prints it. */
export interface DatasetDetail {
  readonly name: string
  readonly version: number
  readonly schema: DatasetSchemaInfo
  readonly partitioning: DatasetPartitioningRecord
  readonly rows: number
  readonly bytes: number
  readonly createdAt: number
  /** Retained versions, oldest first (the last is the latest). */
  readonly versions: readonly DatasetVersionInfo[]
  /** The partitions of the latest version, in order. */
  readonly partitions: readonly PartitionInfo[]
}

/** The answer to `dataset-show`. */
export interface DatasetShowResponse {
  readonly type: 'dataset-show-response'
  readonly id: number
  readonly dataset: DatasetDetail
}

/** How a new version relates to the previous one. */
export type DatasetCommitMode = 'append' | 'overwrite'

/** Every {@link DatasetCommitMode}. */
export const DATASET_COMMIT_MODES: readonly DatasetCommitMode[] = Object.freeze(['append', 'overwrite'])

/**
 * Commits the manifest block `manifestCid` (already stored in the mesh, with every segment
 * it lists) as the next version of dataset `name`. The manifest's version must be the latest
 * + 1; with `expectedVersion`, the latest must be that version too (0: the dataset must not
 * exist), so a writer that read version n loses to a concurrent commit with a clear error.
 * An `append` (the default) keeps the previous version's segments and partitioning; an
 * `overwrite` may repartition. The schema must equal the previous version's either way.
 */
export interface DatasetCommitRequest {
  readonly type: 'dataset-commit'
  readonly id: number
  readonly name: string
  readonly manifestCid: string
  readonly expectedVersion?: number
  readonly mode?: DatasetCommitMode
  /**
   * The writer's id for this commit, stable across its retries: when the dataset recently
   * took a commit of this id, the answer is the version it made and nothing changes.
   */
  readonly commitId?: string
}

/** Version `version` of dataset `name` is committed: its manifest is `cid`. */
export interface DatasetCommitResponse {
  readonly type: 'dataset-commit-response'
  readonly id: number
  readonly name: string
  readonly version: number
  readonly cid: string
}

/** Drops dataset `name` with every version (`meshflow dataset rm NAME`); its blocks become garbage. */
export interface DatasetDropRequest {
  readonly type: 'dataset-drop'
  readonly id: number
  readonly name: string
}

/** The dataset `name` is dropped. */
export interface DatasetDropResponse {
  readonly type: 'dataset-drop-response'
  readonly id: number
  readonly name: string
}

/** A dataset request a client sends. */
export type DatasetRequest = DatasetsRequest | DatasetShowRequest | DatasetCommitRequest | DatasetDropRequest
/** A peer's answer to a dataset request. */
export type DatasetResponse = DatasetsResponse | DatasetShowResponse | DatasetCommitResponse | DatasetDropResponse
