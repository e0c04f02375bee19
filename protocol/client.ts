/**
 * Client messages (`/meshflow/client/1`, DESIGN §7). The CLI (`meshflow status --mesh MA`)
 * or the programmatic peer API opens a stream to any peer and sends requests; that peer
 * answers itself when it can, forwards the request to the leader, or tells the client where
 * the leader is with a `leader-redirect`. Requests carry an `id` that the answer echoes, so
 * several requests can share one stream. Job commands (submit, jobs, cancel, await,
 * savepoints) travel here too, and so do the TaskManagers' task reports to the JobManager
 * and the checkpoint control between them (trigger, acknowledge, decline). The codec lives in
 * `codec.ts`.
 */
import type { PeerRole } from './membership.ts'
import type { NodeId } from './raft.ts'
import type { DatasetRequest, DatasetResponse } from './client-datasets.ts'

export type * from './client-datasets.ts'
export { DATASET_COMMIT_MODES } from './client-datasets.ts'

/** Asks for the mesh's status: `meshflow status`. */
export interface StatusRequest {
  readonly type: 'status-request'
  readonly id: number
}

/**
 * A peer's role as the status shows it: its Raft role, or `lost` once the failure detector
 * declared it dead (it stays listed until it is removed from the mesh).
 */
export type StatusRole = PeerRole | 'lost'

/** Every {@link StatusRole}. */
export const STATUS_ROLES: readonly StatusRole[] = Object.freeze(['leader', 'follower', 'candidate', 'learner', 'lost'])

/** One peer in a status response, as `status --json` prints it. */
export interface StatusPeer {
  readonly id: NodeId
  readonly addrs: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  readonly slots: number
  readonly freeSlots: number
  readonly role: StatusRole
  /** On the answering peer's own entry only: its scrub of local blocks. */
  readonly scrub?: ScrubStatus
}

/**
 * What a peer's scrub of its local blocks (re-hashing each against its CID) found since
 * the peer started: blocks scanned, copies found corrupt, corrupt copies replaced from a
 * replica, and corrupt copies no peer had intact (deleted); passes completed and when the
 * last one ended (ms since the epoch, null before the first).
 */
export interface ScrubStatus {
  readonly scanned: number
  readonly corrupt: number
  readonly repaired: number
  readonly unrepairable: number
  readonly passes: number
  readonly lastPassAt: number | null
}

/**
 * The answer to `status-request`; apart from `type` and `id` exactly the shape `meshflow
 * status --json` prints (DESIGN §7). `leader` is null while no leader is known.
 */
export interface StatusResponse {
  readonly type: 'status-response'
  readonly id: number
  readonly leader: NodeId | null
  readonly term: number
  readonly peers: readonly StatusPeer[]
  /** The Raft group of the answering peer (`<founder id>@<founding time>`), once it has one. */
  readonly group?: string
  /** The voters of the answering peer's Raft configuration. */
  readonly voters?: readonly NodeId[]
  /** What is wrong with the mesh as the answering peer sees it; absent when nothing is. */
  readonly warnings?: readonly StatusWarning[]
}

/** Every {@link StatusWarningCode}. */
export const STATUS_WARNING_CODES = Object.freeze(['no-quorum', 'other-group', 'waiting-for-peers'] as const)

/**
 * `no-quorum`: too few voters are reachable to elect a leader (`peers` are the lost ones);
 * `other-group`: `peers` belong to another Raft group (`group`) than the answering peer;
 * `waiting-for-peers`: a fresh peer waits for `--bootstrap-expect` peers to meet.
 */
export type StatusWarningCode = typeof STATUS_WARNING_CODES[number]

/** One warning of a status, with a sentence for people and the peers it is about. */
export interface StatusWarning {
  readonly code: StatusWarningCode
  readonly message: string
  readonly peers: readonly NodeId[]
  /** The other group (`other-group`). */
  readonly group?: string
}

/**
 * Writes a marker entry to the metadata log through the leader: it changes nothing, and
 * `mark-response` comes once it is committed. It proves that the log accepts writes (a
 * health check; tests follow the log through failovers with it). Clients never propose log
 * entries themselves: they send typed requests that the JobManager validates and turns into
 * entries (DESIGN §9).
 */
