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
import { errorMessage } from '../../protocol/error-message.ts'
import { DatasetCatalog, type DatasetCatalogInit, type DatasetCatalogState } from './dataset-catalog.ts'

const log = logger('meshflow:cluster:registry')

export type JobState = 'CREATED' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELED'
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['FINISHED', 'FAILED', 'CANCELED'])

export type {
  SubmitJobCommand, CheckpointCompletedCommand, RestartJobCommand, DeleteSavepointCommand, JobStateCommand, TaskFinishedCommand,
  JobCommand, LogCommand, MarkerCommand, DatasetCommand, DatasetCommitCommand, DatasetDropCommand
} from '../../protocol/log.ts'
import type { BatchRegionsCommand, RegionState } from '../../protocol/log.ts'

/** A completed checkpoint as the log records it. */
export type CheckpointRef = CheckpointRecordRef

/** A named savepoint (never garbage-collected until deleted), as `savepoints` lists it. */
export type SavepointRecord = SavepointInfo

/** How many completed checkpoints per job the mesh keeps (older ones become garbage). */
export const RETAINED_CHECKPOINTS = 3

/** How many ended jobs the registry keeps (the oldest submitted are forgotten first). */
export const MAX_ENDED_JOBS = 1_000

/**
 * A job as the log records it: an immutable value. Applying an entry replaces a job's
 * record with a new one, so a reader holding a record across an `await` sees the job as it
 * was when it read it; to see the job as it is now, read it again by id (`registry.job(id)`).
 */
export interface JobRecord {
  readonly id: string
  readonly name: string
  readonly codeCid: string
  readonly args: Readonly<Record<string, string>>
  readonly parallelism: number
  readonly maxParallelism: number | undefined
  readonly codeHolders: readonly string[]
  readonly submittedAt: number
  readonly state: JobState
  readonly attempt: number
  readonly restarts: number
  readonly tasks: readonly TaskAssignment[]
  /** The incarnation of each peer the current attempt runs on (undefined in older logs). */
  readonly incarnations: Incarnations | undefined
  readonly error: string | undefined
  /** Peers whose subtasks of the current attempt have all finished. */
  readonly finishedPeers: ReadonlySet<string>
  readonly checkpointIntervalMs: number | undefined
  readonly checkpointTimeoutMs: number | undefined
  readonly restartStrategy: RestartStrategy | undefined
  readonly allowNonRestoredState: boolean
  /** What the current attempt restores (undefined: it started from scratch). */
  readonly restore: CheckpointRef | undefined
  readonly checkpoints: { readonly completed: number, readonly latest?: { readonly id: number, readonly cid: string, readonly at: number } }
  /** The last RETAINED_CHECKPOINTS completed checkpoints, oldest first. */
  readonly retained: readonly CheckpointRef[]
  /** A stop-with-savepoint completed: the job ends when every TaskManager committed it. */
  readonly stopping: boolean
  /** One entry per attempt after the first: the checkpoint it restored. */
  readonly restoreHistory: readonly { readonly attempt: number, readonly checkpointId: number | null, readonly at: number }[]
  /** The dataset versions the job reads, by name (pinned while it runs); undefined when it reads none. */
  readonly datasets?: Readonly<Record<string, number>> | undefined
  /** A batch job's regions (DESIGN §6); undefined for a pipelined job. */
  readonly batch?: BatchRecord | undefined
}

/** One pipelined region of a batch job as the log records it. */
export interface RegionRecord {
  /** The stage it is a subtask of (regions of one stage run the same operators). */
  readonly stage: number
  readonly state: RegionState
  /** Times it was deployed (0 before its first run). */
  readonly attempt: number
  readonly peer?: string | undefined
  /** Its subtasks where it runs or ran (scans with their partitions). */
  readonly tasks?: readonly TaskAssignment[] | undefined
  /** The CID of its result index, once FINISHED. */
  readonly result?: string | undefined
  readonly recordsIn: number
  readonly recordsOut: number
}

/** The regions of a batch job, by region index (see node/graph/pipelined-regions.ts). */
export interface BatchRecord {
  readonly regions: readonly RegionRecord[]
  /** Region runs after the first of each region (failover re-runs). */
  readonly reruns: number
}

/**
 * Freezes a record and what it holds (arrays, objects), so that nothing changes it after it
 * is published; `finishedPeers` is typed read-only and replaced, never changed, by `apply`.
 */
