/**
 * The jobs of the mesh as the metadata log records them (DESIGN §5): every peer applies the
 * same committed commands (`protocol/log.ts`) in the same order, so every peer knows every
 * job, its code CID, its deployment and its state, and a new JobManager takes over from the
 * log. Task completions are in the log, not only in the JobManager's memory, so a JobManager
 * elected while a job runs knows which peers are done.
 *
 * Applying an entry is total (DESIGN §9): an entry that is not a valid command, or that
 * refers to a job that does not exist, is skipped with one logged error — the same way on
 * every peer, since every peer applies the same entries — and never throws. The registry
 * keeps the last `MAX_ENDED_JOBS` ended jobs; older ones are forgotten in log order.
 */
import type { LogEntry } from '../../protocol/raft.ts'
import type { SavepointInfo } from '../../protocol/client.ts'
import type { TaskAssignment } from './scheduler.ts'
import type { RestartStrategy } from '../api/stream-environment.ts'
import type { CheckpointRecordRef, Incarnations, LogCommand } from '../../protocol/log.ts'
import { decodeLogCommand } from '../../protocol/log-codec.ts'
import { logger } from '@libp2p/logger'
import { TypedEvents } from '../mesh/typed-events.ts'

const log = logger('meshflow:cluster:registry')

export type JobState = 'CREATED' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED'
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['FINISHED', 'FAILED', 'CANCELED'])

export type {
  SubmitJobCommand, CheckpointCompletedCommand, RestartJobCommand, DeleteSavepointCommand, JobStateCommand, TaskFinishedCommand,
  JobCommand, LogCommand, MarkerCommand
} from '../../protocol/log.ts'

/** A completed checkpoint as the log records it. */
export type CheckpointRef = CheckpointRecordRef

/** A named savepoint (never garbage-collected until deleted), as `savepoints` lists it. */
export type SavepointRecord = SavepointInfo

/** How many completed checkpoints per job the mesh keeps (older ones become garbage). */
export const RETAINED_CHECKPOINTS = 3

/** How many ended jobs the registry keeps (the oldest submitted are forgotten first). */
export const MAX_ENDED_JOBS = 1_000

export interface JobRecord {
  readonly id: string
  readonly name: string
  readonly codeCid: string
  readonly args: Readonly<Record<string, string>>
  readonly parallelism: number
  readonly maxParallelism: number | undefined
  readonly codeHolders: readonly string[]
  readonly submittedAt: number
  state: JobState
  attempt: number
  restarts: number
  tasks: readonly TaskAssignment[]
  /** The incarnation of each peer the current attempt runs on (undefined in older logs). */
  incarnations: Incarnations | undefined
  error: string | undefined
  /** Peers whose subtasks of the current attempt have all finished. */
  readonly finishedPeers: Set<string>
  readonly checkpointIntervalMs: number | undefined
  readonly checkpointTimeoutMs: number | undefined
  readonly restartStrategy: RestartStrategy | undefined
  readonly allowNonRestoredState: boolean
  /** What the current attempt restores (undefined: it started from scratch). */
  restore: CheckpointRef | undefined
  checkpoints: { completed: number, latest?: { id: number, cid: string, at: number } }
  /** The last RETAINED_CHECKPOINTS completed checkpoints, oldest first. */
  retained: CheckpointRef[]
  /** A stop-with-savepoint completed: the job ends when every TaskManager committed it. */
  stopping: boolean
  /** One entry per attempt after the first: the checkpoint it restored. */
  restoreHistory: { attempt: number, checkpointId: number | null, at: number }[]
}

export interface JobRegistryEvents extends Record<string, unknown> {
  /** A job (re)deployed: TaskManagers start their subtasks of this attempt. */
  'deployed': JobRecord
  /** A job reached a final state. */
  'ended': JobRecord
  /** A job's attempt failed and will restart: its subtasks stop. */
  'restarting': JobRecord
  /** A checkpoint of the job's current attempt completed. */
  'checkpoint': { job: JobRecord, checkpointId: number, cid: string, final: boolean, stop: boolean }
}

export class JobRegistry extends TypedEvents<JobRegistryEvents> {
  readonly #jobs = new Map<string, JobRecord>()
  readonly #savepoints = new Map<string, SavepointRecord>()
  #applied = 0

