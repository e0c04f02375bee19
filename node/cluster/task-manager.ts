/**
 * The TaskManager side of a peer: when the metadata log deploys a job with subtasks on
 * this peer, it loads the job's code by CID, rebuilds the same job graph, and runs its own
 * subtasks with channels to the other peers' subtasks; it reports the outcome to the
 * JobManager, and aborts its subtasks when the job ends elsewhere (failed or cancelled).
 *
 * With checkpoints: an attempt that restores loads the manifest and the state chunks its
 * subtasks need; the JobManager's triggers reach the local sources; each snapshot's new
 * chunks are stored as replicated blocks before the subtask acknowledges; and a
 * `checkpoint-completed` entry of the log lets the local sinks commit. The final
 * acknowledgement is sent again every few seconds until the final checkpoint completes, so
 * a JobManager elected in between still gets it.
 */
import { logger } from '@libp2p/logger'
import type { JobDefinition } from '../api/job.ts'
import type { DatasetAccess } from '../api/dataset-access.ts'
import type { JobVertex } from '../graph/job-graph.ts'
import type { JobExecutionResult, JobTasksControl, RunTasksCheckpointing, TriggerAnswer } from '../runtime/local-executor.ts'
import type { TaskThreads } from '../runtime/threads/task-threads.ts'
import { JobCancelledError, JobExecutionError } from '../runtime/errors.ts'
import { errorMessage } from '../../protocol/error-message.ts'
import { FINAL_CHECKPOINT_ID, type CheckpointTrigger, type OperatorSnapshot } from '../runtime/checkpoint.ts'
import { acknowledgementOf, type AckedOperator } from '../runtime/checkpoint-coordinator.ts'
import type { DataService } from '../mesh/data-service.ts'
import type { JobRecord } from './job-registry.ts'
import { loadJobRuntime } from './load-job-runtime.ts'
import { buildPinnedJob, type JobDatasetsSource } from './job-dataset-view.ts'
import { subtaskKey } from '../runtime/checkpoint-manifest.ts'

const log = logger('meshflow:cluster:task-manager')

export interface TaskReport {
  readonly jobId: string
  readonly attempt: number
  readonly state: 'FINISHED' | 'FAILED' | 'CANCELED'
  readonly error?: string
}

export interface TaskManagerComponents {
  readonly selfId: string
  readonly data: DataService
  /** The job's `defineJob` definition, loaded from its code CID. */
  readonly loadJob: (job: JobRecord) => Promise<JobDefinition>
  /** The URL of the job's loaded module, for task threads; undefined for code declared in this process. */
  readonly moduleOf?: (job: JobRecord) => string | undefined
  /** Tells the JobManager how this peer's subtasks ended (retried until it is heard). */
  readonly report: (report: TaskReport) => Promise<void>
  /** A block's verified bytes. */
  readonly fetchBlock: (cid: string) => Promise<Uint8Array>
  /** Stores a block on R peers; resolves with its CID once they hold it. */
  readonly storeBlock: (bytes: Uint8Array) => Promise<string>
  /** Sends a subtask's acknowledgement to the JobManager; false when it was not expected. */
  readonly ack: (ack: SubtaskAck) => Promise<boolean>
  /** The datasets a job's tasks read and write (its reads pinned to the versions resolved at submit). */
  readonly datasets?: (job: JobRecord) => DatasetAccess
  /** The catalog and blocks a job reading datasets is built with (see job-dataset-view.ts). */
  readonly datasetsSource?: () => JobDatasetsSource
  /** Tells the JobManager that a subtask could not take its snapshot. */
  readonly decline: (m: { jobId: string, attempt: number, checkpointId: number, reason: string }) => Promise<void>
}

/** One subtask's acknowledgement of a checkpoint. */
export interface SubtaskAck {
  readonly jobId: string
  readonly attempt: number
  readonly checkpointId: number
  readonly vertex: string
  readonly subtask: number
  readonly operators: readonly AckedOperator[]
}