export function freezeJob (job: JobRecord): JobRecord {
  if (Object.isFrozen(job)) return job
  Object.freeze(job.args)
  Object.freeze(job.codeHolders)
  if (job.restartStrategy !== undefined) Object.freeze(job.restartStrategy)
  for (const t of job.tasks) Object.freeze(t)
  Object.freeze(job.tasks)
  if (job.incarnations !== undefined) Object.freeze(job.incarnations)
  if (job.restore !== undefined) Object.freeze(job.restore)
  if (job.checkpoints.latest !== undefined) Object.freeze(job.checkpoints.latest)
  Object.freeze(job.checkpoints)
  for (const c of job.retained) Object.freeze(c)
  Object.freeze(job.retained)
  for (const r of job.restoreHistory) Object.freeze(r)
  Object.freeze(job.restoreHistory)
  if (job.datasets !== undefined) Object.freeze(job.datasets)
  if (job.batch !== undefined) {
    for (const r of job.batch.regions) {
      if (r.tasks !== undefined) { for (const t of r.tasks) Object.freeze(t); Object.freeze(r.tasks) }
      Object.freeze(r)
    }
    Object.freeze(job.batch.regions)
    Object.freeze(job.batch)
  }
  return Object.freeze(job)
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
  /** A region of a batch job was deployed on `peer` (its `attempt`-th run). */
  'region-deployed': { job: JobRecord, region: number, attempt: number, peer: string }
}

export class JobRegistry extends TypedEvents<JobRegistryEvents> {
  readonly #jobs = new Map<string, JobRecord>()
  /** Ids of the jobs not in a terminal state, in submission order. */
  readonly #active = new Set<string>()
  readonly #savepoints = new Map<string, SavepointRecord>()
  #applied = 0
  /** The datasets of the mesh, applied with the rest of the log; running jobs pin the versions they read. */
  readonly datasets: DatasetCatalog

  constructor (init: { datasets?: DatasetCatalogInit } = {}) {
    super()
    this.datasets = new DatasetCatalog({ pinned: name => this.pinnedVersions(name) }, init.datasets ?? {})
  }

  /** The versions of dataset `name` that jobs not ended read. */
  pinnedVersions (name: string): Set<number> {
    const out = new Set<number>()
    for (const job of this.#jobs.values()) {
      if (TERMINAL_STATES.has(job.state) || job.datasets === undefined) continue
      const v = Object.hasOwn(job.datasets, name) ? job.datasets[name] : undefined
      if (v !== undefined) out.add(v)
    }
    return out
  }