export interface MarkRequest {
  readonly type: 'mark-request'
  readonly id: number
  /** At most `MAX_MARKER_LENGTH` characters without control characters. */
  readonly text: string
}

/** The marker was committed at `index` in `term`. */
export interface MarkResponse {
  readonly type: 'mark-response'
  readonly id: number
  readonly index: number
  readonly term: number
}

/** Error codes of `error-response`. */
export const CLIENT_ERROR_CODES = Object.freeze({
  /** No leader is known now (an election is running); retry shortly. */
  noLeader: 'no-leader',
  /** The request went to a peer that is not the leader and could not forward it. */
  notLeader: 'not-leader',
  /** The leader did not answer in time. */
  timeout: 'timeout',
  /** The request was understood but is wrong (the user's mistake). */
  badRequest: 'bad-request',
  /** The peer does not support this request. */
  unsupported: 'unsupported',
  /** The peer is stopping or lacks a resource. */
  unavailable: 'unavailable',
  /** A bug on the peer. */
  internal: 'internal',
  /**
   * The sender may not say this: a report about another peer's subtasks, or a JobManager
   * command of a term or leader that is not the current one.
   */
  forbidden: 'forbidden',
  /** The request names something that does not exist (a job id no job has). */
  notFound: 'not-found'
} as const)

/** One of {@link CLIENT_ERROR_CODES}. */
export type ClientErrorCode = typeof CLIENT_ERROR_CODES[keyof typeof CLIENT_ERROR_CODES]

/** A request failed. `retriable` says whether sending it again may succeed. */
export interface ErrorResponse {
  readonly type: 'error-response'
  readonly id: number
  readonly code: ClientErrorCode
  /** One capitalised line for the user, naming what was wrong. */
  readonly message: string
  readonly retriable: boolean
}

/** Ask the leader instead: it is `leaderId`, reachable at `addrs`. */
export interface LeaderRedirect {
  readonly type: 'leader-redirect'
  readonly id: number
  readonly leaderId: NodeId
  readonly addrs: readonly string[]
}

/** A job's state, as Flink names them (DESIGN §7). */
export type JobState = 'CREATED' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED'

/** Every {@link JobState}. */
export const JOB_STATES: readonly JobState[] = Object.freeze(['CREATED', 'RUNNING', 'RESTARTING', 'FINISHED', 'FAILED', 'CANCELED'])

/** The states a job ends in: `await-job` is answered once the job reaches one. */
export const TERMINAL_JOB_STATES: readonly JobState[] = Object.freeze(['FINISHED', 'FAILED', 'CANCELED'])

/** A task's state as a TaskManager reports it. */
export type TaskReportState = 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED'

/** Every {@link TaskReportState}. */
export const TASK_REPORT_STATES: readonly TaskReportState[] = Object.freeze(['RUNNING', 'FINISHED', 'FAILED', 'CANCELED'])

/**
 * Submits a job: `meshflow run` or `peer.submit(...)`. The job's bundled code is a block
 * that `submitter` holds under `codeCid`; TaskManagers fetch it from there.
 */
export interface SubmitJobRequest {
  readonly type: 'submit-job'
  readonly id: number
  /** The job's name (1–`MAX_JOB_NAME_LENGTH` characters, no control characters). */
  readonly name: string
  /** The CID text of the job's code block (a meshflow block CID, see `cid.ts`). */
  readonly codeCid: string
  /** The job's arguments: at most `MAX_JOB_ARGS`, keys without control characters. */
  readonly args: Readonly<Record<string, string>>
  /** The default parallelism: 1 to `MAX_SLOTS`, and at most `maxParallelism` when given. */
  readonly parallelism: number
  /** The number of key groups: 1 to `MAX_PARALLELISM`. */
  readonly maxParallelism?: number
  /** The peer that holds the code block. */
  readonly submitter: NodeId
  /** Restores the job's state from the savepoint of this name (`run --from-savepoint NAME`). */
  readonly fromSavepoint?: string
  /**
   * With `fromSavepoint`: state of operators the new job lacks is skipped instead of
   * failing the restore (`--allow-non-restored-state`).
   */
  readonly allowNonRestoredState?: boolean
  /**
   * The job's id, chosen by the client (a UUID): a submission sent again — after the
   * leadership changed while it was being committed — answers with the job it made instead
   * of making a second one. Without it the JobManager picks the id.
   */
  readonly jobId?: string
}