  /** Every savepoint, oldest first. */
  get savepoints (): SavepointRecord[] { return [...this.#savepoints.values()] }

  savepoint (name: string): SavepointRecord | undefined { return this.#savepoints.get(name) }

  /** Index of the last log entry applied. */
  get applied (): number { return this.#applied }

  get jobs (): readonly JobRecord[] { return [...this.#jobs.values()] }

  job (id: string): JobRecord | undefined { return this.#jobs.get(id) }

  /**
   * Applies a committed log entry; entries at or below `applied` are skipped (replays), and
   * so is an entry that is not a valid command or refers to what does not exist (logged).
   * Never throws.
   */
  apply (entry: LogEntry): void {
    if (entry.index <= this.#applied) return
    this.#applied = entry.index
    if (entry.type !== 'command') return
    let command: LogCommand
    try {
      command = decodeLogCommand(entry.command)
    } catch (err) {
      log.error('skipped log entry %d (term %d): %s', entry.index, entry.term, err instanceof Error ? err.message : err)
      return
    }
    const problem = this.#apply(command)
    if (problem !== undefined) log.error('skipped log entry %d (term %d, %s): %s', entry.index, entry.term, command.op, problem)
  }

  /** Applies a valid command; returns why it was skipped when it refers to what does not exist. */
  #apply (c: LogCommand): string | undefined {
    if (c.op === 'marker') return
    if (c.op === 'delete-savepoint') {
      this.#savepoints.delete(c.name)
      return
    }
    if (c.op === 'submit-job') {
      if (this.#jobs.has(c.jobId)) return `job ${c.jobId} exists already`
      const job: JobRecord = {
        id: c.jobId,
        name: c.name,
        codeCid: c.codeCid,
        args: c.args,
        parallelism: c.parallelism,
        maxParallelism: c.maxParallelism,
        codeHolders: c.codeHolders,
        submittedAt: c.submittedAt,
        state: 'RUNNING',
        attempt: c.attempt,
        restarts: 0,
        tasks: c.tasks,
        incarnations: c.incarnations,
        error: undefined,
        finishedPeers: new Set(),
        checkpointIntervalMs: c.checkpointIntervalMs,
        checkpointTimeoutMs: c.checkpointTimeoutMs,
        restartStrategy: c.restartStrategy,
        allowNonRestoredState: c.allowNonRestoredState === true,
        restore: c.restore,
        checkpoints: { completed: 0 },
        retained: [],
        stopping: false,
        // a job started from a savepoint shows it as the restore of its first attempt
        restoreHistory: c.restore === undefined ? [] : [{ attempt: 0, checkpointId: c.restore.checkpointId, at: c.submittedAt }]
      }
      this.#jobs.set(c.jobId, job)
      this.emit('deployed', job)
      return
    }
    const job = this.#jobs.get(c.jobId)
    if (job === undefined) return `no job has the id ${c.jobId}`
    // late entries about an ended job (a report racing a cancel) change nothing
    if (TERMINAL_STATES.has(job.state)) return
    if (c.op === 'task-finished') {
      if (c.attempt !== job.attempt) return
      if (!job.tasks.some(t => t.peer === c.peer)) return `peer ${c.peer} runs no subtask of attempt ${job.attempt} of job ${job.id}`
      job.finishedPeers.add(c.peer)
      return
    }
    if (c.op === 'checkpoint-completed') {
      if (c.attempt !== job.attempt) return
      job.checkpoints = { completed: job.checkpoints.completed + 1, latest: { id: c.checkpointId, cid: c.cid, at: c.at } }
      job.retained.push({ checkpointId: c.checkpointId, cid: c.cid })
      if (job.retained.length > RETAINED_CHECKPOINTS) job.retained.splice(0, job.retained.length - RETAINED_CHECKPOINTS)
      if (c.savepoint !== undefined && !this.#savepoints.has(c.savepoint)) {
        this.#savepoints.set(c.savepoint, { name: c.savepoint, jobId: job.id, jobName: job.name, checkpointId: c.checkpointId, cid: c.cid, createdAt: c.at })
      }
      if (c.stop === true) job.stopping = true
      this.emit('checkpoint', { job, checkpointId: c.checkpointId, cid: c.cid, final: c.final, stop: c.stop === true })
      return
    }
    if (c.op === 'restart-job') {
      // a job stopped with a savepoint never resumes reading
      if (c.attempt <= job.attempt || job.stopping) return
      // a checkpoint that completed after the JobManager chose what to restore (its entry
      // came first in the log) may already be committed by sinks: restore that one then
      const latest = this.latestCheckpoint(job)
      const restore = latest !== undefined && (c.restore === undefined || latest.checkpointId > c.restore.checkpointId) ? latest : c.restore
      job.attempt = c.attempt
      job.tasks = c.tasks
      job.incarnations = c.incarnations
      job.restore = restore
      job.restarts++
      job.finishedPeers.clear()
      job.restoreHistory.push({ attempt: c.attempt, checkpointId: restore?.checkpointId ?? null, at: c.at })
      if (job.restoreHistory.length > 100) job.restoreHistory.splice(0, job.restoreHistory.length - 100)
      job.state = 'RUNNING'
      job.error = undefined
      this.emit('deployed', job)
      return
    }
    job.state = c.state
    job.error = c.error
    if (TERMINAL_STATES.has(c.state)) {
      this.emit('ended', job)
      this.#forgetEndedJobs()
    } else if (c.state === 'RESTARTING') {
      this.emit('restarting', job)
    }
  }

  /** Keeps the last MAX_ENDED_JOBS ended jobs (in submission order, the same on every peer). */
  #forgetEndedJobs (): void {
    let ended = 0
    for (const job of this.#jobs.values()) if (TERMINAL_STATES.has(job.state)) ended++
    if (ended <= MAX_ENDED_JOBS) return
    for (const [id, job] of this.#jobs) {
      if (ended <= MAX_ENDED_JOBS) break
      if (!TERMINAL_STATES.has(job.state)) continue
      this.#jobs.delete(id)
      ended--
    }
  }

  /** The latest completed checkpoint of a job, if any. */
  latestCheckpoint (job: JobRecord): CheckpointRef | undefined {
    return job.retained.at(-1) ?? job.restore
  }

  /** True when every peer with subtasks of the job's current attempt has finished them. */
  allFinished (job: JobRecord): boolean {
    for (const t of job.tasks) if (!job.finishedPeers.has(t.peer)) return false
    return true
  }

  /** Slots the running jobs take on each peer. */
  slotsInUse (slotsUsed: (tasks: readonly TaskAssignment[]) => Map<string, number>): Map<string, number> {
    const total = new Map<string, number>()
    for (const job of this.#jobs.values()) {
      if (TERMINAL_STATES.has(job.state)) continue
      for (const [peer, n] of slotsUsed(job.tasks)) total.set(peer, (total.get(peer) ?? 0) + n)
    }
    return total
  }

  /** The registry's state for a Raft snapshot (job-registry-snapshot.ts encodes it). */
  snapshot (): { applied: number, jobs: JobRecord[], savepoints: SavepointRecord[] } {
    return { applied: this.#applied, jobs: [...this.#jobs.values()], savepoints: [...this.#savepoints.values()] }
  }

  /**
   * Replaces the state with a snapshot's, then tells listeners what a replay of the log would
   * have: running jobs are `deployed` (TaskManagers ignore attempts they run already), jobs
   * that ended or began restarting since this registry last saw them `ended`/`restarting`.
   */
  restore (state: { readonly applied: number, readonly jobs: readonly JobRecord[], readonly savepoints: readonly SavepointRecord[] }): void {
    const before = new Map([...this.#jobs].map(([id, j]) => [id, j.state]))
    this.#jobs.clear()
    for (const job of state.jobs) this.#jobs.set(job.id, job)
    this.#savepoints.clear()
    for (const s of state.savepoints) this.#savepoints.set(s.name, s)
    this.#applied = state.applied
    for (const job of this.#jobs.values()) {
      const was = before.get(job.id)
      if (job.state === 'RUNNING') this.emit('deployed', job)
      else if (job.state === 'RESTARTING' && was !== undefined && was !== 'RESTARTING') this.emit('restarting', job)
      else if (TERMINAL_STATES.has(job.state) && was !== undefined && !TERMINAL_STATES.has(was)) this.emit('ended', job)
    }
  }
}
