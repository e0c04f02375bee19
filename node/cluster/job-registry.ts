/**
 * The jobs of the mesh as the metadata log records them (DESIGN §5): every peer applies the
 * same committed commands in the same order, so every peer knows every job, its code CID,
 * its deployment and its state, and a new JobManager takes over from the log.
 *
 * Commands (Raft `command` entries with `op`):
 * - `submit-job`: a job, its code CID and arguments, and its deployment (attempt 0): the job
 *   is RUNNING from here, TaskManagers deploy their subtasks;
 * - `task-finished`: every subtask of the job on one peer finished (for the job's attempt);
 * - `job-state`: the job reached FINISHED, FAILED or CANCELED (with the error for FAILED).
 * Task completions are in the log, not only in the JobManager's memory, so a JobManager
 * elected while a job runs knows which peers are done.
 */
import type { LogEntry } from '../../protocol/raft.ts'
import type { TaskAssignment } from './scheduler.ts'
import { TypedEvents } from '../mesh/typed-events.ts'

export type JobState = 'CREATED' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED'
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['FINISHED', 'FAILED', 'CANCELED'])

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

export type JobCommand = SubmitJobCommand | JobStateCommand | TaskFinishedCommand

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
  error: string | undefined
  /** Peers whose subtasks of the current attempt have all finished. */
  readonly finishedPeers: Set<string>
}

export interface JobRegistryEvents extends Record<string, unknown> {
  /** A job (re)deployed: TaskManagers start their subtasks of this attempt. */
  'deployed': JobRecord
  /** A job reached a final state. */
  'ended': JobRecord
}

function isCommand (value: unknown): value is JobCommand {
  if (typeof value !== 'object' || value === null) return false
  const op = (value as { op?: unknown }).op
  return op === 'submit-job' || op === 'job-state' || op === 'task-finished'
}

export class JobRegistry extends TypedEvents<JobRegistryEvents> {
  readonly #jobs = new Map<string, JobRecord>()
  #applied = 0

  /** Index of the last log entry applied. */
  get applied (): number { return this.#applied }

  get jobs (): readonly JobRecord[] { return [...this.#jobs.values()] }

  job (id: string): JobRecord | undefined { return this.#jobs.get(id) }

  /** Applies a committed log entry; entries at or below `applied` are skipped (replays). */
  apply (entry: LogEntry): void {
    if (entry.index <= this.#applied) return
    this.#applied = entry.index
    if (entry.type !== 'command' || !isCommand(entry.command)) return
    const c = entry.command
    if (c.op === 'submit-job') {
      if (this.#jobs.has(c.jobId)) return
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
        error: undefined,
        finishedPeers: new Set()
      }
      this.#jobs.set(c.jobId, job)
      this.emit('deployed', job)
      return
    }
    const job = this.#jobs.get(c.jobId)
    if (job === undefined || TERMINAL_STATES.has(job.state)) return
    if (c.op === 'task-finished') {
      if (c.attempt === job.attempt) job.finishedPeers.add(c.peer)
      return
    }
    job.state = c.state
    job.error = c.error
    if (TERMINAL_STATES.has(c.state)) this.emit('ended', job)
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
}