/** The job was accepted under `jobId`. */
export interface SubmitJobResponse {
  readonly type: 'submit-job-response'
  readonly id: number
  readonly jobId: string
}

/** Asks for every job the JobManager knows: `meshflow jobs`. */
export interface JobsRequest {
  readonly type: 'jobs-request'
  readonly id: number
}

/**
 * One task of a job in a jobs response: subtask `subtask` of vertex `vertex`, on `peer`.
 * A dataset scan's task also lists the partitions it reads and whether its peer held a
 * replica of all of them when the task was placed (`local`).
 */
export interface JobTaskInfo {
  readonly vertex: string
  readonly subtask: number
  readonly peer: NodeId
  /** A dataset scan's partitions, ascending. */
  readonly partitions?: readonly number[]
  /** Whether the scan's peer held a replica of every partition it reads when it was placed. */
  readonly local?: boolean
}

/** A completed checkpoint as `jobs` shows it: its id, its manifest CID and when it completed (epoch ms). */
export interface CheckpointRef {
  readonly id: number
  readonly cid: string
  readonly at: number
}

/** A job's checkpoints: how many completed, and the latest one. */
export interface JobCheckpointsInfo {
  readonly completed: number
  readonly latest?: CheckpointRef
}

/**
 * One (re)start of a job: attempt `attempt` began at `at` (epoch ms) from checkpoint
 * `checkpointId`, or from no state (`null`).
 */
export interface RestoreInfo {
  readonly attempt: number
  readonly checkpointId: number | null
  readonly at: number
}

/**
 * One job in a jobs response, as `jobs --json` prints it (DESIGN §7), plus its error, its
 * checkpoints and which checkpoint each restart used.
 */
export interface JobInfo {
  readonly id: string
  readonly name: string
  readonly state: JobState
  readonly restarts: number
  /** At most `MAX_JOB_TASKS`. */
  readonly tasks: readonly JobTaskInfo[]
  readonly error?: string
  readonly checkpoints?: JobCheckpointsInfo
  /** The latest `MAX_RESTORE_HISTORY` (re)starts, oldest first. */
  readonly restoreHistory?: readonly RestoreInfo[]
  /** A batch job's progress. */
  readonly batch?: BatchProgressInfo
}

/** The answer to `jobs-request`: at most `MAX_JOBS` jobs, each id once. */
export interface JobsResponse {
  readonly type: 'jobs-response'
  readonly id: number
  readonly jobs: readonly JobInfo[]
}

/** Cancels a job: `meshflow cancel JOB_ID`. An unknown id is a `not-found` error. */
export interface CancelJobRequest {
  readonly type: 'cancel-job'
  readonly id: number
  readonly jobId: string
}

/** The job's state after the cancel request. */
export interface CancelJobResponse {
  readonly type: 'cancel-job-response'
  readonly id: number
  readonly jobId: string
  readonly state: JobState
}

/**
 * Waits for a job to end: answered with a `job-result` once the job reaches FINISHED,
 * FAILED or CANCELED (a waiting `meshflow run`).
 */
export interface AwaitJobRequest {
  readonly type: 'await-job'
  readonly id: number
  readonly jobId: string
}

/** How a job ended (or its state now); `error` says why it failed. */
export interface JobResult {
  readonly type: 'job-result'
  readonly id: number
  readonly jobId: string
  readonly state: JobState
  readonly error?: string
}

/**
 * A TaskManager tells the JobManager that its task for attempt `attempt` of job `jobId` on
 * `peer` changed state; `error` says why it failed.
 */
export interface TaskReport {
  readonly type: 'task-report'
  readonly id: number
  readonly jobId: string
  readonly attempt: number
  readonly peer: NodeId
  readonly state: TaskReportState
  /** At most `MAX_MESSAGE_LENGTH` characters; tabs and line breaks are allowed. */
  readonly error?: string
}

/**
 * A TaskManager tells the JobManager that its run `attempt` of region `region` of batch job
 * `jobId` ended: FINISHED with `result` (the CID of its result index block, see
 * node/runtime/blocking-results.ts) and the records it read and wrote, or FAILED with `error`.
 * Answered with a `task-report-ack`.
 */
