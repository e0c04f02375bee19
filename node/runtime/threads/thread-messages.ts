/**
 * What the main thread and a task worker (`task-worker.ts`) tell each other about a run:
 * one job attempt's subtasks on that worker. Messages are structured-cloned; the ports of
 * a run's channels travel in its `run` message.
 */
import type { MessagePort } from 'node:worker_threads'
import type { SourceSplit } from '../../api/source.ts'
import type { JobArgs } from '../../api/job.ts'
import type { DatasetCatalogEntries } from '../../api/dataset-catalog-view.ts'
import type { CheckpointTrigger, OperatorSnapshot, RestoredOperatorState } from '../checkpoint.ts'
import type { TaskMemory, TaskMetrics } from '../local-executor.ts'
import type { DatasetCallMessage, DatasetReplyMessage } from './dataset-access-proxy.ts'

/** Where the other end of a channel is: a worker's index, or MAIN_THREAD (another peer, relayed). */
export const MAIN_THREAD = -1

export interface RunMessage {
  readonly type: 'run'
  readonly runId: number
  /** The job module's URL: its default export is the job definition. */
  readonly module: string
  readonly args: JobArgs
  readonly parallelism: number
  readonly maxParallelism: number | undefined
  readonly jobId: string
  readonly jobName: string
  readonly batchSize: number
  readonly capacity: number
  /** subtaskKey(vertex, subtask) of the subtasks this worker runs. */
  readonly subtasks: readonly string[]
  /** subtaskKey -> worker index (or MAIN_THREAD) of every subtask a channel of this worker reaches. */
  readonly locations: ReadonlyArray<readonly [string, number]>
  /** A source vertex's splits, listed once per peer by the main thread. */
  readonly splits: ReadonlyArray<readonly [string, SourceSplit[]]>
  readonly restore: ReadonlyArray<readonly [string, ReadonlyMap<string, RestoredOperatorState>]>
  readonly checkpointing: boolean
  /** The peer has datasets: the worker's tasks reach them through the main thread. */
  readonly datasets: boolean
  /** What the build knows of the datasets the job reads (the main thread's, so the graphs agree). */
  readonly datasetCatalog?: DatasetCatalogEntries
  /** Each task's memory budget and spill folder. */
  readonly memory: TaskMemory
  /** One port per thread this worker has channels with. */
  readonly links: ReadonlyArray<{ readonly peer: number, readonly port: MessagePort }>
}

export type ToWorker =
  | RunMessage
  | { readonly type: 'trigger', readonly runId: number, readonly seq: number, readonly trigger: CheckpointTrigger }
  | { readonly type: 'complete', readonly runId: number, readonly seq: number, readonly checkpointId: number }
  | { readonly type: 'cancel', readonly runId: number, readonly reason: string }
  | { readonly type: 'dataset-reply', readonly runId: number, readonly reply: DatasetReplyMessage }
  /** Load these modules now (by URL), ahead of the job that will import them. */
  | { readonly type: 'warm', readonly modules: readonly string[] }

/** An error as it crosses threads: its name, message, stack and causes (an operator's error names it). */
export interface ErrorText {
  readonly name: string
  readonly message: string
  readonly stack?: string
  readonly cause?: ErrorText
}

export type FromWorker =
  | { readonly type: 'deployed', readonly runId: number }
  | { readonly type: 'triggered', readonly runId: number, readonly seq: number, readonly accepted: boolean, readonly lastCheckpointId: number }
  | { readonly type: 'completed', readonly runId: number, readonly seq: number, readonly error?: ErrorText }
  | { readonly type: 'snapshot', readonly runId: number, readonly vertex: string, readonly subtask: number, readonly checkpointId: number, readonly snapshot: Map<string, OperatorSnapshot> }
  | { readonly type: 'done', readonly runId: number, readonly tasks: readonly TaskMetrics[] }
  | { readonly type: 'failed', readonly runId: number, readonly cancelled: boolean, readonly error: ErrorText }
  | { readonly type: 'dataset-call', readonly runId: number, readonly call: DatasetCallMessage }
