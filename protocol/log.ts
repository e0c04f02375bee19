/**
 * The commands of the metadata log (DESIGN §5, §9): what a `command` entry of the Raft log
 * holds. Only the JobManager proposes them, after validating them with `decodeLogCommand`
 * (`log-codec.ts`); every peer validates each committed entry again before applying it, so
 * an entry that is malformed (written by an older version, or by a bug) is skipped the
 * same way everywhere instead of crashing the peers that apply it.
 *
 * Commands (`op`):
 * - `submit-job`: a job, its code CID and arguments, and its deployment (attempt 0);
 * - `task-finished`: every subtask of the job on one peer finished (for the job's attempt);
 * - `job-state`: the job reached FINISHED, FAILED or CANCELED, or is RESTARTING;
 * - `checkpoint-completed`: a checkpoint (or savepoint) of the job's attempt completed;
 * - `restart-job`: the job's next attempt, its deployment and the checkpoint it restores;
 * - `delete-savepoint`: a savepoint's name is released;
 * - `dataset-commit`: a new version of a dataset, its manifest CID and totals (DESIGN §6);
 * - `dataset-drop`: a dataset's name is released, with every version (its blocks become garbage);
 * - `batch-regions`: regions of a batch job were deployed, finished, or must run (again);
 * - `marker`: changes nothing; a client's `mark-request` writes one to prove that the log
 *   accepts writes (a health check, and how tests follow the log through failovers).
 */
import type { JobState, JobTaskInfo } from './client.ts'

/** One subtask of a deployment: subtask `subtask` of vertex `vertex` runs on `peer`. */
export type TaskAssignment = JobTaskInfo

/** A job's restart strategy as the log records it (the same shape as the API's). */
export type RestartStrategyRecord =
  | { readonly kind: 'none' }
  | { readonly kind: 'fixed-delay', readonly attempts: number, readonly delayMs: number }
  | { readonly kind: 'exponential-delay', readonly initialDelayMs: number, readonly maxDelayMs: number, readonly attempts?: number }

/** A completed checkpoint as the log records it. */
export interface CheckpointRecordRef {
  readonly checkpointId: number
  /** CID of the manifest block. */
  readonly cid: string
}

/**
 * The incarnation (process start time, epoch ms) of each peer an attempt was placed on. A
 * peer whose process restarted since then runs none of that attempt — its subtasks died
 * with the old process — and the JobManager counts them lost (Flink: a TaskManager that
 * re-registers has lost its slots).
 */
export type Incarnations = Readonly<Record<string, number>>

export interface SubmitJobCommand {
  readonly op: 'submit-job'
  readonly jobId: string
  readonly name: string
  readonly codeCid: string
  readonly args: Readonly<Record<string, string>>
  readonly parallelism: number
  readonly maxParallelism: number | undefined
  /** Peers known to hold the code block. */
  readonly codeHolders: readonly string[]
  readonly attempt: number
  readonly tasks: readonly TaskAssignment[]
  readonly submittedAt: number
  /** Checkpoint interval; the job takes no checkpoints without it. */
  readonly checkpointIntervalMs?: number
  readonly checkpointTimeoutMs?: number
  readonly restartStrategy?: RestartStrategyRecord
  /** The checkpoint or savepoint the first attempt restores. */
  readonly restore?: CheckpointRecordRef
  /** Savepoint state of operators the job lacks is dropped instead of failing the restore. */
  readonly allowNonRestoredState?: boolean
  /** See `Incarnations`. */
  readonly incarnations?: Incarnations
  /**
   * The dataset versions the job reads, by dataset name: the catalog keeps them while the
   * job runs, whatever versions are committed meanwhile.
   */
  readonly datasets?: Readonly<Record<string, number>>
  /**
   * A batch job (DESIGN §6): the stage of each of its pipelined regions, by region index
   * (see node/graph/pipelined-regions.ts). Its `tasks` are then empty: regions are deployed
   * with `batch-regions` as their inputs complete.
   */
  readonly batchRegions?: readonly number[]
}

/** A region's state in a batch job: waiting for its inputs or a slot, running on a peer, or done. */
export type RegionState = 'PENDING' | 'RUNNING' | 'FINISHED'