export interface RegionReport {
  readonly type: 'region-report'
  readonly id: number
  readonly jobId: string
  readonly peer: NodeId
  readonly region: number
  readonly attempt: number
  readonly state: 'FINISHED' | 'FAILED'
  readonly result?: string
  readonly recordsIn?: number
  readonly recordsOut?: number
  /** At most `MAX_MESSAGE_LENGTH` characters. */
  readonly error?: string
}

/** A batch job's progress in `jobs --json`: its stages and regions, and the records its finished regions read and wrote. */
export interface BatchProgressInfo {
  readonly stages: { readonly total: number, readonly done: number, readonly running: number }
  readonly regions: { readonly total: number, readonly done: number, readonly running: number }
  /** Region runs after the first of each region (re-runs after failures and lost peers). */
  readonly reruns: number
  readonly recordsRead: number
  readonly recordsWritten: number
}

/** The JobManager received a task report. */
export interface TaskReportAck {
  readonly type: 'task-report-ack'
  readonly id: number
}

/**
 * How `trigger-savepoint` stops the job after the savepoint: `no-drain` ends it without
 * firing event-time windows early (`meshflow stop`), `drain` first advances the watermark to
 * the end so every window fires (`meshflow stop --drain`).
 */
export type SavepointStopMode = 'no-drain' | 'drain'

/** Every {@link SavepointStopMode}. */
export const SAVEPOINT_STOP_MODES: readonly SavepointStopMode[] = Object.freeze(['no-drain', 'drain'])

/**
 * Takes a savepoint of a running job under `name` (`meshflow savepoint JOB_ID NAME`), and
 * with `stop` then ends the job (`meshflow stop JOB_ID --savepoint NAME [--drain]`).
 * Answered once the savepoint is complete and its name committed to the metadata log.
 */
export interface TriggerSavepointRequest {
  readonly type: 'trigger-savepoint'
  readonly id: number
  readonly jobId: string
  /** 1–`MAX_SAVEPOINT_NAME_LENGTH` characters, no control characters, no `/`. */
  readonly name: string
  readonly stop?: SavepointStopMode
}

/** The savepoint `name` of job `jobId` is checkpoint `checkpointId`, whose manifest is `cid`. */
export interface SavepointResponse {
  readonly type: 'savepoint-response'
  readonly id: number
  readonly jobId: string
  readonly name: string
  readonly checkpointId: number
  readonly cid: string
}

/** A savepoint as `meshflow savepoints --json` prints it. */
export interface SavepointInfo {
  readonly name: string
  readonly jobId: string
  readonly jobName: string
  readonly checkpointId: number
  /** The CID of the savepoint's manifest block. */
  readonly cid: string
  /** When the savepoint completed (epoch ms). */
  readonly createdAt: number
}

/** Asks for every savepoint of the mesh: `meshflow savepoints`. */
export interface SavepointsRequest {
  readonly type: 'savepoints-request'
  readonly id: number
}

/** The answer to `savepoints-request`: at most `MAX_SAVEPOINTS`, each name once. */
export interface SavepointsResponse {
  readonly type: 'savepoints-response'
  readonly id: number
  readonly savepoints: readonly SavepointInfo[]
}

/**
 * Deletes a savepoint's name (`meshflow savepoint --delete NAME`); its blocks become
 * garbage once nothing else references them. An unknown name is a `not-found` error.
 */
export interface DeleteSavepointRequest {
  readonly type: 'delete-savepoint'
  readonly id: number
  readonly name: string
}

/** The savepoint `name` is deleted. */
export interface DeleteSavepointResponse {
  readonly type: 'delete-savepoint-response'
  readonly id: number
  readonly name: string
}

/**
 * What kind of snapshot a checkpoint takes: a periodic `checkpoint`, a `savepoint`, or a
 * savepoint that stops the job (`stop`, or `stop-drain` that fires every window first).
 * The same names as the runtime's `CheckpointKind`.
 */
export type CheckpointKind = 'checkpoint' | 'savepoint' | 'stop' | 'stop-drain'