/** How often a final acknowledgement is sent again until the final checkpoint completes. */
const FINAL_ACK_RESEND_MS = 2_000
/** How long stopping a job's subtasks waits for the sink commits under way. */
const CANCEL_COMMIT_WAIT_MS = 60_000
/** How long a stopping peer's subtasks may take to stop before their threads are terminated. */
const STOP_GRACE_MS = 5_000
/** Jobs whose source record counts and failures a TaskManager keeps (for `meshflow run`'s summary). */
const MAX_REMEMBERED_JOBS = 100

/** Sets `key` as the newest entry of `map`, keeping the newest MAX_REMEMBERED_JOBS (a Map iterates in insertion order). */
function remember<V> (map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  map.set(key, value)
  for (const k of map.keys()) {
    if (map.size <= MAX_REMEMBERED_JOBS) break
    map.delete(k)
  }
}

interface RunningJob {
  readonly attempt: number
  readonly controller: AbortController
  done: Promise<void>
  control: JobTasksControl | undefined
  /** Commits under way: a job ending after a savepoint waits for them. */
  commits: Promise<unknown>
  readonly finalAcks: SubtaskAck[]
  resend: ReturnType<typeof setInterval> | undefined
}

export interface TaskManagerInit {
  /**
   * Worker threads that run this peer's subtasks (default: the machine's cores); 0 runs
   * them on the main thread. Jobs declared in this process always run on the main thread.
   */
  readonly threads?: number
  /** See TaskThreadsInit.cancelTimeoutMs. */
  readonly cancelTimeoutMs?: number
  /** Each task's memory budget in bytes (`--task-memory`; a job's `taskMemory` wins). */
  readonly taskMemory?: number
  /** Where tasks spill (the peer's `<data-dir>/spill`). */
  readonly spillDir?: string
  /** See TaskThreadsInit.segmentCacheBytes (PeerInit.segmentCacheBytes). */
  readonly segmentCacheBytes?: number
}

export class TaskManager {
  readonly #sourceRecords = new Map<string, number>()
  /** The attempt of each job this process deployed, until the job ends. */
  readonly #deployed = new Map<string, number>()
  readonly #failures = new Map<string, unknown>()
  readonly #results = new Map<string, JobExecutionResult>()
  readonly #c: TaskManagerComponents
  readonly #init: TaskManagerInit
  readonly #running = new Map<string, RunningJob>()
  #threads: Promise<TaskThreads> | undefined
  #stopped = false

  constructor (components: TaskManagerComponents, init: TaskManagerInit = {}) {
    this.#c = components
    this.#init = init
  }

  /** The pool of task threads, started on the first job that runs on it. */
  #pool (): Promise<TaskThreads> | undefined {
    // a stopped TaskManager starts no new pool (a run still loading its job ends cancelled)
    if (this.#init.threads === 0 || this.#stopped) return undefined
    this.#threads ??= import('../runtime/threads/task-threads.ts').then(({ TaskThreads }) => new TaskThreads({
      ...(this.#init.threads === undefined ? {} : { threads: this.#init.threads }),
      ...(this.#init.cancelTimeoutMs === undefined ? {} : { cancelTimeoutMs: this.#init.cancelTimeoutMs }),
      ...(this.#init.segmentCacheBytes === undefined ? {} : { segmentCacheBytes: this.#init.segmentCacheBytes })
    }))
    return this.#threads
  }