/** One change of a batch job's region (see `BatchRegionsCommand`). */
export interface RegionUpdate {
  readonly region: number
  readonly state: RegionState
  /** The region's deployment count: 1 for its first run; a report of another attempt is stale. */
  readonly attempt: number
  /** Where it runs (RUNNING) or ran (FINISHED). */
  readonly peer?: string
  /** RUNNING: its subtasks (on `peer`), with the partitions its scans read (`jobs --json`). */
  readonly tasks?: readonly TaskAssignment[]
  /** FINISHED: the CID of its result index block (the partitions it wrote, see blocking-results.ts). */
  readonly result?: string
  readonly recordsIn?: number
  readonly recordsOut?: number
}

/**
 * Regions of a batch job changed: RUNNING deploys them (the TaskManager named runs them),
 * FINISHED records their results, PENDING puts them back to run again (a failure, or a lost
 * peer took their results or their run) — Flink's region failover.
 */
export interface BatchRegionsCommand {
  readonly op: 'batch-regions'
  readonly jobId: string
  readonly updates: readonly RegionUpdate[]
  /** Why regions are PENDING again. */
  readonly reason?: string
}

export interface CheckpointCompletedCommand {
  readonly op: 'checkpoint-completed'
  readonly jobId: string
  readonly attempt: number
  readonly checkpointId: number
  readonly cid: string
  readonly final: boolean
  /** Set for a savepoint. */
  readonly savepoint?: string
  /** A stop-with-savepoint: the job ends once its sinks committed it (no restart from here). */
  readonly stop?: boolean
  readonly at: number
}

export interface RestartJobCommand {
  readonly op: 'restart-job'
  readonly jobId: string
  readonly attempt: number
  readonly tasks: readonly TaskAssignment[]
  /** The checkpoint restored from, or undefined to start over. */
  readonly restore?: CheckpointRecordRef
  /** See `Incarnations`. */
  readonly incarnations?: Incarnations
  readonly reason: string
  readonly at: number
}

export interface DeleteSavepointCommand {
  readonly op: 'delete-savepoint'
  readonly name: string
}

export interface JobStateCommand {
  readonly op: 'job-state'
  readonly jobId: string
  readonly state: JobState
  readonly error?: string
}

export interface TaskFinishedCommand {
  readonly op: 'task-finished'
  readonly jobId: string
  readonly attempt: number
  readonly peer: string
}

/** How a dataset is partitioned, as the log records it (the same shape as the API's `Partitioning`). */
export type DatasetPartitioningRecord =
  | { readonly kind: 'hash', readonly column: string, readonly partitions: number }
  | { readonly kind: 'round-robin', readonly partitions: number }

/**
 * A new version of a dataset: the manifest block `cid` (validated by the JobManager) is
 * version `version` of `name`. Applied only when `version` is the latest + 1, so of two
 * commits racing for the same version only the first in the log counts.
 */
export interface DatasetCommitCommand {
  readonly op: 'dataset-commit'
  readonly name: string
  readonly version: number
  readonly cid: string
  readonly rows: number
  readonly bytes: number
  /** Segments over all partitions. */
  readonly segments: number
  readonly partitioning: DatasetPartitioningRecord
  readonly createdAt: number
  /**
   * The writer's id for this commit (a sink's, stable across its retries): a commit whose id
   * the dataset has seen recently changes nothing, so a retried commit never adds a version twice.
   */
  readonly commitId?: string
}

/** The dataset `name` is dropped: every version is released (`meshflow dataset rm`). */
export interface DatasetDropCommand {
  readonly op: 'dataset-drop'
  readonly name: string
}

/** A log entry that changes nothing (see `mark-request`). */
export interface MarkerCommand {
  readonly op: 'marker'
  readonly text: string
}

/** A command of the jobs' state machine. */
export type JobCommand = SubmitJobCommand | JobStateCommand | TaskFinishedCommand | CheckpointCompletedCommand | RestartJobCommand | DeleteSavepointCommand | BatchRegionsCommand

/** A command of the dataset catalog. */
export type DatasetCommand = DatasetCommitCommand | DatasetDropCommand

/** Every command the metadata log may hold. */
export type LogCommand = JobCommand | DatasetCommand | MarkerCommand

/** The `op` of every {@link LogCommand}. */
export type LogCommandOp = LogCommand['op']
