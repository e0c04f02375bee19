/**
 * The JobManager: the work of the Raft leader for jobs (DESIGN §5). It checks and schedules
 * submitted jobs and records them in the metadata log, records which peers finished their
 * subtasks, and decides when a job has finished, failed or been cancelled. Everything it
 * decides goes through the log, so a new leader continues where the old one stopped.
 */
import { randomUUID } from 'node:crypto'
import { logger } from '@libp2p/logger'
import type { JobDefinition } from '../api/job.ts'
import { schedule, slotsUsed, type SchedulablePeer } from './scheduler.ts'
import { buildJobGraph } from './task-manager.ts'
import type { JobCommand, JobRecord, JobRegistry, JobState } from './job-registry.ts'
import { TERMINAL_STATES } from './job-registry.ts'

const log = logger('meshflow:cluster:job-manager')

export interface JobSubmission {
  readonly name: string
  readonly codeCid: string
  readonly args: Readonly<Record<string, string>>
  readonly parallelism: number
  readonly maxParallelism: number | undefined
  /** The peer that received the code from the client. */
  readonly submitter: string
}

/** A submitted job cannot run: its code does not load or build, or the mesh cannot hold it. */
export class JobRejectedError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'JobRejectedError'
  }
}

/** No job has that id. */
export class JobNotFoundError extends Error {
  constructor (jobId: string) {
    super(`No job with id ${jobId}`)
    this.name = 'JobNotFoundError'
  }
}

export interface JobManagerComponents {
  readonly selfId: string
  readonly registry: JobRegistry
  readonly isLeader: () => boolean
  /** Commits a command to the metadata log (this peer leads). */
  readonly propose: (command: JobCommand) => Promise<unknown>
  readonly loadJob: (job: Pick<JobRecord, 'codeCid' | 'codeHolders'>) => Promise<JobDefinition>
  /** Live peers (this one included) with their labels and slots. */
  readonly peers: () => readonly { id: string, labels: Readonly<Record<string, string>>, slots: number }[]
}

export class JobManager {
  readonly #c: JobManagerComponents
  readonly #finishing = new Set<string>()

  constructor (components: JobManagerComponents) {
    this.#c = components
  }

  /** Checks, schedules and records a job; resolves with its id once it is committed. */
  async submit (s: JobSubmission): Promise<string> {
    let definition: JobDefinition
    let graph
    try {
      definition = await this.#c.loadJob({ codeCid: s.codeCid, codeHolders: [s.submitter] })
      graph = await buildJobGraph(definition, s)
    } catch (err) {
      throw new JobRejectedError(`Job '${s.name}' cannot be built: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    const used = this.#c.registry.slotsInUse(slotsUsed)
    const peers: SchedulablePeer[] = this.#c.peers().map(p => ({ id: p.id, labels: p.labels, freeSlots: Math.max(0, p.slots - (used.get(p.id) ?? 0)) }))
    let tasks
    try {
      tasks = schedule(graph, peers)
    } catch (err) {
      throw new JobRejectedError(`Job '${s.name}' cannot be scheduled: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    const jobId = randomUUID()
    await this.#c.propose({
      op: 'submit-job',
      jobId,
      name: s.name,
      codeCid: s.codeCid,
      args: s.args,
      parallelism: s.parallelism,
      maxParallelism: s.maxParallelism,
      codeHolders: [...new Set([s.submitter, this.#c.selfId])],
      attempt: 0,
      tasks,
      submittedAt: Date.now()
    })
    log('job %s (%s) scheduled on %d peer(s)', jobId, s.name, new Set(tasks.map(t => t.peer)).size)
    return jobId
  }

  /** A TaskManager's subtasks of a job ended. */
  async taskReport (r: { jobId: string, attempt: number, peer: string, state: 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED', error?: string | undefined }): Promise<void> {
    const job = this.#c.registry.job(r.jobId)
    if (job === undefined) throw new JobNotFoundError(r.jobId)
    if (TERMINAL_STATES.has(job.state) || r.attempt !== job.attempt) return
    if (r.state === 'FAILED') {
      await this.#c.propose({ op: 'job-state', jobId: r.jobId, state: 'FAILED', error: r.error ?? 'A task failed' })
      return
    }
    if (r.state === 'FINISHED' && !job.finishedPeers.has(r.peer)) {
      await this.#c.propose({ op: 'task-finished', jobId: r.jobId, attempt: r.attempt, peer: r.peer })
    }
    await this.checkFinished()
  }

  /** Marks FINISHED every running job whose peers have all finished (also after a leader change). */
  async checkFinished (): Promise<void> {
    if (!this.#c.isLeader()) return
    for (const job of this.#c.registry.jobs) {
      if (job.state !== 'RUNNING' || this.#finishing.has(job.id) || !this.#c.registry.allFinished(job)) continue
      this.#finishing.add(job.id)
      try {
        await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FINISHED' })
      } finally {
        this.#finishing.delete(job.id)
      }
    }
  }

  /**
   * A TaskManager was declared lost: the jobs with subtasks there cannot finish. Without
   * checkpoints to restart from they fail, naming the peer.
   */
  async peerLost (peer: string): Promise<void> {
    if (!this.#c.isLeader()) return
    for (const job of this.#c.registry.jobs) {
      if (TERMINAL_STATES.has(job.state) || job.finishedPeers.has(peer) || !job.tasks.some(t => t.peer === peer)) continue
      log('job %s lost its TaskManager %s', job.id, peer)
      await this.#c.propose({ op: 'job-state', jobId: job.id, state: 'FAILED', error: `TaskManager ${peer} was lost while running subtasks of the job` })
    }
  }

  async cancel (jobId: string): Promise<JobState> {
    const job = this.#c.registry.job(jobId)
    if (job === undefined) throw new JobNotFoundError(jobId)
    if (!TERMINAL_STATES.has(job.state)) await this.#c.propose({ op: 'job-state', jobId, state: 'CANCELED' })
    return this.#c.registry.job(jobId)!.state
  }
}
