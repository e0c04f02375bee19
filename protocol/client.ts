/**
 * Client messages (`/meshflow/client/1`, DESIGN §7). The CLI (`meshflow status --mesh MA`)
 * or the programmatic peer API opens a stream to any peer and sends requests; that peer
 * answers itself when it can, forwards the request to the leader, or tells the client where
 * the leader is with a `leader-redirect`. Requests carry an `id` that the answer echoes, so
 * several requests can share one stream. Job commands (submit, jobs, cancel, await) and the
 * TaskManagers' task reports to the JobManager travel here too. The codec lives in
 * `codec.ts`.
 */
import type { PeerRole } from './membership.ts'
import type { NodeId } from './raft.ts'

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
}

/**
 * Proposes an application command to the metadata log through the leader (a test and debug
 * command: `propose-response` comes once the entry is committed).
 */
export interface ProposeRequest {
  readonly type: 'propose-request'
  readonly id: number
  /** Any cbor-encodable value; it becomes a `command` log entry. */
  readonly command: unknown
}

/** The proposed command was committed at `index` in `term`. */
export interface ProposeResponse {
  readonly type: 'propose-response'
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

/** One task of a job in a jobs response: subtask `subtask` of vertex `vertex`, on `peer`. */
export interface JobTaskInfo {
  readonly vertex: string
  readonly subtask: number
  readonly peer: NodeId
}

/** One job in a jobs response, as `jobs --json` prints it (DESIGN §7), plus its error. */
export interface JobInfo {
  readonly id: string
  readonly name: string
  readonly state: JobState
  readonly restarts: number
  /** At most `MAX_JOB_TASKS`. */
  readonly tasks: readonly JobTaskInfo[]
  readonly error?: string
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

/** The JobManager received a task report. */
export interface TaskReportAck {
  readonly type: 'task-report-ack'
  readonly id: number
}

/** A request a client sends. */
export type ClientRequest = StatusRequest | ProposeRequest | SubmitJobRequest | JobsRequest | CancelJobRequest | AwaitJobRequest | TaskReport
/** An answer a peer sends. */
export type ClientResponse = StatusResponse | ProposeResponse | ErrorResponse | LeaderRedirect |
  SubmitJobResponse | JobsResponse | CancelJobResponse | JobResult | TaskReportAck
/** A message on `/meshflow/client/1`. */
export type ClientMessage = ClientRequest | ClientResponse

/** The `type` of every client message. */
export type ClientMessageType = ClientMessage['type']