  /** Every savepoint, oldest first. */
  get savepoints (): SavepointRecord[] { return [...this.#savepoints.values()] }

  savepoint (name: string): SavepointRecord | undefined { return this.#savepoints.get(name) }

  /** Index of the last log entry applied. */
  get applied (): number { return this.#applied }

  get jobs (): readonly JobRecord[] { return [...this.#jobs.values()] }

  /**
   * The jobs that have not ended, oldest first: what the JobManager looks at on every log
   * entry, so it costs what is running, not the ended jobs the registry remembers.
   */
  get activeJobs (): JobRecord[] {
    const out: JobRecord[] = []
    for (const id of this.#active) out.push(this.#jobs.get(id)!)
    return out
  }

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
      log.error('skipped log entry %d (term %d): %s', entry.index, entry.term, errorMessage(err))
      return
    }
    const problem = this.#apply(command)
    if (problem !== undefined) log.error('skipped log entry %d (term %d, %s): %s', entry.index, entry.term, command.op, problem)
  }

  /** Applies a valid command; returns why it was skipped when it refers to what does not exist. */
  #apply (c: LogCommand): string | undefined {
    if (c.op === 'marker') return
    if (c.op === 'dataset-commit' || c.op === 'dataset-drop') return this.datasets.apply(c)
    if (c.op === 'delete-savepoint') {
      this.#savepoints.delete(c.name)
      return
    }
    if (c.op === 'submit-job') {
      if (this.#jobs.has(c.jobId)) return `job ${c.jobId} exists already`
      const job = this.#set({
        id: c.jobId,
        name: c.name,
        codeCid: c.codeCid,
        args: { ...c.args },
        parallelism: c.parallelism,
        maxParallelism: c.maxParallelism,
        codeHolders: [...c.codeHolders],
        submittedAt: c.submittedAt,
        state: 'RUNNING',
        attempt: c.attempt,
        restarts: 0,
        tasks: c.tasks.map(t => ({ ...t })),
        incarnations: c.incarnations === undefined ? undefined : { ...c.incarnations },
        error: undefined,
        finishedPeers: new Set(),
        checkpointIntervalMs: c.checkpointIntervalMs,
        checkpointTimeoutMs: c.checkpointTimeoutMs,
        restartStrategy: c.restartStrategy,
        allowNonRestoredState: c.allowNonRestoredState === true,
        restore: c.restore === undefined ? undefined : { ...c.restore },
        checkpoints: { completed: 0 },
        retained: [],
        stopping: false,
        // a job started from a savepoint shows it as the restore of its first attempt
        restoreHistory: c.restore === undefined ? [] : [{ attempt: 0, checkpointId: c.restore.checkpointId, at: c.submittedAt }],
        ...(c.datasets === undefined ? {} : { datasets: { ...c.datasets } }),
        ...(c.batchRegions === undefined ? {} : { batch: { regions: c.batchRegions.map(stage => ({ stage, state: 'PENDING' as const, attempt: 0, recordsIn: 0, recordsOut: 0 })), reruns: 0 } })
      })
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
      if (!job.finishedPeers.has(c.peer)) this.#set({ ...job, finishedPeers: new Set([...job.finishedPeers, c.peer]) })
      return
    }
    if (c.op === 'batch-regions') return this.#applyRegions(job, c)
    if (c.op === 'checkpoint-completed') {
      if (c.attempt !== job.attempt) return
      const next = this.#set({
        ...job,
        checkpoints: { completed: job.checkpoints.completed + 1, latest: { id: c.checkpointId, cid: c.cid, at: c.at } },
        retained: [...job.retained, { checkpointId: c.checkpointId, cid: c.cid }].slice(-RETAINED_CHECKPOINTS),
        stopping: job.stopping || c.stop === true
      })
      if (c.savepoint !== undefined && !this.#savepoints.has(c.savepoint)) {
        this.#savepoints.set(c.savepoint, Object.freeze({ name: c.savepoint, jobId: job.id, jobName: job.name, checkpointId: c.checkpointId, cid: c.cid, createdAt: c.at }))
      }
      this.emit('checkpoint', { job: next, checkpointId: c.checkpointId, cid: c.cid, final: c.final, stop: c.stop === true })
      return
    }
    if (c.op === 'restart-job') {
      // a job stopped with a savepoint never resumes reading
      if (c.attempt <= job.attempt || job.stopping) return
      // a checkpoint that completed after the JobManager chose what to restore (its entry
      // came first in the log) may already be committed by sinks: restore that one then
      const latest = this.latestCheckpoint(job)
      const restore = latest !== undefined && (c.restore === undefined || latest.checkpointId > c.restore.checkpointId) ? latest : c.restore
      const next = this.#set({
        ...job,
        attempt: c.attempt,
        tasks: c.tasks.map(t => ({ ...t })),
        incarnations: c.incarnations === undefined ? undefined : { ...c.incarnations },
        restore: restore === undefined ? undefined : { ...restore },
        restarts: job.restarts + 1,
        finishedPeers: new Set(),
        restoreHistory: [...job.restoreHistory, { attempt: c.attempt, checkpointId: restore?.checkpointId ?? null, at: c.at }].slice(-100),
        state: 'RUNNING',
        error: undefined
      })
      this.emit('deployed', next)
      return
    }
    const next = this.#set({ ...job, state: c.state, error: c.error })
    if (TERMINAL_STATES.has(c.state)) {
      // the versions it read are no longer pinned
      if (job.datasets !== undefined) this.datasets.retain()
      this.emit('ended', next)
      this.#forgetEndedJobs()
    } else if (c.state === 'RESTARTING') {
      this.emit('restarting', next)
    }
  }

  /**
   * Applies region changes of a batch job. A change that does not follow from the region's
   * state (a report of an older run, a deployment of a region not PENDING) is skipped alone.
   */
  #applyRegions (job: JobRecord, c: BatchRegionsCommand): string | undefined {
    if (job.batch === undefined) return `job ${job.id} is not a batch job`
    const regions = [...job.batch.regions]
    let reruns = job.batch.reruns
    const deployed: { region: number, attempt: number, peer: string }[] = []
    for (const u of c.updates) {
      const r = regions[u.region]
      if (r === undefined) return `job ${job.id} has no region ${u.region}`
      if (u.state === 'RUNNING') {
        if (r.state !== 'PENDING' || u.attempt !== r.attempt + 1) continue
        if (u.attempt > 1) reruns++
        regions[u.region] = { stage: r.stage, state: 'RUNNING', attempt: u.attempt, peer: u.peer, tasks: u.tasks?.map(t => Object.freeze({ ...t })), recordsIn: 0, recordsOut: 0 }
        deployed.push({ region: u.region, attempt: u.attempt, peer: u.peer! })
      } else if (u.state === 'FINISHED') {
        if (r.state !== 'RUNNING' || u.attempt !== r.attempt) continue
        regions[u.region] = { stage: r.stage, state: 'FINISHED', attempt: u.attempt, peer: u.peer, tasks: r.tasks, result: u.result, recordsIn: u.recordsIn ?? 0, recordsOut: u.recordsOut ?? 0 }
      } else {
        if (u.attempt !== r.attempt || r.state === 'PENDING') continue
        regions[u.region] = { stage: r.stage, state: 'PENDING', attempt: r.attempt, recordsIn: 0, recordsOut: 0 }
      }
    }
    const next = this.#set({ ...job, batch: { regions, reruns } })
    for (const d of deployed) this.emit('region-deployed', { job: next, ...d })
    return undefined
  }

  /** Publishes a job's new record (frozen), replacing the one before. */
  #set (job: JobRecord): JobRecord {
    const frozen = freezeJob(job)
    this.#jobs.set(frozen.id, frozen)
    if (TERMINAL_STATES.has(frozen.state)) this.#active.delete(frozen.id)
    else this.#active.add(frozen.id)
    return frozen
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
    if (job.batch !== undefined) return job.batch.regions.every(r => r.state === 'FINISHED')
    for (const t of job.tasks) if (!job.finishedPeers.has(t.peer)) return false
    return true
  }

  /** Slots the running jobs take on each peer. */
  slotsInUse (slotsUsed: (tasks: readonly TaskAssignment[]) => Map<string, number>): Map<string, number> {
    const total = new Map<string, number>()
    for (const job of this.activeJobs) {
      for (const [peer, n] of slotsUsed(job.tasks)) total.set(peer, (total.get(peer) ?? 0) + n)
      // a running region of a batch job takes one slot
      for (const r of job.batch?.regions ?? []) if (r.state === 'RUNNING' && r.peer !== undefined) total.set(r.peer, (total.get(r.peer) ?? 0) + 1)
    }
    return total
  }

  /** The registry's state for a Raft snapshot (job-registry-snapshot.ts encodes it). */
  snapshot (): { applied: number, jobs: JobRecord[], savepoints: SavepointRecord[], datasets: DatasetCatalogState } {
    return { applied: this.#applied, jobs: [...this.#jobs.values()], savepoints: [...this.#savepoints.values()], datasets: this.datasets.snapshot() }
  }

  /**
   * Replaces the state with a snapshot's, then tells listeners what a replay of the log would
   * have: running jobs are `deployed` (TaskManagers ignore attempts they run already), jobs
   * that ended or began restarting since this registry last saw them `ended`/`restarting`.
   */
  restore (state: { readonly applied: number, readonly jobs: readonly JobRecord[], readonly savepoints: readonly SavepointRecord[], readonly datasets?: DatasetCatalogState }): void {
    const before = new Map([...this.#jobs].map(([id, j]) => [id, j.state]))
    this.#jobs.clear()
    this.#active.clear()
    for (const job of state.jobs) this.#set(job)
    this.#savepoints.clear()
    for (const s of state.savepoints) this.#savepoints.set(s.name, Object.freeze(s))
    this.datasets.restore(state.datasets ?? [])
    this.#applied = state.applied
    for (const job of this.#jobs.values()) {
      const was = before.get(job.id)
      if (job.state === 'RUNNING') this.emit('deployed', job)
      else if (job.state === 'RESTARTING' && was !== undefined && was !== 'RESTARTING') this.emit('restarting', job)
      else if (TERMINAL_STATES.has(job.state) && was !== undefined && !TERMINAL_STATES.has(was)) this.emit('ended', job)
    }
  }
}