  /** The peer's task threads (undefined when subtasks run on the main thread): batch regions run on them too. */
  threadPool (): Promise<TaskThreads> | undefined { return this.#pool() }

  /** Starts the task threads now, loading `modules` in each (see TaskThreads.warm); nothing without threads. */
  warmThreads (modules: readonly string[]): void {
    // a pool that cannot start fails the first run instead
    this.#pool()?.then(pool => { pool.warm(modules) }).catch(() => {})
  }

  /** Subtasks running on this peer, per job (for status and tests). */
  get runningJobs (): string[] { return [...this.#running.keys()] }

  deploy (job: JobRecord): void {
    if (this.#stopped) return
    const current = this.#running.get(job.id)
    if (current !== undefined && current.attempt >= job.attempt) return
    // an earlier attempt stops here even when the new one runs nothing on this peer
    if (current !== undefined) this.#abort(current, new JobCancelledError(job.name))
    if (!job.tasks.some(t => t.peer === this.#c.selfId)) return
    this.#deployed.set(job.id, job.attempt)
    const controller = new AbortController()
    const running: RunningJob = { attempt: job.attempt, controller, done: Promise.resolve(), control: undefined, commits: Promise.resolve(), finalAcks: [], resend: undefined }
    this.#running.set(job.id, running)
    running.done = this.#run(job, running).finally(() => {
      clearInterval(running.resend)
      if (this.#running.get(job.id) === running) this.#running.delete(job.id)
    })
  }

  #abort (running: RunningJob, reason: Error): void {
    clearInterval(running.resend)
    running.controller.abort(reason)
  }

  /**
   * The job ended elsewhere, or its attempt failed: stop its subtasks here — after the
   * commits under way (a job stopped with a savepoint ends once its sinks committed).
   */
  cancel (jobId: string, reason: string): void {
    const running = this.#running.get(jobId)
    if (running === undefined) return
    // a sink commit that hangs must not keep the job's subtasks here forever
    const bounded = Promise.race([running.commits, new Promise(resolve => { setTimeout(resolve, CANCEL_COMMIT_WAIT_MS).unref() })])
    bounded.finally(() => { this.#abort(running, new JobCancelledError(reason)) }).catch(() => {})
  }

  /** Injects a checkpoint barrier at this peer's source subtasks of the job's attempt. */
  async trigger (jobId: string, attempt: number, trigger: CheckpointTrigger): Promise<TriggerAnswer> {
    const running = this.#running.get(jobId)
    if (running === undefined || running.attempt !== attempt || running.control === undefined) return { accepted: false, lastCheckpointId: 0 }
    return await running.control.trigger(trigger)
  }

  /**
   * A checkpoint of the job's attempt completed (from the log): the local sinks commit. After
   * a stop-with-savepoint this peer then reports its subtasks finished (or failed, when a
   * commit failed); they stay up, idle, until the job ends — stopping them before every peer
   * committed would break channels and fail subtasks of peers still committing.
   */
  checkpointCompleted (completed: { job: Pick<JobRecord, 'id' | 'attempt'>, checkpointId: number, final: boolean, stop: boolean }): void {
    const { checkpointId, final, stop } = completed
    const { id: jobId, attempt } = completed.job
    const running = this.#running.get(jobId)
    if (running === undefined || running.attempt !== attempt || running.control === undefined) return
    if (final) clearInterval(running.resend)
    const control = running.control
    let failure: string | undefined
    running.commits = running.commits.then(async () => { await control.notifyComplete(final ? FINAL_CHECKPOINT_ID : checkpointId) }).catch(err => {
      failure = `Committing checkpoint ${checkpointId} failed: ${errorMessage(err)}`
      log.error('job %s: %s', jobId, failure)
    })
    if (!stop) return
    void running.commits.then(async () => {
      await this.#c.report(failure === undefined
        ? { jobId, attempt, state: 'FINISHED' }
        : { jobId, attempt, state: 'FAILED', error: failure })
    }).catch(err => { log.error('could not report the stop of job %s: %s', jobId, errorMessage(err)) }) // logged: the JobManager then sees the peer's tasks never finish
  }

  /** Stores the new chunks of a snapshot, then acknowledges it (or declines on failure). */
  async #acknowledge (job: JobRecord, running: RunningJob, vertex: string, subtask: number, checkpointId: number, snapshot: Map<string, OperatorSnapshot>): Promise<void> {
    try {
      const uploads: Promise<void>[] = []
      const operators = acknowledgementOf(snapshot, (expected, bytes) => {
        uploads.push(this.#c.storeBlock(bytes).then(cid => {
          if (cid !== expected) throw new Error(`Chunk stored as ${cid}, expected ${expected}`)
        }))
      })
      await Promise.all(uploads)
      const ack: SubtaskAck = { jobId: job.id, attempt: running.attempt, checkpointId, vertex, subtask, operators }
      if (checkpointId === FINAL_CHECKPOINT_ID) {
        running.finalAcks.push(ack)
        if (running.resend === undefined && !running.controller.signal.aborted) {
          running.resend = setInterval(() => {
            for (const a of running.finalAcks) this.#c.ack(a).catch(() => {})
          }, FINAL_ACK_RESEND_MS)
        }
      }
      await this.#c.ack(ack)
    } catch (err) {
      if (running.controller.signal.aborted) return
      const reason = errorMessage(err)
      if (checkpointId === FINAL_CHECKPOINT_ID) {
        // without its final state stored the job cannot finish: fail this attempt (it restarts)
        log.error('job %s: the final snapshot of %s[%d] could not be stored: %s', job.id, vertex, subtask, reason)
        this.#abort(running, new Error(reason))
        await this.#c.report({ jobId: job.id, attempt: running.attempt, state: 'FAILED', error: `The final state of ${vertex}[${subtask}] could not be stored: ${reason}` }).catch(() => {})
        return
      }
      log('job %s: checkpoint %d of %s[%d] declined: %s', job.id, checkpointId, vertex, subtask, reason)
      await this.#c.decline({ jobId: job.id, attempt: running.attempt, checkpointId, reason }).catch(() => {})
    }
  }

  async #run (job: JobRecord, running: RunningJob): Promise<void> {
    const signal = running.controller.signal
    const self = this.#c.selfId
    // the record of the attempt deployed (later attempts get records of their own)
    const attempt = running.attempt
    const tasks = job.tasks
    const restoreFrom = job.restore
    let report: TaskReport
    try {
      const definition = await this.#c.loadJob(job)
      const runtime = await loadJobRuntime()
      const { runTasks, decodeManifest, loadRestoredState, planRestore, MeshChannelProvider } = runtime
      const { env, entries } = await buildPinnedJob(runtime, definition, job, this.#c.datasetsSource)
      const graph = env.getJobGraph()
      const where = new Map(tasks.map(t => [subtaskKey(t.vertex, t.subtask), t.peer]))
      const placement = (v: JobVertex, s: number): string => {
        const peer = where.get(subtaskKey(v.id, s))
        if (peer === undefined) throw new Error(`The deployment of job ${job.id} has no peer for ${v.id}[${s}]: the job's code builds a different graph here`)
        return peer
      }
      const runsHere = (v: JobVertex, s: number): boolean => placement(v, s) === self
      let restore
      if (restoreFrom !== undefined) {
        const manifest = decodeManifest(await this.#c.fetchBlock(restoreFrom.cid))
        const plan = planRestore(manifest, graph, { allowNonRestoredState: job.allowNonRestoredState })
        restore = await loadRestoredState(plan, graph, runsHere, this.#c.fetchBlock)
      }
      let checkpointing: RunTasksCheckpointing | undefined
      if (job.checkpointIntervalMs !== undefined) {
        checkpointing = {
          onSnapshot: (vertex, subtask, checkpointId, snapshot) => {
            void this.#acknowledge(job, running, vertex.id, subtask, checkpointId, snapshot) // settles by itself: failures decline
          },
          onDeployed: control => { running.control = control }
        }
      }
      const channels = new MeshChannelProvider({ selfId: self, jobId: job.id, attempt: attempt, data: this.#c.data, placement, capacity: env.channelCapacity })
      log('job %s attempt %d: running %d subtasks%s', job.id, attempt, tasks.filter(t => t.peer === self).length,
        restoreFrom === undefined ? '' : ` from checkpoint ${restoreFrom.checkpointId}`)
      const datasets = this.#c.datasets?.(job)
      const memory = { taskMemory: env.taskMemory ?? this.#init.taskMemory, spillDir: this.#init.spillDir }
      const module = this.#c.moduleOf?.(job)
      const pool = module === undefined ? undefined : this.#pool()
      const result = pool === undefined || module === undefined
        ? await runTasks(graph, { jobId: job.id, jobName: job.name, channels, runsHere, signal, batchSize: env.batchSize, memory, ...(datasets === undefined ? {} : { datasets }), ...(checkpointing === undefined ? {} : { checkpointing }), ...(restore === undefined ? {} : { restore }) })
        : await (await pool).run({
          module,
          args: job.args,
          parallelism: job.parallelism,
          maxParallelism: job.maxParallelism,
          graph,
          jobId: job.id,
          jobName: job.name,
          batchSize: env.batchSize,
          capacity: env.channelCapacity,
          channels,
          runsHere,
          signal,
          memory,
          ...(datasets === undefined ? {} : { datasets }),
          ...(entries === undefined ? {} : { datasetCatalog: entries }),
          ...(checkpointing === undefined ? {} : { checkpointing }),
          ...(restore === undefined ? {} : { restore })
        })
      this.#countSourceRecords(job.id, result)
      report = { jobId: job.id, attempt: attempt, state: 'FINISHED' }
    } catch (err) {
      const cancelled = signal.aborted || err instanceof JobCancelledError
      report = cancelled
        ? { jobId: job.id, attempt: attempt, state: 'CANCELED' }
        // the JobManager names the job: report what failed in it (the operator and why)
        : { jobId: job.id, attempt: attempt, state: 'FAILED', error: errorMessage(err instanceof JobExecutionError ? err.cause : err) }
      if (!cancelled) {
        log.error('job %s failed here: %s', job.id, report.error)
        remember(this.#failures, job.id, err instanceof JobExecutionError ? err.cause : err)
      }
    } finally {
      this.#c.data.forgetJob(job.id, attempt)
    }
    if (report.state === 'CANCELED') return
    try {
      await this.#c.report(report)
    } catch (err) {
      log.error('could not report job %s to the JobManager: %s', job.id, errorMessage(err))
    }
  }

  /** Whether this process deployed its subtasks of the job's `attempt` (running or done). */
  deployed (jobId: string, attempt: number): boolean { return this.#deployed.get(jobId) === attempt }

  /** The job ended: forget what was kept of it here. */
  forget (jobId: string): void { this.#deployed.delete(jobId) }

  /** Records read by this peer's source subtasks of the job, over its attempts that finished here. */
  sourceRecords (jobId: string): number { return this.#sourceRecords.get(jobId) ?? 0 }

  /** What this peer's subtasks of the job's attempt that finished here did (runtime, records per task). */
  result (jobId: string): JobExecutionResult | undefined { return this.#results.get(jobId) }

  /** The latest error a subtask of the job failed with on this peer. */
  failure (jobId: string): unknown { return this.#failures.get(jobId) }

  #countSourceRecords (jobId: string, result: JobExecutionResult): void {
    let n = this.#sourceRecords.get(jobId) ?? 0
    for (const t of result.tasks) if (t.source) n += t.recordsIn
    remember(this.#sourceRecords, jobId, n)
    remember(this.#results, jobId, result)
  }

  async stop (): Promise<void> {
    this.#stopped = true
    const runs = [...this.#running.values()]
    for (const r of runs) this.#abort(r, new JobCancelledError('peer stopping'))
    const ended = Promise.allSettled(runs.map(r => r.done))
    const threads = this.#threads
    this.#threads = undefined
    if (threads !== undefined) {
      // subtasks get a moment to stop; a thread stuck in an operator's loop is then terminated
      let grace: ReturnType<typeof setTimeout> | undefined
      await Promise.race([ended, new Promise(resolve => { grace = setTimeout(resolve, STOP_GRACE_MS) })])
      clearTimeout(grace)
      await (await threads).stop()
    }
    await ended
  }
}