/** Every {@link CheckpointKind}. */
export const CHECKPOINT_KINDS: readonly CheckpointKind[] = Object.freeze(['checkpoint', 'savepoint', 'stop', 'stop-drain'])

/**
 * The JobManager asks a TaskManager to inject the barrier of checkpoint `checkpointId` at
 * the source subtasks it runs for attempt `attempt` of job `jobId` (runtime traffic, not a
 * user command).
 */
export interface TriggerCheckpointRequest {
  readonly type: 'trigger-checkpoint'
  readonly id: number
  /**
   * The Raft term of the JobManager that sends it, and its id (fencing, DESIGN §5): a
   * TaskManager acts only on the current term's leader, and only when the command comes
   * on a connection from that leader.
   */
  readonly term: number
  readonly leaderId: NodeId
  readonly jobId: string
  readonly attempt: number
  readonly checkpointId: number
  readonly kind: CheckpointKind
}

/**
 * Whether the TaskManager injected the barrier; `lastCheckpointId` is the latest checkpoint
 * id its sources have seen (a refused trigger after a failover says where they are).
 */
export interface TriggerCheckpointResponse {
  readonly type: 'trigger-checkpoint-response'
  readonly id: number
  readonly accepted: boolean
  readonly lastCheckpointId: number
}

/**
 * The state of one operator of a subtask at a checkpoint: its keyed state as the CIDs of
 * its chunks in order (every chunk already stored), and its list state as plain values.
 */
export interface OperatorStateRef {
  readonly operatorId: string
  /** At most `MAX_KEYED_CHUNKS` block CIDs. */
  readonly keyed: readonly string[]
  /** Plain data; at most `MAX_LIST_STATE_ELEMENTS` elements over all operators of an ack. */
  readonly list: readonly unknown[]
}

/**
 * A TaskManager acknowledges that subtask `subtask` of vertex `vertex` (attempt `attempt`
 * of job `jobId`, on `peer`) took and stored its snapshot of checkpoint `checkpointId`.
 * `checkpointId` may be `Number.MAX_SAFE_INTEGER`: the final snapshot after end of input.
 */
export interface CheckpointAck {
  readonly type: 'checkpoint-ack'
  readonly id: number
  readonly jobId: string
  readonly attempt: number
  readonly checkpointId: number
  readonly peer: NodeId
  readonly vertex: string
  readonly subtask: number
  /** At most `MAX_CHECKPOINT_OPERATORS`, each operator id once. */
  readonly operators: readonly OperatorStateRef[]
}

/** A subtask on `peer` could not take its snapshot of checkpoint `checkpointId`; `reason` says why. */
export interface CheckpointDecline {
  readonly type: 'checkpoint-decline'
  readonly id: number
  readonly jobId: string
  readonly attempt: number
  readonly checkpointId: number
  readonly peer: NodeId
  /** At most `MAX_MESSAGE_LENGTH` characters; tabs and line breaks are allowed. */
  readonly reason: string
}

/**
 * The JobManager's answer to a `checkpoint-ack` or `checkpoint-decline`: `accepted` is false
 * when the checkpoint is no longer pending (aborted, or of an older attempt).
 */
export interface CheckpointAckResponse {
  readonly type: 'checkpoint-ack-response'
  readonly id: number
  readonly accepted: boolean
}

/** A request a client sends. */
export type ClientRequest = StatusRequest | MarkRequest | SubmitJobRequest | JobsRequest | CancelJobRequest | AwaitJobRequest | TaskReport | RegionReport |
  TriggerSavepointRequest | SavepointsRequest | DeleteSavepointRequest | TriggerCheckpointRequest | CheckpointAck | CheckpointDecline |
  DatasetRequest
/** An answer a peer sends. */
export type ClientResponse = StatusResponse | MarkResponse | ErrorResponse | LeaderRedirect |
  SubmitJobResponse | JobsResponse | CancelJobResponse | JobResult | TaskReportAck |
  SavepointResponse | SavepointsResponse | DeleteSavepointResponse | TriggerCheckpointResponse | CheckpointAckResponse |
  DatasetResponse
/** A message on `/meshflow/client/1`. */
export type ClientMessage = ClientRequest | ClientResponse

/** The `type` of every client message. */
export type ClientMessageType = ClientMessage['type']
